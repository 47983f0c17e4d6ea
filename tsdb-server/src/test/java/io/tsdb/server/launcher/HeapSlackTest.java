package io.tsdb.server.launcher;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class HeapSlackTest {
    static final long MB = 1L << 20;

    /** Samples every 5 s from {@code from} (ms) to {@code to}: used saws between low and high (young collections). */
    static int trims(HeapSlack s, long from, long to, long low, long high, long committed) {
        int n = 0;
        for (long t = from; t < to; t += 5_000) {
            long used = (t / 5_000) % 2 == 0 ? low : high;
            if (s.observe(t, used, committed)) n++;
        }
        return n;
    }

    @Test void aHeapSizedForWhatItHoldsIsNeverTrimmed() {
        HeapSlack s = new HeapSlack();
        // 200 MB live, eden up to 40 MB, 260 MB committed: slack 60 MB, below the floor and a quarter of 200
        assertEquals(0, trims(s, 0, 3_600_000, 200 * MB, 240 * MB, 260 * MB));
        // a small heap with 50 MB of slack: below the floor
        assertEquals(0, trims(new HeapSlack(), 0, 3_600_000, 20 * MB, 40 * MB, 70 * MB));
    }

    @Test void slackThatLastsAMinuteIsTrimmedAtMostOnceInTwoMinutes() {
        HeapSlack s = new HeapSlack();
        // 75 MB live in a 348 MB heap (the churn run's eden grown to 218 MB), for ten minutes
        int n = trims(s, 0, 600_000, 75 * MB, 90 * MB, 348 * MB);
        assertEquals(5, n, "one after the first minute, then one every two minutes (at 1, 3, 5, 7 and 9 minutes)");
    }

    @Test void aShortBurstIsNoReason() {
        HeapSlack s = new HeapSlack();
        assertEquals(0, trims(s, 0, 120_000, 75 * MB, 90 * MB, 100 * MB));
        assertEquals(0, trims(s, 120_000, 160_000, 75 * MB, 90 * MB, 348 * MB), "40 s of slack");
        assertEquals(0, trims(s, 160_000, 300_000, 75 * MB, 90 * MB, 100 * MB));
        assertEquals(1, trims(s, 300_000, 370_000, 75 * MB, 90 * MB, 348 * MB), "70 s of it");
    }

    @Test void anotherTrimStartsTheWindowAgain() {
        HeapSlack s = new HeapSlack();
        assertEquals(0, trims(s, 0, 55_000, 75 * MB, 90 * MB, 348 * MB));
        s.trimmed(55_000);   // the storage flushed: the trimmer collected for that
        assertEquals(0, trims(s, 55_000, 110_000, 75 * MB, 90 * MB, 348 * MB), "less than a minute since that trim");
        assertEquals(1, trims(s, 110_000, 130_000, 75 * MB, 90 * MB, 348 * MB));
    }
}
