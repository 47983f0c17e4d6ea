package io.tsdb.core.wal;

import io.tsdb.core.StaleNaN;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class SamplesCodecTest {

    @Test void roundTripsEveryValueBitExactAndAnyTimestamp() {
        double[] special = {0.0, -0.0, 1, -1, 42, 1e15, (double) (1L << 53), (double) ((1L << 53) - 1), -(double) ((1L << 53) - 1),
                9.2e18, -9.3e18, Double.NaN, StaleNaN.VALUE, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
                Double.MIN_VALUE, Double.MAX_VALUE, 0.1, 123.456, Double.longBitsToDouble(0x7ff8dead0000beefL)};
        long[] times = {0, 1, -1, Long.MAX_VALUE, Long.MIN_VALUE, 1_700_000_000_000L, -1_700_000_000_000L};
        Random rnd = new Random(5);
        int n = 5000;
        int[] ids = new int[n];
        long[] ts = new long[n];
        double[] vs = new double[n];
        for (int i = 0; i < n; i++) {
            ids[i] = i % 7 == 0 ? Integer.MAX_VALUE - i : rnd.nextInt(1_000_000);
            ts[i] = i < times.length ? times[i] : 1_700_000_000_000L + rnd.nextInt(100_000) - 50_000;
            vs[i] = i < special.length ? special[i] : (i % 2 == 0 ? rnd.nextInt(201) - 100 : rnd.nextGaussian() * 1e6);
        }
        ByteBuffer b = ByteBuffer.allocate(SamplesCodec.maxBodyBytes(n)).order(ByteOrder.LITTLE_ENDIAN);
        SamplesCodec.encode(b, ids, ts, vs, 0, n);
        int end = b.position();
        List<long[]> got = new ArrayList<>();
        assertEquals(n, SamplesCodec.decode(b, 0, end, (id, t, bits) -> got.add(new long[]{id, t, bits})));
        for (int i = 0; i < n; i++) {
            assertEquals(ids[i], got.get(i)[0], "id " + i);
            assertEquals(ts[i], got.get(i)[1], "t " + i);
            assertEquals(Double.doubleToRawLongBits(vs[i]), got.get(i)[2], "value " + i + " " + vs[i]);
        }
        // truncated or padded bodies are rejected, never half-decoded silently
        assertThrows(IllegalArgumentException.class, () -> SamplesCodec.decode(b, 0, end - 1, null));
        assertThrows(IllegalArgumentException.class, () -> SamplesCodec.decode(b, 0, end + 1, null));
    }

    @Test void integerSamplesOfOneScrapeAreSmall() {
        int n = 1000;
        int[] ids = new int[n];
        long[] ts = new long[n];
        double[] vs = new double[n];
        for (int i = 0; i < n; i++) { ids[i] = 100_000 + i; ts[i] = 1_700_000_000_000L; vs[i] = i % 101; }
        ByteBuffer b = ByteBuffer.allocate(SamplesCodec.maxBodyBytes(n)).order(ByteOrder.LITTLE_ENDIAN);
        SamplesCodec.encode(b, ids, ts, vs, 0, n);
        assertTrue(b.position() <= 12 + 6 * n, "bytes: " + b.position());
    }
}
