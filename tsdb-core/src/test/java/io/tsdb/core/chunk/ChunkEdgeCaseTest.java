package io.tsdb.core.chunk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdb.core.StaleNaN;
import java.util.Arrays;
import java.util.Random;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class ChunkEdgeCaseTest {
    private final ChunkEncoder enc = new ChunkEncoder();
    private final ChunkDecoder dec = new ChunkDecoder();

    private UnsafeBuffer encode(long[] ts, double[] vs) {
        int len = enc.encode(ts, vs, ts.length);
        return new UnsafeBuffer(Arrays.copyOf(enc.array(), len));
    }

    private void roundTrip(long[] ts, double[] vs) {
        UnsafeBuffer b = encode(ts, vs);
        long[] t2 = new long[ts.length];
        double[] v2 = new double[ts.length];
        assertEquals(ts.length, dec.decode(b, 0, b.capacity(), t2, v2));
        assertArrayEquals(ts, t2);
        for (int i = 0; i < vs.length; i++) assertEquals(Double.doubleToRawLongBits(vs[i]), Double.doubleToRawLongBits(v2[i]), "value " + i);
        // and through the head encoding (sorted timestamps only)
        long[] sorted = ts.clone();
        Arrays.sort(sorted);
        if (Arrays.equals(sorted, ts)) {
            ExpandableArrayBuffer hb = new ExpandableArrayBuffer(8);
            XorChunkAppender app = new XorChunkAppender().reset(hb, 0);
            for (int i = 0; i < ts.length; i++) assertTrue(app.append(ts[i], vs[i]));
            Arrays.fill(t2, 0);
            assertEquals(ts.length, dec.decode(hb, 0, app.sizeInBytes(), t2, v2));
            assertArrayEquals(ts, t2);
            for (int i = 0; i < vs.length; i++) assertEquals(Double.doubleToRawLongBits(vs[i]), Double.doubleToRawLongBits(v2[i]), "head value " + i);
        }
    }

    @Test
    void emptyChunk() {
        UnsafeBuffer b = encode(new long[0], new double[0]);
        assertEquals(2, b.capacity());
        assertEquals(0, ChunkFormat.sampleCount(b, 0, 2));
        assertEquals(0, dec.decode(b, 0, 2, new long[0], new double[0]));
        ExpandableArrayBuffer hb = new ExpandableArrayBuffer(8);
        XorChunkAppender app = new XorChunkAppender().reset(hb, 0);
        assertEquals(ChunkFormat.XOR_HEADER_SIZE, app.sizeInBytes());
        assertEquals(0, dec.decode(hb, 0, app.sizeInBytes(), new long[0], new double[0]));
        ChunkCursor c = new ChunkCursor().reset(b, 0, 2);
        assertFalse(c.next());
        assertFalse(c.seek(0));
    }

    @Test
    void singleSamples() {
        roundTrip(new long[] {0}, new double[] {0});
        roundTrip(new long[] {Long.MIN_VALUE}, new double[] {StaleNaN.VALUE});
        roundTrip(new long[] {Long.MAX_VALUE}, new double[] {-0.0});
        roundTrip(new long[] {1_700_000_000_000L}, new double[] {Double.NaN});
    }

    @Test
    void sixtyFourBitExtremes() {
        roundTrip(new long[] {Long.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE, 0, Long.MAX_VALUE},
            new double[] {Double.MAX_VALUE, -Double.MAX_VALUE, Double.MIN_VALUE, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY});
        roundTrip(new long[] {Long.MIN_VALUE, Long.MIN_VALUE + 1, 0, Long.MAX_VALUE - 1, Long.MAX_VALUE},
            new double[] {9007199254740992.0, -9007199254740992.0, 9007199254740993.0, 1, 2});
        roundTrip(new long[] {-1, -1, -1}, new double[] {Long.MAX_VALUE, Long.MIN_VALUE, 1e308});
    }

    @Test
    void equalAndDecreasingTimestamps() {
        roundTrip(new long[] {5, 5, 5, 5}, new double[] {1, 2, 3, 4});
        roundTrip(new long[] {10, 9, 8, 100, -4}, new double[] {1, 1, 1, 1, 2});
        ExpandableArrayBuffer hb = new ExpandableArrayBuffer(8);
        XorChunkAppender app = new XorChunkAppender().reset(hb, 0);
        assertTrue(app.append(10, 1));
        int size = app.sizeInBytes();
        assertThrows(IllegalArgumentException.class, () -> app.append(9, 1));
        assertEquals(1, app.numSamples());
        assertEquals(size, app.sizeInBytes());
        assertTrue(app.append(10, 2));
    }

    @Test
    void specialValuesKeepTheirBits() {
        double[] vs = {Double.NaN, StaleNaN.VALUE, Double.longBitsToDouble(0xfff8000000000000L), Double.longBitsToDouble(0x7ff0000000000001L),
            Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, 0.0, 1, StaleNaN.VALUE};
        long[] ts = new long[vs.length];
        for (int i = 0; i < ts.length; i++) ts[i] = 1000L * i;
        roundTrip(ts, vs);
        // -0.0 among integers must not collapse into 0.0
        roundTrip(new long[] {1, 2, 3}, new double[] {1, -0.0, 2});
        enc.encode(new long[] {1, 2, 3}, new double[] {1, -0.0, 2}, 3);
        assertEquals(ChunkFormat.VAL_XOR_BYTES, enc.lastValueCodec());
    }

    @Test
    void codecChoice() {
        long[] ts = {0, 10, 20, 30};
        enc.encode(ts, new double[] {StaleNaN.VALUE, StaleNaN.VALUE, StaleNaN.VALUE, StaleNaN.VALUE}, 4);
        assertEquals(ChunkFormat.VAL_CONST, enc.lastValueCodec());
        enc.encode(ts, new double[] {0.25, 1.5, 3.75, 100.125}, 4);
        assertEquals(ChunkFormat.VAL_DECIMAL, enc.lastValueCodec());
        enc.encode(ts, new double[] {0.1, 0.2, 0.30000000000000004, 0.4}, 4);
        assertEquals(ChunkFormat.VAL_XOR_BYTES, enc.lastValueCodec());
        roundTrip(ts, new double[] {0.1, 0.2, 0.30000000000000004, 0.4});
        roundTrip(ts, new double[] {0.1, 0.2, 0.3, 1e-15});
    }

    @Test
    void integerSeriesWithStaleMarkersAndNaNsStaysCompact() {
        int n = 720;
        long[] ts = new long[n];
        double[] vs = new double[n];
        Random r = new Random(5);
        double x = 50;
        for (int i = 0; i < n; i++) {
            ts[i] = 1_700_000_000_000L + 10_000L * i;
            x = Math.max(0, Math.min(100, x + r.nextGaussian()));
            vs[i] = Math.rint(x);
        }
        vs[0] = Double.NaN;
        vs[100] = Double.POSITIVE_INFINITY;
        vs[101] = -0.0;
        vs[102] = Double.longBitsToDouble(0xfff8000000000123L);
        vs[n - 1] = StaleNaN.VALUE;
        int len = enc.encode(ts, vs, n);
        assertEquals(ChunkFormat.VAL_DECIMAL_SPECIALS, enc.lastValueCodec());
        assertTrue(len < 0.45 * n, "size " + len);
        roundTrip(ts, vs);
        // too many specials: byte-aligned XOR
        for (int i = 0; i < n; i += 3) vs[i] = StaleNaN.VALUE;
        enc.encode(ts, vs, n);
        assertEquals(ChunkFormat.VAL_XOR_BYTES, enc.lastValueCodec());
        roundTrip(ts, vs);
    }

    @Test
    void fixedBufferReportsFull() {
        UnsafeBuffer slab = new UnsafeBuffer(new byte[128]);
        XorChunkAppender app = new XorChunkAppender().reset(slab, 16);
        Random r = new Random(1);
        int n = 0;
        while (app.append(1000L * n + r.nextInt(1000), r.nextDouble())) n++;
        assertTrue(n > 2, "appended " + n);
        assertTrue(16 + app.sizeInBytes() <= 128);
        long[] ts = new long[n];
        double[] vs = new double[n];
        assertEquals(n, dec.decode(slab, 16, app.sizeInBytes(), ts, vs));
    }

    @Test
    void regionOfALargerBufferIsNeverExceeded() {
        byte[] backing = new byte[4096];
        Arrays.fill(backing, (byte) 0x5a);
        UnsafeBuffer slab = new UnsafeBuffer(backing);
        XorChunkAppender app = new XorChunkAppender().reset(slab, 256, 256);
        Random r = new Random(2);
        int n = 0;
        while (app.append(1000L * n + r.nextInt(1000), r.nextDouble())) n++;
        assertTrue(n > 2, "appended " + n);
        assertTrue(app.sizeInBytes() <= 256);
        for (int i = 0; i < backing.length; i++) if (i < 256 || i >= 512) assertEquals(0x5a, backing[i], "byte " + i + " outside the region");
        long[] ts = new long[n];
        double[] vs = new double[n];
        assertEquals(n, dec.decode(slab, 256, app.sizeInBytes(), ts, vs));
        assertThrows(IllegalArgumentException.class, () -> new XorChunkAppender().reset(slab, 4090, 16));
        assertThrows(IllegalArgumentException.class, () -> new XorChunkAppender().reset(slab, 0, 8));
    }

    @Test
    void corruptInputIsRejectedPrecisely() {
        long[] ts = {0, 10_000, 20_000, 30_000};
        UnsafeBuffer b = encode(ts, new double[] {1.5, 2.5, 3.5, 4.5});
        long[] t2 = new long[4];
        double[] v2 = new double[4];
        for (int cut = 1; cut < b.capacity(); cut++) {
            int len = cut;
            assertThrows(ChunkFormatException.class, () -> dec.decode(b, 0, len, t2, v2), "truncated at " + cut);
        }
        UnsafeBuffer unknown = new UnsafeBuffer(new byte[] {9, 0, 0});
        ChunkFormatException e = assertThrows(ChunkFormatException.class, () -> dec.decode(unknown, 0, 3, t2, v2));
        assertTrue(e.getMessage().contains("unknown chunk encoding id 9"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> dec.decode(b, 0, b.capacity(), new long[2], new double[2]));
        ExpandableArrayBuffer hb = new ExpandableArrayBuffer(8);
        XorChunkAppender app = new XorChunkAppender().reset(hb, 0);
        for (int i = 0; i < 50; i++) app.append(i * 1000L, i * 0.37);
        for (int cut = 1; cut < app.sizeInBytes(); cut += 3) {
            int len = cut;
            assertThrows(ChunkFormatException.class, () -> dec.decode(hb, 0, len, new long[50], new double[50]), "head truncated at " + cut);
        }
    }

    @Test
    void maxSamplesPerChunk() {
        int n = ChunkFormat.MAX_SAMPLES;
        ExpandableArrayBuffer hb = new ExpandableArrayBuffer(1024);
        XorChunkAppender app = new XorChunkAppender().reset(hb, 0);
        for (int i = 0; i < n; i++) assertTrue(app.append(i, i % 7));
        assertFalse(app.append(n, 0));
        int len = enc.recode(hb, 0, app.sizeInBytes());
        UnsafeBuffer col = new UnsafeBuffer(Arrays.copyOf(enc.array(), len));
        ChunkCursor c = new ChunkCursor().reset(col, 0, len);
        assertEquals(n, c.size());
        assertTrue(c.seek(n - 1));
        assertEquals(n - 1, c.timestamp());
        assertEquals((n - 1) % 7, c.value());
        assertThrows(IllegalArgumentException.class, () -> enc.encode(new long[n + 1], new double[n + 1], n + 1));
    }
}
