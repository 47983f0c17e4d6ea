package io.tsdb.core.index;

import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import org.junit.jupiter.api.Test;
import org.roaringbitmap.RoaringBitmap;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class LabelIndexTest {

    /** Random series and random matchers: the index must agree with evaluating Matcher on every series. */
    @Test void selectionAgreesWithBruteForce() {
        Random rnd = new Random(7);
        LabelIndex idx = new LabelIndex();
        List<Labels> all = new ArrayList<>();
        String[] names = {"job", "env", "code", "path"};
        String[] values = {"a", "b", "ab", "abc", "b1", "200", "500", "x.y", ""};
        for (int i = 0; i < 500; i++) {
            Labels.Builder b = Labels.builder().set("__name__", "m" + rnd.nextInt(3));
            for (String n : names) if (rnd.nextInt(4) > 0) b.set(n, values[rnd.nextInt(values.length)]);
            Labels l = b.build();
            if (all.contains(l)) continue;
            idx.add(all.size(), l);
            all.add(l);
        }
        String[] regexes = {"a.*", "a|b", "b.", ".*", "", "a|", "(?i)AB", "ab?", "x\\.y", "[ab]+", "5.*|2.*", "abc"};
        for (int round = 0; round < 400; round++) {
            List<Matcher> ms = new ArrayList<>();
            int k = 1 + rnd.nextInt(3);
            for (int j = 0; j < k; j++) {
                String n = rnd.nextInt(5) == 0 ? "__name__" : rnd.nextInt(10) == 0 ? "missing" : names[rnd.nextInt(names.length)];
                Matcher.Type t = Matcher.Type.values()[rnd.nextInt(4)];
                String v = (t == Matcher.Type.RE || t == Matcher.Type.NRE) ? regexes[rnd.nextInt(regexes.length)]
                        : n.equals("__name__") ? "m" + rnd.nextInt(4) : values[rnd.nextInt(values.length)];
                ms.add(Matcher.of(t, n, v));
            }
            RoaringBitmap want = new RoaringBitmap();
            outer:
            for (int id = 0; id < all.size(); id++) {
                for (Matcher m : ms) if (!m.matches(all.get(id))) continue outer;
                want.add(id);
            }
            assertEquals(want, idx.select(ms), ms.toString());
            assertEquals(want.getLongCardinality(), idx.count(ms));
        }
    }

    @Test void labelNamesValuesAndInterning() {
        LabelIndex idx = new LabelIndex();
        Labels a = idx.add(0, Labels.of("__name__", "up", "job", new String("api")));
        Labels b = idx.add(1, Labels.of("__name__", "up", "job", new String("api"), "zone", "z1"));
        idx.add(2, Labels.of("__name__", "down", "job", "db"));
        assertSame(a.get("job"), b.get("job"), "values interned");
        // the interned copy is equal to what was indexed, with the same hash (taken over when computed before)
        Labels in = Labels.of("__name__", "up", "job", new String("api"), "zone", "z2");
        int h = in.hashCode();
        Labels out = idx.add(3, in);
        assertEquals(in, out);
        assertEquals(h, out.hashCode());
        assertEquals(Labels.of("__name__", "up", "job", "api", "zone", "z2").hashCode(), out.hashCode());
        Labels fresh = Labels.of("__name__", "x", "job", "api");
        assertEquals(fresh.hashCode(), idx.add(4, Labels.of("__name__", "x", "job", "api")).hashCode(), "not computed before: computed");
        idx.remove(3, out);
        idx.remove(4, fresh);
        assertEquals(List.of("__name__", "job", "zone"), idx.labelNames(null));
        assertEquals(List.of("__name__", "job"), idx.labelNames(idx.select(List.of(Matcher.eq("__name__", "down")))));
        assertEquals(List.of("api", "db"), idx.labelValues("job", null));
        assertEquals(List.of("api"), idx.labelValues("job", idx.select(List.of(Matcher.eq("__name__", "up")))));
        assertEquals(2, idx.cardinality("job", "api"));
        List<LabelIndex.PairCount> top = idx.topPairs(null, 2);
        assertEquals(2, top.size());
        assertEquals(2, top.get(0).series());
        idx.remove(1, b);
        assertEquals(List.of("__name__", "job"), idx.labelNames(null));
        assertEquals(1, idx.cardinality("job", "api"));
        assertEquals(2, idx.seriesCount());
    }

    /**
     * Churn: pairs held by one series (a pod label per series) and pairs shared by many, series added and removed
     * at random (a pair going from one series to two and back to one and none); every read agrees with a brute-force
     * evaluation over the series present.
     */
    @Test void pairsOfOneSeriesAgreeWithBruteForceThroughChurn() {
        Random rnd = new Random(11);
        LabelIndex idx = new LabelIndex();
        java.util.Map<Integer, Labels> present = new java.util.TreeMap<>();
        String[] regexes = {"p1.*", "p(1|2|3)", "p.*7", ".*", "p12|p13|q", "a|b", "b"};
        for (int step = 0; step < 3000; step++) {
            if (present.isEmpty() || rnd.nextInt(3) > 0) {
                int id = rnd.nextInt(400);
                if (present.containsKey(id)) continue;
                // mostly a value of its own; sometimes one another series may share
                String pod = rnd.nextInt(5) == 0 ? "p" + rnd.nextInt(20) : "p" + id + "x" + step;
                Labels l = Labels.of("__name__", "m", "job", rnd.nextBoolean() ? "a" : "b", "pod", pod);
                present.put(id, idx.add(id, l));
            } else {
                Integer id = new ArrayList<>(present.keySet()).get(rnd.nextInt(present.size()));
                idx.remove(id, present.remove(id));
            }
            if (step % 10 != 0) continue;
            List<Matcher> ms = new ArrayList<>();
            Matcher.Type t = Matcher.Type.values()[rnd.nextInt(4)];
            String v = (t == Matcher.Type.RE || t == Matcher.Type.NRE) ? regexes[rnd.nextInt(regexes.length)]
                    : present.isEmpty() || rnd.nextBoolean() ? "p" + rnd.nextInt(20)
                    : new ArrayList<>(present.values()).get(rnd.nextInt(present.size())).get("pod");
            ms.add(Matcher.of(t, "pod", v));
            if (rnd.nextBoolean()) ms.add(Matcher.eq("job", "a"));
            RoaringBitmap want = new RoaringBitmap();
            java.util.TreeMap<String, Integer> counts = new java.util.TreeMap<>();
            java.util.TreeSet<String> valuesWithA = new java.util.TreeSet<>();
            for (var e : present.entrySet()) {
                if (ms.stream().allMatch(m -> m.matches(e.getValue()))) want.add(e.getKey());
                counts.merge(e.getValue().get("pod"), 1, Integer::sum);
                if (e.getValue().get("job").equals("a")) valuesWithA.add(e.getValue().get("pod"));
            }
            assertEquals(want, idx.select(ms), ms + " at step " + step);
            assertEquals(new ArrayList<>(counts.keySet()), idx.labelValues("pod", null));
            assertEquals(new ArrayList<>(valuesWithA), idx.labelValues("pod", idx.select(List.of(Matcher.eq("job", "a")))));
            assertEquals(counts.getOrDefault(v, 0), (int) idx.cardinality("pod", v));
            assertEquals(counts, new java.util.TreeMap<>(idx.topPairs("pod", Integer.MAX_VALUE).stream()
                    .collect(java.util.stream.Collectors.toMap(LabelIndex.PairCount::value, p -> (int) p.series()))));
            assertEquals(present.size(), idx.seriesCount());
        }
    }

    @Test void regexLiteralAnalysis() {
        assertEquals("ab", RegexLiterals.literalPrefix("ab.*"));
        assertEquals("a", RegexLiterals.literalPrefix("ab?"));
        assertEquals("ab", RegexLiterals.literalPrefix("ab+"));
        assertNull(RegexLiterals.literalPrefix("ab|cd"));
        assertEquals("", RegexLiterals.literalPrefix("(?i)ab"));
    }
}
