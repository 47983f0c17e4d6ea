package io.tsdb.core.index;

import org.junit.jupiter.api.Test;
import org.roaringbitmap.RoaringBitmap;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link LabelValues} (the hash table of one label name's values) answers as a sorted map from value to its set of
 * series would, through growth, shrinking, deletions inside probe runs (backward shift) and values whose String hashes
 * collide.
 */
class LabelValuesTest {

    /** Strings of equal hashCode: "Aa" and "BB" hash alike, and so does every concatenation of them of one length. */
    private static String colliding(int bits) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 10; i++) b.append((bits >>> i & 1) == 0 ? "Aa" : "BB");
        return b.toString();
    }

    private static void assertAgrees(Map<String, TreeSet<Integer>> ref, LabelValues v, List<String> universe) {
        assertEquals(ref.size(), v.size());
        assertArrayEquals(ref.keySet().toArray(new String[0]), v.sorted());
        for (String s : universe) {
            TreeSet<Integer> ids = ref.get(s);
            int slot = v.slotOf(new String(s));   // by content, not identity
            if (ids == null) {
                assertEquals(-1, slot, s);
                assertNull(v.postings(s));
                continue;
            }
            assertTrue(slot >= 0, s);
            assertEquals(s, v.key(slot));
            RoaringBitmap want = new RoaringBitmap();
            ids.forEach(want::add);
            assertEquals(want, v.postings(slot), s);
            assertEquals(ids.size(), v.cardinality(slot));
            // a pair of one series from the start holds its id; one that had a bitmap keeps it down to one series
            int single = v.singleId(slot);
            if (single >= 0) assertEquals(List.of(single), new ArrayList<>(ids));
            assertTrue(v.intersects(slot, RoaringBitmap.bitmapOf(ids.last())));
            assertFalse(v.intersects(slot, RoaringBitmap.bitmapOf(-5 + 1_000_000)));
        }
        int held = 0;
        for (int slot = 0; slot < v.capacity(); slot++) if (v.key(slot) != null) held++;
        assertEquals(ref.size(), held);
    }

    @Test void agreesWithASortedMapThroughGrowthChurnAndCollisions() {
        Random rnd = new Random(3);
        LabelValues v = new LabelValues("pod");
        Map<String, TreeSet<Integer>> ref = new TreeMap<>();
        List<String> universe = new ArrayList<>();
        for (int i = 0; i < 300; i++) universe.add("pod-" + i);
        for (int i = 0; i < 64; i++) universe.add(colliding(i));
        universe.add("");
        for (int step = 0; step < 40_000; step++) {
            String s = universe.get(rnd.nextInt(universe.size()));
            int id = rnd.nextInt(2_000);
            // phases: grow to most of the universe, then drain to a few values (the table shrinks), then again
            boolean adding = (step / 5_000) % 2 == 0 ? rnd.nextInt(4) > 0 : rnd.nextInt(4) == 0;
            if (adding) {
                String interned = v.add(new String(s), id);
                TreeSet<Integer> ids = ref.get(s);
                if (ids != null) assertSame(v.key(v.slotOf(s)), interned, "the value held is returned");
                ref.computeIfAbsent(s, k -> new TreeSet<>()).add(id);
            } else {
                TreeSet<Integer> ids = ref.get(s);
                if (ids != null && rnd.nextBoolean()) id = ids.first();   // mostly remove a series that has it
                v.remove(s, id);
                if (ids != null) { ids.remove(id); if (ids.isEmpty()) ref.remove(s); }
            }
            if (step % 500 == 0) assertAgrees(ref, v, universe);
        }
        assertAgrees(ref, v, universe);
        for (String s : new ArrayList<>(ref.keySet())) for (int id : new ArrayList<>(ref.get(s))) v.remove(s, id);
        ref.clear();
        assertAgrees(ref, v, universe);
        assertEquals(8, v.capacity(), "an emptied table shrinks back");
    }

    @Test void aValueOfOneSeriesNeedsNoBitmapUntilASecondComes() {
        LabelValues v = new LabelValues("pod");
        for (int i = 0; i < 100_000; i++) v.add("pod-" + i, i);
        assertEquals(100_000, v.size());
        int slot = v.slotOf("pod-77");
        assertEquals(77, v.singleId(slot));
        v.add("pod-77", 5);
        slot = v.slotOf("pod-77");
        assertEquals(-1, v.singleId(slot));
        assertEquals(RoaringBitmap.bitmapOf(5, 77), v.postings(slot));
        v.remove("pod-77", 77);
        v.remove("pod-77", 5);
        assertEquals(-1, v.slotOf("pod-77"));
        v.add("pod-77", 9);   // the freed bitmap's place is taken again, the pair is of one series again
        assertEquals(9, v.singleId(v.slotOf("pod-77")));
        assertThrows(IllegalArgumentException.class, () -> v.add("x", -1));
    }

    @Test void sortedViewIsBuiltOnDemandAndDroppedOnChange() {
        LabelValues v = new LabelValues("pod");
        for (int i = 0; i < 1000; i++) v.add("p" + i, i);
        assertNull(v.sortedIfStable(), "first read after a change scans");
        String[] s = v.sortedIfStable();
        assertNotNull(s, "a second read without a change sorts");
        assertSame(s, v.sorted());
        v.add("p5", 1001);   // an existing value: no change of the values
        assertSame(s, v.sorted());
        v.add("q", 1002);
        assertNull(v.sortedIfStable());
        assertEquals(1001, v.sorted().length);
    }
}
