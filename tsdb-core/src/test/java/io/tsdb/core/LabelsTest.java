package io.tsdb.core;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class LabelsTest {
    @Test void sharedNamesLabelSetsEqualOrdinaryOnes() {
        String[] names = {"__name__", "host", "region"};
        Labels shared1 = Labels.withSharedNames(names, new String[]{"cpu", "h1", "eu"});
        Labels shared2 = Labels.withSharedNames(names, new String[]{"cpu", "h2", "eu"});
        Labels plain1 = Labels.of("region", "eu", "__name__", "cpu", "host", "h1");
        assertEquals(plain1, shared1);
        assertEquals(shared1, plain1);
        assertEquals(plain1.hashCode(), shared1.hashCode());
        assertNotEquals(shared1, shared2);
        assertEquals("h1", shared1.get("host"));
        assertNull(shared1.get("dc"));
        assertEquals("cpu", shared1.metricName());
        assertTrue(shared1.hasNames(names));
        assertFalse(shared1.hasNames(new String[]{"__name__", "host"}));
        String[] copy = shared1.names();
        copy[0] = "changed";
        assertEquals("__name__", shared1.name(0));
        assertThrows(IllegalArgumentException.class, () -> Labels.withSharedNames(names, new String[]{"a"}));
    }

    @Test void hashIsThatOfTheInterleavedPairs() {
        Labels l = Labels.of("b", "2", "a", "1", "c", "3");
        assertEquals(Arrays.hashCode(new String[]{"a", "1", "b", "2", "c", "3"}), l.hashCode());
        assertEquals(Arrays.hashCode(new String[0]), Labels.EMPTY.hashCode());
    }

    @Test void orderIsThatOfTheInterleavedPairs() {
        Random r = new Random(5);
        List<Labels> ls = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            List<String> kv = new ArrayList<>();
            for (int j = 0, n = r.nextInt(4); j < n; j++) {
                kv.add("n" + r.nextInt(3));
                kv.add("v" + r.nextInt(3));
            }
            ls.add(Labels.of(kv.toArray(new String[0])));
        }
        for (Labels a : ls) {
            for (Labels b : ls) {
                int expected = Integer.signum(Arrays.compare(pairs(a), pairs(b)));
                assertEquals(expected, Integer.signum(a.compareTo(b)), a + " vs " + b);
                assertEquals(expected == 0, a.equals(b));
            }
        }
    }

    private static String[] pairs(Labels l) {
        String[] kv = new String[2 * l.size()];
        for (int i = 0; i < l.size(); i++) { kv[2 * i] = l.name(i); kv[2 * i + 1] = l.value(i); }
        return kv;
    }

    @Test void fromSortedPairs() {
        Labels l = Labels.fromSortedUnsafe(new String[]{"a", "1", "b", "2"});
        assertEquals(Labels.of("a", "1", "b", "2"), l);
        assertEquals(2, l.size());
        assertEquals("b", l.name(1));
        assertEquals("2", l.value(1));
    }

    /** keep/drop give what the builder gives, for random label sets and name lists. */
    @Test void keepAndDropAgreeWithTheBuilder() {
        Random rnd = new Random(3);
        String[] pool = {"__name__", "a", "b", "host", "region", "z"};
        for (int k = 0; k < 2000; k++) {
            List<String> kv = new ArrayList<>();
            for (String n : pool) if (rnd.nextBoolean()) { kv.add(n); kv.add("v" + rnd.nextInt(3)); }
            Labels l = Labels.of(kv.toArray(new String[0]));
            List<String> names = new ArrayList<>();
            for (String n : pool) if (rnd.nextInt(3) == 0) names.add(n);
            if (rnd.nextBoolean()) names.add("absent");
            assertEquals(l.toBuilder().keep(names).build(), l.keep(names));
            Labels.Builder b = l.toBuilder();
            for (String n : names) b.del(n);
            b.del(Labels.METRIC_NAME);
            Labels dropped = l.drop(names, Labels.METRIC_NAME);
            assertEquals(b.build(), dropped);
            assertEquals(b.build().hashCode(), dropped.hashCode());
            assertEquals(0, b.build().compareTo(dropped));
        }
        Labels l = Labels.of("a", "1", "b", "2");
        assertSame(l, l.keep(List.of("a", "b")));
        assertSame(Labels.EMPTY, l.keep(List.of("c")));
        assertSame(l, l.drop(List.of("c"), null));
    }
}
