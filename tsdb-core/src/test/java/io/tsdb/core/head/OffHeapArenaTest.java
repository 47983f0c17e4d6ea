package io.tsdb.core.head;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class OffHeapArenaTest {
    static final int SLAB = 1 << 20;

    /** Writes the block's reference into its first and last long. */
    static void stamp(OffHeapArena a, int ref) {
        UnsafeBuffer b = a.slab(ref);
        b.putLong(a.offset(ref), ref);
        b.putLong(a.offset(ref) + a.blockSize() - 8, ref);
    }

    static void check(OffHeapArena a, int ref) {
        UnsafeBuffer b = a.slab(ref);
        assertNotNull(b, "allocated block " + ref + " has no slab");
        if (b.getLong(a.offset(ref)) != ref || b.getLong(a.offset(ref) + a.blockSize() - 8) != ref) fail("block " + ref + " was overwritten");
    }

    /**
     * Random allocations and frees, with whole generations freed at once as a head flush does: no block is handed
     * out twice while allocated (each keeps what was written into it), and the counters follow.
     */
    @Test void blocksAreNeverSharedUnderRandomAllocationFreeAndRelease() {
        for (int blockSize : new int[]{48, 256, 4096}) {
            OffHeapArena a = new OffHeapArena(blockSize);
            Random r = new Random(blockSize);
            java.util.ArrayDeque<Integer> held = new java.util.ArrayDeque<>();
            Set<Integer> heldSet = new HashSet<>();
            int perSlab = SLAB / blockSize;
            for (int round = 0; round < 20; round++) {
                int n = r.nextInt(3 * perSlab);
                for (int i = 0; i < n; i++) {
                    int ref = a.allocate();
                    assertTrue(heldSet.add(ref), "block " + ref + " handed out twice");
                    held.add(ref);
                    stamp(a, ref);
                }
                // free a random share, or (a flush) everything held before this round's allocations
                int toFree = r.nextInt(4) == 0 ? held.size() - n : r.nextInt(held.size() + 1);
                for (int i = 0; i < toFree; i++) {
                    int ref = r.nextInt(4) == 0 ? held.pollLast() : held.pollFirst();
                    heldSet.remove(ref);
                    a.free(ref);
                }
                for (int ref : held) check(a, ref);
                assertEquals((long) held.size() * blockSize, a.bytesInUse());
                long slabsNeeded = (held.size() + perSlab - 1) / perSlab;
                assertTrue(a.bytesReserved() >= slabsNeeded * SLAB);
            }
        }
    }

    /** A flush: a second generation is allocated while the first is held, then the first is freed. */
    @Test void theSlabsOfAFreedGenerationAreGivenBack() {
        OffHeapArena a = new OffHeapArena(256);
        int perSlab = SLAB / 256, n = 40 * perSlab;
        int[] first = new int[n], second = new int[n];
        for (int i = 0; i < n; i++) first[i] = a.allocate();
        for (int i = 0; i < n; i++) second[i] = a.allocate();
        assertEquals(80L * SLAB, a.bytesReserved());
        UnsafeBuffer kept = a.slab(first[0]);
        kept.putLong(a.offset(first[0]), 42);
        for (int ref : first) a.free(ref);
        // empty slabs are released in batches, once a quarter of the slabs are empty: at most a quarter stay
        assertTrue(a.bytesReserved() >= 40L * SLAB && a.bytesReserved() <= 50L * SLAB,
                "the first generation's slabs are released, but for at most a quarter of those left: " + (a.bytesReserved() / SLAB));
        assertNull(a.slab(first[0]));
        assertEquals(42, kept.getLong(0), "a buffer still held stays readable (freed by the collector, not explicitly)");
        // the next generation reuses the lowest released slab numbers: references stay below the high-water mark
        int[] third = new int[n];
        for (int i = 0; i < n; i++) {
            third[i] = a.allocate();
            assertTrue(third[i] < 80 * perSlab, "reference " + third[i] + " beyond the slabs ever used");
            stamp(a, third[i]);
        }
        for (int ref : second) a.free(ref);
        for (int ref : third) check(a, ref);
        assertTrue(a.bytesReserved() >= 40L * SLAB && a.bytesReserved() <= 50L * SLAB, "slabs: " + (a.bytesReserved() / SLAB));
        for (int ref : third) a.free(ref);
        assertTrue(a.bytesReserved() < OffHeapArena.MIN_EMPTY_TO_RELEASE * (long) SLAB,
                "an empty arena keeps fewer than " + OffHeapArena.MIN_EMPTY_TO_RELEASE + " slabs: " + a.bytesReserved());
        assertEquals(0, a.bytesInUse());
    }

    /** A few empty slabs are kept: a small head's flushes do not release and re-create slabs every time. */
    @Test void fewEmptySlabsAreKept() {
        OffHeapArena a = new OffHeapArena(256);
        int perSlab = SLAB / 256;
        int[] refs = new int[3 * perSlab];
        for (int i = 0; i < refs.length; i++) refs[i] = a.allocate();
        for (int ref : refs) a.free(ref);
        assertEquals(3L * SLAB, a.bytesReserved());
    }
}
