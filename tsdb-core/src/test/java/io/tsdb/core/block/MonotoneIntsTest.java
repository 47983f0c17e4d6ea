package io.tsdb.core.block;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class MonotoneIntsTest {
    @Test
    void givesBackEveryValueAndTakesTwoBytesEachWhenTheDistancesFit() {
        Random rnd = new Random(7);
        for (int n : new int[]{0, 1, 31, 32, 33, 1000, 100_003}) {
            int[] v = new int[n];
            int x = rnd.nextInt(1 << 30);
            for (int i = 0; i < n; i++) v[i] = x += rnd.nextInt(2000);   // 31 steps of < 2,000 fit in 16 bits
            MonotoneInts m = MonotoneInts.of(v, n);
            assertEquals(n, m.size());
            for (int i = 0; i < n; i++) assertEquals(v[i], m.get(i), "value " + i + " of " + n);
            assertTrue(m.heapBytes() <= 2L * n + 4L * ((n + 31) / 32), n + ": " + m.heapBytes());
        }
    }

    @Test
    void keepsPlainIntsWhenADistanceDoesNotFit() {
        int[] v = new int[100];
        for (int i = 0; i < v.length; i++) v[i] = i * 3000;   // 31 * 3,000 > 65,535
        MonotoneInts m = MonotoneInts.of(v, 90);
        assertEquals(90, m.size());
        for (int i = 0; i < 90; i++) assertEquals(v[i], m.get(i));
        assertEquals(4L * 90, m.heapBytes());
        // the edge: a distance of exactly 65,535 fits
        MonotoneInts edge = MonotoneInts.of(new int[]{5, 5 + 65_535, Integer.MAX_VALUE}, 2);
        assertEquals(5 + 65_535, edge.get(1));
        assertEquals(2L * 2 + 4, edge.heapBytes());
    }
}
