package io.tsdb.core.registry;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link Fingerprints} answers as a plain map from fingerprint to the set of its ids would, across merges of its
 * pending pairs into the sorted array, with colliding fingerprints and removals.
 */
class FingerprintsTest {
    /** The reference: fingerprint -> ids. */
    private static int expected(Map<Integer, Set<Integer>> ref, int fp) {
        Set<Integer> ids = ref.get(fp);
        if (ids == null || ids.isEmpty()) return Fingerprints.MISSING;
        return ids.size() > 1 ? Fingerprints.AMBIGUOUS : ids.iterator().next();
    }

    @Test
    void answersAsAMapOfSetsWouldThroughMergesCollisionsAndRemovals() {
        Random rnd = new Random(42);
        Fingerprints f = new Fingerprints();
        Map<Integer, Set<Integer>> ref = new HashMap<>();
        int nextId = 0;
        // a small fingerprint space makes collisions frequent (several ids per fingerprint), negative ones included
        for (int round = 0; round < 6; round++) {
            for (int i = 0; i < 30_000; i++) {
                int fp = rnd.nextInt(40_000) - 20_000;
                int id = rnd.nextInt(10) == 0 && nextId > 0 ? rnd.nextInt(nextId) : nextId++;   // some re-registrations
                f.add(fp, id);
                ref.computeIfAbsent(fp, k -> new HashSet<>()).add(id);
            }
            // remove a random tenth of the pairs in one batch (retention)
            long[] gone = new long[ref.size()];
            int n = 0;
            for (Map.Entry<Integer, Set<Integer>> e : ref.entrySet()) {
                for (var it = e.getValue().iterator(); it.hasNext(); ) {
                    int id = it.next();
                    if (rnd.nextInt(10) == 0 && n < gone.length) {
                        gone[n++] = Fingerprints.pair(e.getKey(), id);
                        it.remove();
                    }
                }
            }
            f.removeAll(gone, n);
            int pairs = 0;
            for (Set<Integer> ids : ref.values()) pairs += ids.size();
            assertEquals(pairs, f.size(), "round " + round);
            for (int fp = -20_001; fp <= 20_001; fp++) {
                assertEquals(expected(ref, fp), f.lookup(fp), "fingerprint " + fp + " in round " + round);
            }
            for (Map.Entry<Integer, Set<Integer>> e : ref.entrySet()) {
                for (int id : e.getValue()) assertTrue(f.contains(e.getKey(), id));
                assertFalse(f.contains(e.getKey(), nextId + 1));
            }
        }
    }

    @Test
    void extremeFingerprintsAndIdsKeepTheirOrder() {
        Fingerprints f = new Fingerprints();
        int[] fps = {Integer.MIN_VALUE, -1, 0, 1, Integer.MAX_VALUE};
        for (int i = 0; i < fps.length; i++) f.add(fps[i], Integer.MAX_VALUE - i);
        for (int i = 0; i < 2 * Fingerprints.MIN_PENDING; i++) f.add(1_000_000 + i, i);   // forces merges
        for (int i = 0; i < fps.length; i++) assertEquals(Integer.MAX_VALUE - i, f.lookup(fps[i]));
        f.add(0, 7);
        assertEquals(Fingerprints.AMBIGUOUS, f.lookup(0));
        f.removeAll(new long[]{Fingerprints.pair(0, Integer.MAX_VALUE - 2)}, 1);
        assertEquals(7, f.lookup(0));
        assertEquals(Fingerprints.MISSING, f.lookup(2));
    }

    /**
     * Fingerprints over the whole int range (the bucket index over the sorted array, sign included), added as the
     * registry adds a new series' pair: {@link Fingerprints#addAbsent} when {@link Fingerprints#lookup} answered
     * MISSING, else {@link Fingerprints#add}; lookups of held and absent fingerprints agree with a map through merges
     * and removals.
     */
    @Test
    void wholeRangeFingerprintsAddedAsTheRegistryDoes() {
        Random rnd = new Random(5);
        Fingerprints f = new Fingerprints();
        Map<Integer, Set<Integer>> ref = new HashMap<>();
        int nextId = 0;
        for (int round = 0; round < 4; round++) {
            for (int i = 0; i < 100_000; i++) {
                // mostly unique fingerprints; a few drawn from a small set to collide
                int fp = rnd.nextInt(50) == 0 ? rnd.nextInt(8) - 4 : rnd.nextInt();
                int id = nextId++;
                if (f.lookup(fp) == Fingerprints.MISSING) {
                    assertTrue(!ref.containsKey(fp) || ref.get(fp).isEmpty(), "fingerprint " + fp + " is held");
                    f.addAbsent(fp, id);
                } else {
                    f.add(fp, id);
                }
                ref.computeIfAbsent(fp, k -> new HashSet<>()).add(id);
            }
            long[] gone = new long[ref.size()];
            int n = 0;
            for (Map.Entry<Integer, Set<Integer>> e : ref.entrySet()) {
                for (var it = e.getValue().iterator(); it.hasNext(); ) {
                    int id = it.next();
                    if (rnd.nextInt(7) == 0) { gone[n++] = Fingerprints.pair(e.getKey(), id); it.remove(); }
                }
            }
            f.removeAll(gone, n);
            ref.values().removeIf(Set::isEmpty);
            for (Map.Entry<Integer, Set<Integer>> e : ref.entrySet()) {
                assertEquals(expected(ref, e.getKey()), f.lookup(e.getKey()), "fingerprint " + e.getKey());
                for (int id : e.getValue()) assertTrue(f.contains(e.getKey(), id));
            }
            for (int i = 0; i < 100_000; i++) {
                int fp = rnd.nextInt();
                assertEquals(expected(ref, fp), f.lookup(fp));
            }
            for (int fp : new int[]{Integer.MIN_VALUE, Integer.MAX_VALUE, 0, -1}) assertEquals(expected(ref, fp), f.lookup(fp));
        }
    }
}
