package io.tsdb.core.block;

/**
 * A pair of decode columns (timestamps, values) for a block cursor, and the few each thread keeps between
 * queriers. A block stores a series' samples over the block's whole span in one chunk (an 11-hour block: 3,960 per
 * series at 10 s), and a cursor decodes a whole chunk, so every querier's cursors allocated columns that large anew:
 * most of a small query's garbage (about 60 KB per cursor). A cursor borrows columns here when it needs larger ones
 * than it has; its querier gives them back when it closes, on the thread that closes it.
 *
 * <p>Invariant: a pair is either in its thread's spares or owned by exactly one open querier (borrowing takes it out of
 * the spares), so no two cursors ever decode into the same arrays. A querier is used by one thread at a time.
 */
final class DecodeColumns {
    /** Pairs each thread keeps. */
    static final int SPARES = 4;
    /**
     * Larger pairs are not kept (256 KiB of columns; a day at 10 s is 8,640 samples): a thread keeps at most 1 MiB,
     * typically 4 x 63 KiB on the harness data.
     */
    static final int MAX_KEPT = 1 << 14;

    private static final ThreadLocal<DecodeColumns[]> SPARE = ThreadLocal.withInitial(() -> new DecodeColumns[SPARES]);

    final long[] t;
    final double[] v;

    private DecodeColumns(int n) {
        t = new long[n];
        v = new double[n];
    }

    /** The thread's smallest spare pair of at least {@code n} samples, taken out of the spares, or a new one. */
    static DecodeColumns borrow(int n) {
        DecodeColumns[] spare = SPARE.get();
        int best = -1;
        for (int i = 0; i < spare.length; i++) {
            if (spare[i] != null && spare[i].t.length >= n && (best < 0 || spare[i].t.length < spare[best].t.length)) best = i;
        }
        if (best < 0) return new DecodeColumns(n);
        DecodeColumns c = spare[best];
        spare[best] = null;
        return c;
    }

    /** Gives a pair back to this thread's spares (in place of a smaller one when they are full). */
    static void giveBack(DecodeColumns c) {
        if (c.t.length > MAX_KEPT) return;
        DecodeColumns[] spare = SPARE.get();
        int slot = -1;
        for (int i = 0; i < spare.length; i++) {
            if (spare[i] == null) { slot = i; break; }
            if (spare[i].t.length < c.t.length && (slot < 0 || spare[i].t.length < spare[slot].t.length)) slot = i;
        }
        if (slot >= 0) spare[slot] = c;
    }
}
