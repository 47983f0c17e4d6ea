package io.tsdb.core.block;

import java.util.Arrays;

/**
 * A non-decreasing sequence of non-negative ints kept in about 2 bytes each with constant-time access: every
 * {@value #ANCHOR_EVERY}th value whole (its anchor), each value as its 16-bit distance from its anchor. A sequence
 * in which some distance does not fit in 16 bits is kept as a plain {@code int[]}.
 *
 * <p>Used for what a block index reader keeps on the heap per symbol and per label value (positions in the
 * mapping, symbol refs, postings offsets): those tables follow every distinct value a block holds, pods and
 * instances that came and went included, so the heap of the open blocks follows the retained history; at 4 bytes
 * a number they were 12 bytes per label value, now about 6.5. Immutable, thread-safe.
 */
final class MonotoneInts {
    static final int ANCHOR_SHIFT = 5, ANCHOR_EVERY = 1 << ANCHOR_SHIFT;

    private final int size;
    private final int[] anchors;
    private final char[] deltas;
    /** Non-null when a distance does not fit in 16 bits. */
    private final int[] plain;

    private MonotoneInts(int size, int[] anchors, char[] deltas, int[] plain) {
        this.size = size;
        this.anchors = anchors;
        this.deltas = deltas;
        this.plain = plain;
    }

    /** The first {@code n} values of {@code values} (non-decreasing; the caller checked). */
    static MonotoneInts of(int[] values, int n) {
        int[] anchors = new int[(n + ANCHOR_EVERY - 1) >>> ANCHOR_SHIFT];
        char[] deltas = new char[n];
        for (int i = 0; i < n; i++) {
            if ((i & (ANCHOR_EVERY - 1)) == 0) anchors[i >>> ANCHOR_SHIFT] = values[i];
            long d = (long) values[i] - anchors[i >>> ANCHOR_SHIFT];
            if (d < 0 || d > Character.MAX_VALUE) return new MonotoneInts(n, null, null, Arrays.copyOf(values, n));
            deltas[i] = (char) d;
        }
        return new MonotoneInts(n, anchors, deltas, null);
    }

    int size() { return size; }

    int get(int i) {
        if (plain != null) return plain[i];
        return anchors[i >>> ANCHOR_SHIFT] + deltas[i];
    }

    /** Heap bytes of the arrays. */
    long heapBytes() { return plain != null ? 4L * plain.length : 4L * anchors.length + 2L * deltas.length; }
}
