package io.tsdb.core.registry;

import org.agrona.collections.Int2IntHashMap;

import java.util.Arrays;

/**
 * The registry's in-memory multimap from a 32-bit fingerprint of a label set to the series ids registered with it,
 * answering {@link #lookup}: no id ({@link #MISSING}), exactly one id, or several ({@link #AMBIGUOUS}).
 *
 * <p>It holds every registered series (the registry keeps every series that still has data, not only the active
 * ones), so it is the part of the heap that follows the retained history, and it is laid out for size: one sorted
 * array of {@code fingerprint << 32 | id} pairs, 8 bytes a series, searched by bisection, plus a hash map of the
 * pairs added since the array was last rebuilt. The map is merged into the array once it holds a sixteenth as many
 * pairs as the array (at least {@link #MIN_PENDING}), so a put costs amortised constant time, the map stays a
 * small part of the whole, and no merge copies the array more often than every sixteenth of its size in puts.
 * (Agrona's open-addressing map alone, as before, took 16 to 24 bytes a series: a power-of-two capacity at most
 * two-thirds full of 8-byte pairs; 8.4 MB for 480,000 series, now 3.8 MB.)
 *
 * <p>Not thread-safe: the registry calls it under its own monitor.
 */
final class Fingerprints {
    static final int MISSING = -1, AMBIGUOUS = -2;
    /** The pending map is merged into the sorted array at this many pairs, or a sixteenth of the array if more. */
    static final int MIN_PENDING = 4096;

    /** Sorted pairs {@code (long) fingerprint << 32 | id}; the first {@link #size} are in use. */
    private long[] sorted = new long[0];
    private int size;
    /** Pairs added since the last merge: fingerprint -> id, or AMBIGUOUS when two ids were added for it. */
    private final Int2IntHashMap pending = new Int2IntHashMap(MISSING);
    /** Every pending pair whose fingerprint is AMBIGUOUS in {@link #pending}. */
    private long[] pendingAmbiguous = new long[0];
    private int pendingAmbiguousCount;
    /** Pairs in {@link #pending} and {@link #pendingAmbiguous}. */
    private int pendingPairs;
    /**
     * Where each range of fingerprints starts in {@link #sorted}: bucket {@code k} (the top bits of the fingerprint,
     * sign flipped so that buckets follow the signed order) is {@code sorted[buckets[k], buckets[k + 1])}, about 16
     * pairs; null for a small array. A search of a million pairs then touches the bucket's bounds and a cache line or
     * two of pairs, where the bisection of the whole array took a dozen cache misses (two searches per new series).
     */
    private int[] buckets;
    private int bucketShift;

    static long pair(int fingerprint, int id) { return (long) fingerprint << 32 | (id & 0xFFFF_FFFFL); }

    /** Pairs held. */
    int size() { return size + pendingPairs; }

    /** Records that {@code id} is registered with {@code fingerprint} (again: no effect). */
    void add(int fingerprint, int id) {
        if (contains(fingerprint, id)) return;
        int old = pending.get(fingerprint);
        if (old == MISSING) {
            pending.put(fingerprint, id);
        } else {
            if (old != AMBIGUOUS) {
                pending.put(fingerprint, AMBIGUOUS);
                addAmbiguous(pair(fingerprint, old));
            }
            addAmbiguous(pair(fingerprint, id));
        }
        pendingPairs++;
        if (pendingPairs >= Math.max(MIN_PENDING, size >>> 4)) merge();
    }

    private void addAmbiguous(long p) {
        if (pendingAmbiguousCount == pendingAmbiguous.length)
            pendingAmbiguous = Arrays.copyOf(pendingAmbiguous, Math.max(8, 2 * pendingAmbiguous.length));
        pendingAmbiguous[pendingAmbiguousCount++] = p;
    }

    /**
     * As {@link #add} for a fingerprint {@link #lookup} has just answered {@link #MISSING} for, with nothing added
     * since: the pair is known to be absent, so it is not searched for again.
     */
    void addAbsent(int fingerprint, int id) {
        pending.put(fingerprint, id);
        pendingPairs++;
        if (pendingPairs >= Math.max(MIN_PENDING, size >>> 4)) merge();
    }

    /** Index in {@link #sorted} of {@code key} ({@link #pair}), or -(insertion point) - 1, as Arrays.binarySearch. */
    private int search(long key) {
        int[] b = buckets;
        if (b == null) return Arrays.binarySearch(sorted, 0, size, key);
        int k = ((int) (key >>> 32) ^ Integer.MIN_VALUE) >>> bucketShift;
        return Arrays.binarySearch(sorted, b[k], b[k + 1], key);
    }

    /** Rebuilds {@link #buckets} after {@link #sorted} changed. */
    private void index() {
        int bits = size < 256 ? 0 : Math.min(16, 31 - Integer.numberOfLeadingZeros(size >>> 4));
        if (bits == 0) { buckets = null; return; }
        int n = 1 << bits, shift = 32 - bits;
        int[] b = new int[n + 1];
        int k = 0;
        for (int i = 0; i < size; i++) {
            int bk = ((int) (sorted[i] >>> 32) ^ Integer.MIN_VALUE) >>> shift;
            while (k <= bk) b[k++] = i;
        }
        while (k <= n) b[k++] = size;
        buckets = b;
        bucketShift = shift;
    }

    /** Whether exactly this pair is held. */
    boolean contains(int fingerprint, int id) {
        int v = pending.get(fingerprint);
        if (v == id) return true;
        if (v == AMBIGUOUS) {
            long p = pair(fingerprint, id);
            for (int i = 0; i < pendingAmbiguousCount; i++) if (pendingAmbiguous[i] == p) return true;
        }
        return search(pair(fingerprint, id)) >= 0;
    }

    /** The one id registered with {@code fingerprint}, {@link #MISSING}, or {@link #AMBIGUOUS} when there are several. */
    int lookup(int fingerprint) {
        int found = pending.get(fingerprint);
        if (found == AMBIGUOUS) return AMBIGUOUS;
        int i = search(pair(fingerprint, 0));
        for (i = i >= 0 ? i : -(i + 1); i < size && (int) (sorted[i] >>> 32) == fingerprint; i++) {
            int id = (int) sorted[i];
            if (found == MISSING) found = id;
            else if (found != id) return AMBIGUOUS;
        }
        return found;
    }

    /**
     * Forgets the given pairs ({@link #pair}), those held (rare: the series that retention removed from the
     * registry); one pass over the array whatever their number.
     */
    void removeAll(long[] pairs, int n) {
        if (n == 0) return;
        if (pendingPairs > 0) merge();
        long[] gone = Arrays.copyOf(pairs, n);
        Arrays.sort(gone);
        int o = 0, g = 0;
        for (int i = 0; i < size; i++) {
            long x = sorted[i];
            while (g < n && gone[g] < x) g++;
            if (g < n && gone[g] == x) continue;
            sorted[o++] = x;
        }
        size = o;
        if (sorted.length > 2 * size + MIN_PENDING) sorted = Arrays.copyOf(sorted, size);
        index();
    }

    /** Merges the pending pairs into a new sorted array. */
    private void merge() {
        long[] add = new long[pendingPairs];
        int k = 0;
        for (Int2IntHashMap.EntryIterator it = pending.entrySet().iterator(); it.hasNext(); ) {
            it.next();
            if (it.getIntValue() != AMBIGUOUS) add[k++] = pair(it.getIntKey(), it.getIntValue());
        }
        for (int i = 0; i < pendingAmbiguousCount; i++) add[k++] = pendingAmbiguous[i];
        pending.clear();
        pending.compact();
        pendingAmbiguous = new long[0];
        pendingAmbiguousCount = 0;
        pendingPairs = 0;
        mergeSorted(add, k);
    }

    /**
     * Adds many pairs ({@link #pair}) at once, e.g. a whole tier read at open: one sort and one merge instead of a
     * merge every sixteenth of the array. {@code pairs} is sorted in place.
     */
    void addAll(long[] pairs, int n) {
        if (pendingPairs > 0) merge();
        mergeSorted(pairs, n);
    }

    private void mergeSorted(long[] add, int k) {
        Arrays.sort(add, 0, k);
        long[] out = new long[size + k];
        int a = 0, b = 0, o = 0;
        while (a < size || b < k) {
            long x = b >= k || (a < size && sorted[a] <= add[b]) ? sorted[a++] : add[b++];
            if (o == 0 || out[o - 1] != x) out[o++] = x;
        }
        sorted = o == out.length ? out : Arrays.copyOf(out, o);
        size = o;
        index();
    }

    /** Every pair held, sorted ({@link #pair}); the array is this object's own: read its first {@link #size} only. */
    long[] sortedPairs() {
        if (pendingPairs > 0) merge();
        return sorted;
    }

    /** Heap bytes held (the sorted array and the pending map's arrays, estimated). */
    long heapBytes() {
        return 8L * sorted.length + 8L * pending.capacity() + 8L * pendingAmbiguous.length + (buckets == null ? 0 : 4L * buckets.length);
    }
}
