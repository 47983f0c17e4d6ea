package io.tsdb.core.index;

import org.roaringbitmap.RoaringBitmap;

import java.util.Arrays;

/**
 * The values of one label name in the {@link LabelIndex}: an open-addressing hash table (linear probing, deletion by
 * backward shift, no tombstones) from each distinct value, interned (the one String every series with it shares), to
 * the postings of the pair. Two parallel arrays, 8 bytes a slot: the value, and an int that is the pair's one series id
 * (a pod, an instance or an id label of a churning fleet: one series per value) or, negative, the index of the pair's
 * bitmap in {@link #bitmaps}. So a value held by one series costs a slot and no object of its own, where the
 * {@code TreeMap} before took an entry (40 bytes) and a boxed id (16 bytes), two objects for the collector to mark,
 * and a descent of string comparisons plus a rebalancing per insert.
 *
 * <p>Sorted order (the label-values API, the prefix of a regular expression) comes from {@link #sorted()}: the values
 * sorted on demand and kept until the next value comes or goes.
 *
 * <p>Not thread-safe: the index's write lock guards changes; readers under its read lock may build the sorted view
 * concurrently (the field is volatile and every reader builds the same array).
 */
final class LabelValues {
    private static final RoaringBitmap[] NO_BITMAPS = {};
    private static final int[] NO_INTS = {};
    /** Slots: a value, or null for a free slot. Length a power of two. */
    private String[] keys;
    /** Per slot: the series id (>= 0) of a pair of one series, or -(b + 1) for the pair's bitmap bitmaps[b]. */
    private int[] ids;
    private int size;
    /** Bitmaps of pairs of two series or more; freed entries are null and listed in {@link #freeBitmaps}. */
    private RoaringBitmap[] bitmaps = NO_BITMAPS;
    private int bitmapCount;
    private int[] freeBitmaps = NO_INTS;
    private int freeCount;
    /** The values sorted, until the next change; null when not built. */
    private volatile String[] sorted;
    /** Reads wanting the order since the last change that found no sorted view (see {@link #sortedIfStable}). */
    private int unsortedReads;
    /** The label name (interned) and the series that have it. */
    final String name;
    final RoaringBitmap present = new RoaringBitmap();

    LabelValues(String name) {
        this.name = name;
        keys = new String[8];
        ids = new int[8];
    }

    int size() { return size; }

    /** Slots to iterate over: {@code 0 <= slot < capacity()}, skipping those where {@link #key} is null. */
    int capacity() { return keys.length; }

    /** The value in a slot, or null. */
    String key(int slot) { return keys[slot]; }

    private static int home(String v, int mask) {
        // Fibonacci hashing, the product's top bits: the String hashes of numbered values (pod-1, pod-2) are close
        return (v.hashCode() * 0x9E3779B9) >>> Integer.numberOfLeadingZeros(mask);
    }

    /** The slot of a value, or -1. */
    int slotOf(String value) {
        String[] k = keys;
        int mask = k.length - 1;
        for (int i = home(value, mask); ; i = (i + 1) & mask) {
            String s = k[i];
            if (s == null) return -1;
            if (s == value || s.equals(value)) return i;
        }
    }

    /**
     * Adds series {@code id} to the postings of {@code value} and returns the value's interned string (the one
     * already held, or {@code value} now held).
     */
    String add(String value, int id) {
        if (id < 0) throw new IllegalArgumentException("negative series id " + id);
        String[] k = keys;
        int mask = k.length - 1;
        int i = home(value, mask);
        for (; ; i = (i + 1) & mask) {
            String s = k[i];
            if (s == null) break;
            if (s == value || s.equals(value)) {
                int p = ids[i];
                if (p < 0) bitmaps[-p - 1].add(id);
                else if (p != id) ids[i] = -newBitmap(RoaringBitmap.bitmapOf(p, id)) - 1;
                return s;
            }
        }
        k[i] = value;
        ids[i] = id;
        size++;
        changed();
        if (size * 10L >= k.length * 7L) resize(k.length * 2);
        return value;
    }

    /** Removes series {@code id} from the postings of {@code value}; the value goes when no series has it. */
    void remove(String value, int id) {
        int i = slotOf(value);
        if (i < 0) return;
        int p = ids[i];
        if (p < 0) {
            RoaringBitmap bm = bitmaps[-p - 1];
            bm.remove(id);
            if (!bm.isEmpty()) return;
            freeBitmap(-p - 1);
        } else if (p != id) {
            return;
        }
        deleteSlot(i);
        size--;
        changed();
        if (keys.length > 8 && size * 8L < keys.length) resize(Math.max(8, Integer.highestOneBit(Math.max(1, size) * 3 - 1) << 1));
    }

    private void changed() {
        sorted = null;
        unsortedReads = 0;
    }

    /** Backward-shift deletion: moves later entries of the probe run into the gap so lookups need no tombstones. */
    private void deleteSlot(int i) {
        String[] k = keys;
        int mask = k.length - 1;
        for (int j = (i + 1) & mask; k[j] != null; j = (j + 1) & mask) {
            int h = home(k[j], mask);
            // the entry at j may fill the gap at i unless its home lies cyclically in (i, j]
            boolean stays = i <= j ? (i < h && h <= j) : (i < h || h <= j);
            if (stays) continue;
            k[i] = k[j];
            ids[i] = ids[j];
            i = j;
        }
        k[i] = null;
        ids[i] = 0;
    }

    private void resize(int capacity) {
        String[] oldKeys = keys;
        int[] oldIds = ids;
        String[] k = new String[capacity];
        int[] v = new int[capacity];
        int mask = capacity - 1;
        for (int s = 0; s < oldKeys.length; s++) {
            String key = oldKeys[s];
            if (key == null) continue;
            int i = home(key, mask);
            while (k[i] != null) i = (i + 1) & mask;
            k[i] = key;
            v[i] = oldIds[s];
        }
        keys = k;
        ids = v;
    }

    private int newBitmap(RoaringBitmap bm) {
        int b;
        if (freeCount > 0) {
            b = freeBitmaps[--freeCount];
        } else {
            if (bitmapCount == bitmaps.length) bitmaps = Arrays.copyOf(bitmaps, Math.max(4, bitmapCount * 2));
            b = bitmapCount++;
        }
        bitmaps[b] = bm;
        return b;
    }

    private void freeBitmap(int b) {
        bitmaps[b] = null;
        if (freeCount == freeBitmaps.length) freeBitmaps = Arrays.copyOf(freeBitmaps, Math.max(4, freeCount * 2));
        freeBitmaps[freeCount++] = b;
    }

    /** The pair's postings as a bitmap (a new one for a pair of one series): do not modify. */
    RoaringBitmap postings(int slot) {
        int p = ids[slot];
        return p < 0 ? bitmaps[-p - 1] : RoaringBitmap.bitmapOf(p);
    }

    /** The postings of a value (null for none): do not modify. */
    RoaringBitmap postings(String value) {
        int i = slotOf(value);
        return i < 0 ? null : postings(i);
    }

    /** The series id of a pair of one series, or -1 when the pair has a bitmap ({@link #postings(int)}). */
    int singleId(int slot) {
        int p = ids[slot];
        return p < 0 ? -1 : p;
    }

    long cardinality(int slot) {
        int p = ids[slot];
        return p < 0 ? bitmaps[-p - 1].getLongCardinality() : 1;
    }

    /** Whether the pair's postings and {@code filter} share a series. */
    boolean intersects(int slot, RoaringBitmap filter) {
        int p = ids[slot];
        return p < 0 ? RoaringBitmap.intersects(bitmaps[-p - 1], filter) : filter.contains(p);
    }

    /** The values sorted (built now if needed, kept until the next change): do not modify. */
    String[] sorted() {
        String[] s = sorted;
        if (s == null) {
            s = new String[size];
            int n = 0;
            for (String k : keys) if (k != null) s[n++] = k;
            Arrays.sort(s);
            sorted = s;
        }
        return s;
    }

    /**
     * The sorted values if they are built, or built now when the values did not change since an earlier read that
     * wanted them; else null (a read during a burst of new values scans instead of sorting all values each time).
     */
    String[] sortedIfStable() {
        String[] s = sorted;
        if (s != null || size <= 64 || ++unsortedReads >= 2) return sorted();
        return null;
    }
}
