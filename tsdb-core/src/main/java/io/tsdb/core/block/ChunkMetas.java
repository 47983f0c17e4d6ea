package io.tsdb.core.block;

import java.util.Arrays;

/** Reusable columns of one series' chunk metadata: time range, sample count and chunk reference. */
final class ChunkMetas {
    int n;
    long[] mint = new long[4];
    long[] maxt = new long[4];
    int[] count = new int[4];
    long[] ref = new long[4];

    void clear() { n = 0; }

    void add(long mi, long ma, int c, long r) {
        if (n == mint.length) {
            int cap = n * 2;
            mint = Arrays.copyOf(mint, cap);
            maxt = Arrays.copyOf(maxt, cap);
            count = Arrays.copyOf(count, cap);
            ref = Arrays.copyOf(ref, cap);
        }
        mint[n] = mi; maxt[n] = ma; count[n] = c; ref[n] = r;
        n++;
    }

    /** Whether any chunk overlaps [from, to]. */
    boolean overlaps(long from, long to) {
        for (int i = 0; i < n; i++) if (mint[i] <= to && maxt[i] >= from) return true;
        return false;
    }

    int maxCount() {
        int m = 0;
        for (int i = 0; i < n; i++) m = Math.max(m, count[i]);
        return m;
    }
}
