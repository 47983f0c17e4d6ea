package io.tsdb.core.block;

import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.testing.MemStorage;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Matcher selection over postings bitmaps against MemStorage's brute-force filter, randomized with fixed seeds. */
class BlockSelectionTest {
    static final long T0 = 1_700_000_000_000L, SPAN = 3600_000L;
    @TempDir static Path dir;
    static MemStorage mem;
    static Block block;

    @BeforeAll static void setUp() throws Exception {
        mem = BlockTestData.randomStorage(99, 600, T0, SPAN);
        try (Querier src = mem.querier(T0, T0 + SPAN)) {
            block = Block.open(dir.resolve(new BlockWriter(dir).write(src.select(List.of()), T0, T0 + SPAN).ulid()));
        }
    }

    @AfterAll static void tearDown() { block.close(); }

    static Matcher randomMatcher(Random r) {
        String[] names = {"__name__", "job", "zone", "path", "instance", "odd", "absent"};
        String name = names[r.nextInt(names.length)];
        String[] values = switch (name) {
            case "__name__" -> BlockTestData.METRICS;
            case "job" -> BlockTestData.JOBS;
            case "zone" -> BlockTestData.ZONES;
            default -> new String[]{"host-1", "/p/3", "/p/3/x", "nope"};
        };
        String v = values[r.nextInt(values.length)];
        String[] regexes = {v, ".*", ".+", "", v + "|" + values[r.nextInt(values.length)], "(?i)" + v.toUpperCase(),
                "host-1.*", "/p/[0-3].*", "us-.*|", "e.*", "[a-m].*", "u.", "ünï.*"};
        return switch (r.nextInt(6)) {
            case 0, 1 -> Matcher.eq(name, r.nextInt(8) == 0 ? "" : v);
            case 2 -> Matcher.neq(name, r.nextInt(8) == 0 ? "" : v);
            case 3, 4 -> Matcher.re(name, regexes[r.nextInt(regexes.length)]);
            default -> Matcher.nre(name, regexes[r.nextInt(regexes.length)]);
        };
    }

    @Test void randomMatchersAgreeWithBruteForce() {
        Random r = new Random(2024);
        int nonEmpty = 0;
        for (int iter = 0; iter < 600; iter++) {
            List<Matcher> ms = new ArrayList<>();
            int n = 1 + r.nextInt(3);
            for (int i = 0; i < n; i++) ms.add(randomMatcher(r));
            if (ms.stream().allMatch(Matcher::matchesEmpty)) ms.add(Matcher.re("__name__", ".+"));
            long a = T0, z = T0 + SPAN;
            if (iter % 3 == 1) { a = T0 + r.nextInt((int) SPAN); z = a + r.nextInt((int) SPAN / 4); }
            try (Querier exp = mem.querier(a, z); Querier act = block.querier(a, z)) {
                String ctx = ms + " over [" + a + "," + z + "]";
                BlockTestData.assertSameSeries(exp, act, ms);
                long count = BlockRoundTripTestCount.count(exp, ms);
                assertEquals(count, act.seriesCount(ms), ctx);
                // the bound: at least the count, at most the block's series the matchers select whatever the range;
                // the postings alone on a querier that has not counted exactly yet
                try (Querier whole = block.querier(Long.MIN_VALUE, Long.MAX_VALUE); Querier fresh = block.querier(a, z)) {
                    long all = whole.seriesCount(ms);
                    assertEquals(all, fresh.seriesUpperBound(ms), ctx);
                    assertTrue(act.seriesUpperBound(ms) >= count && act.seriesUpperBound(ms) <= all, ctx);
                }
                if (count > 0) nonEmpty++;
                if (iter % 3 != 1) {
                    // full range: MemStorage's label APIs are exact references
                    assertEquals(exp.labelNames(ms), act.labelNames(ms), ctx);
                    assertEquals(exp.labelValues("zone", ms), act.labelValues("zone", ms), ctx);
                    assertEquals(exp.labelValues("instance", ms), act.labelValues("instance", ms), ctx);
                    assertEquals(exp.sampleEstimate(ms), act.sampleEstimate(ms), ctx);
                }
            }
        }
        // the random matchers must exercise non-trivial selections
        assertEquals(true, nonEmpty > 150, "non-empty selections: " + nonEmpty);
    }

    /**
     * Set regexes over instance values (each a small postings list): a few alternatives are merged pairwise, more
     * than {@link PostingsSelector#PAIRWISE_OR_MAX} through the many-way aggregation; alone, after an equality matcher
     * (which goes first), and negated. Both ways must select what the brute-force filter selects.
     */
    @Test void setRegexUnionsSmallAndLargeAgreeWithBruteForce() {
        Random r = new Random(7);
        for (int alternatives : new int[]{2, 3, PostingsSelector.PAIRWISE_OR_MAX, PostingsSelector.PAIRWISE_OR_MAX + 1, 60, 300}) {
            StringBuilder re = new StringBuilder();
            for (int i = 0; i < alternatives; i++) re.append(i == 0 ? "" : "|").append("host-").append(r.nextInt(600));
            List<List<Matcher>> cases = List.of(
                    List.of(Matcher.re("instance", re.toString())),
                    List.of(Matcher.re("instance", re.toString()), Matcher.eq("job", "api")),
                    List.of(Matcher.eq("__name__", "cpu_usage"), Matcher.re("instance", re.toString()), Matcher.neq("zone", "eu-1")),
                    List.of(Matcher.eq("job", "db"), Matcher.nre("instance", re.toString())));
            // one block querier for all the cases, twice over: it keeps its last selection, which must not answer
            // for other matchers
            try (Querier act = block.querier(T0, T0 + SPAN)) {
                for (int twice = 0; twice < 2; twice++) {
                    for (List<Matcher> ms : cases) {
                        try (Querier exp = mem.querier(T0, T0 + SPAN)) {
                            assertEquals(BlockRoundTripTestCount.count(exp, ms), act.seriesCount(ms), ms.toString());
                            BlockTestData.assertSameSeries(exp, act, ms);
                        }
                    }
                }
            }
        }
    }

    /**
     * Decode columns are kept per thread between queriers ({@link DecodeColumns}): two queriers open at once on one
     * thread, read in turn, and queriers opened after others closed, all read exactly the brute-force filter's samples.
     */
    @Test void queriersOnOneThreadNeverShareDecodeColumns() {
        List<Matcher> all = List.of(Matcher.re("__name__", ".+"));
        for (int round = 0; round < 3; round++) {
            try (Querier a = block.querier(T0 + 600_000, T0 + SPAN); Querier b = block.querier(T0, T0 + SPAN - 900_000);
                 Querier ea = mem.querier(T0 + 600_000, T0 + SPAN); Querier eb = mem.querier(T0, T0 + SPAN - 900_000)) {
                io.tsdb.core.SeriesSet sa = a.select(all), sb = b.select(all), xa = ea.select(all), xb = eb.select(all);
                int series = 0;
                while (true) {
                    // a's series and b's series in turn, sample by sample
                    boolean na = xa.next(), nb = xb.next();
                    assertEquals(na, sa.next());
                    assertEquals(nb, sb.next());
                    if (!na && !nb) break;
                    if (na) assertEquals(xa.labels(), sa.labels());
                    if (nb) assertEquals(xb.labels(), sb.labels());
                    io.tsdb.core.SampleCursor ca = na ? sa.cursor() : null, cb = nb ? sb.cursor() : null;
                    io.tsdb.core.SampleCursor ra = na ? xa.cursor() : null, rb = nb ? xb.cursor() : null;
                    boolean moreA = na, moreB = nb;
                    while (moreA || moreB) {
                        if (moreA) {
                            moreA = ra.next();
                            assertEquals(moreA, ca.next(), "a " + xa.labels());
                            if (moreA) assertEquals(ra.value(), ca.value(), "a " + xa.labels() + " at " + ra.timestamp());
                        }
                        if (moreB) {
                            moreB = rb.next();
                            assertEquals(moreB, cb.next(), "b " + xb.labels());
                            if (moreB) assertEquals(rb.timestamp(), cb.timestamp(), "b " + xb.labels());
                        }
                    }
                    series++;
                }
                assertEquals(true, series > 100, "series read: " + series);
            }
        }
    }

    /**
     * Every series' labels read back as written, in order, where neighbouring series have other label names (the
     * optional zone, path and odd labels: a series shares its predecessor's names array only when they are equal).
     */
    @Test void everySeriesLabelsReadBackWhateverTheNeighboursNames() {
        List<io.tsdb.core.Labels> exp = new ArrayList<>(), act = new ArrayList<>();
        try (Querier e = mem.querier(T0, T0 + SPAN); Querier a = block.querier(T0, T0 + SPAN)) {
            io.tsdb.core.SeriesSet es = e.select(List.of()), as = a.select(List.of());
            while (es.next()) exp.add(es.labels());
            while (as.next()) act.add(as.labels());
        }
        org.junit.jupiter.api.Assertions.assertTrue(exp.size() > 500, "series: " + exp.size());
        assertEquals(exp, act);
        for (int i = 0; i < act.size(); i++) {
            assertEquals(exp.get(i).toString(), act.get(i).toString());
            assertEquals(exp.get(i).hashCode(), act.get(i).hashCode());
        }
    }

    @Test void allSeriesLabelApis() {
        try (Querier exp = mem.querier(T0, T0 + SPAN); Querier act = block.querier(T0 - 5, T0 + SPAN + 5)) {
            assertEquals(exp.labelNames(List.of()), act.labelNames(List.of()));
            assertEquals(exp.labelValues("__name__", List.of()), act.labelValues("__name__", List.of()));
            assertEquals(exp.labelValues("odd", List.of()), act.labelValues("odd", List.of()));
            assertEquals(List.of(), act.labelValues("absent", List.of()));
            assertEquals(exp.seriesCount(List.of()), act.seriesCount(List.of()));
        }
    }
}
