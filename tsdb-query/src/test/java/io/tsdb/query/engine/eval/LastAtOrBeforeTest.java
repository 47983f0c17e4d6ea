package io.tsdb.query.engine.eval;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@link Selectors#lastAtOrBefore}'s galloping search against the one-sample-at-a-time walk it replaced. */
class LastAtOrBeforeTest {
    private static int linear(long[] t, int j, int n, long lim) {
        while (j + 1 < n && t[j + 1] <= lim) j++;
        return j;
    }

    @Test
    void agreesWithTheLinearWalk() {
        SplittableRandom rnd = new SplittableRandom(7);
        for (int round = 0; round < 2_000; round++) {
            int n = rnd.nextInt(0, 200);
            long[] t = new long[n + rnd.nextInt(0, 3)];   // arrays longer than n: only [0, n) counts
            long x = rnd.nextLong(-1_000, 1_000);
            for (int i = 0; i < t.length; i++) {
                x += rnd.nextInt(0, 4) == 0 ? 0 : rnd.nextInt(1, 50);   // repeated timestamps too
                t[i] = x;
            }
            int j = -1;
            long lim = t.length == 0 ? 0 : t[0] - rnd.nextInt(0, 100);
            while (true) {
                int expect = linear(t, j, n, lim);
                assertEquals(expect, Selectors.lastAtOrBefore(t, j, n, lim), "n=" + n + " j=" + j + " lim=" + lim);
                j = expect;
                if (j == n - 1 || n == 0) break;
                lim += rnd.nextInt(0, 4) == 0 ? 0 : rnd.nextInt(1, 400);   // steps over none, one or many samples
            }
        }
    }

    @Test
    void edges() {
        long[] t = {10, 20, 30, 40};
        assertEquals(-1, Selectors.lastAtOrBefore(t, -1, 4, 9));
        assertEquals(0, Selectors.lastAtOrBefore(t, -1, 4, 10));
        assertEquals(3, Selectors.lastAtOrBefore(t, -1, 4, Long.MAX_VALUE));
        assertEquals(2, Selectors.lastAtOrBefore(t, 1, 3, Long.MAX_VALUE));   // n bounds it
        assertEquals(1, Selectors.lastAtOrBefore(t, 1, 4, 29));
        assertEquals(-1, Selectors.lastAtOrBefore(null, -1, 0, 5));
    }
}
