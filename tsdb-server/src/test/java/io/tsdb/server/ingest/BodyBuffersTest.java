package io.tsdb.server.ingest;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Large body arrays are reused between requests, at most a few of them and none larger than the cap, until cleared. */
class BodyBuffersTest {
    @AfterEach void clear() { BodyBuffers.clear(); }

    @Test void anArrayGivenBackIsTakenAgainByABodyItFits() {
        BodyBuffers.clear();
        byte[] a = BodyBuffers.take(2_000_000);
        assertTrue(a.length >= 2_000_000);
        assertEquals(0, a.length % (256 << 10), "sizes are rounded up");
        BodyBuffers.give(a);
        assertEquals(a.length, BodyBuffers.heldBytes());
        assertSame(a, BodyBuffers.take(1_500_000));
        assertEquals(0, BodyBuffers.heldBytes());
        BodyBuffers.give(a);
        assertNotSame(a, BodyBuffers.take(a.length + 1), "too small for this body: a new array");
    }

    @Test void atMostSlotsArraysAreKeptTheLargerOnes() {
        BodyBuffers.clear();
        byte[][] as = new byte[BodyBuffers.SLOTS + 1][];
        for (int i = 0; i < as.length; i++) as[i] = new byte[(i + 1) << 20];
        for (byte[] a : as) BodyBuffers.give(a);
        long want = 0;
        for (int i = 1; i < as.length; i++) want += as[i].length;
        assertEquals(want, BodyBuffers.heldBytes(), "the smallest gave way");
        BodyBuffers.give(new byte[BodyBuffers.MAX_BYTES + 1]);
        assertEquals(want, BodyBuffers.heldBytes(), "an array over the cap is not kept");
        BodyBuffers.clear();
        assertEquals(0, BodyBuffers.heldBytes());
    }
}
