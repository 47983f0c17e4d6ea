package io.tsdb.core.block;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tsdb.core.StaleNaN;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class ColumnarBlockCodecTest {
    @Test
    void isTheDefaultAndRoundTripsThroughTheSeam() {
        assertSame(ColumnarBlockCodec.INSTANCE, ChunkCodecs.defaultCodec());
        assertSame(ColumnarBlockCodec.INSTANCE, ChunkCodecs.byId(ColumnarBlockCodec.ID));
        long[] ts = new long[300];
        double[] vs = new double[300];
        for (int i = 0; i < ts.length; i++) { ts[i] = 1_700_000_000_000L + 10_000L * i; vs[i] = i % 17 == 0 ? StaleNaN.VALUE : i % 5; }
        ByteOut out = new ByteOut(16);
        out.u8(0xee); // payloads sit at arbitrary positions of a segment
        ColumnarBlockCodec.INSTANCE.encode(ts, vs, 100, 150, out);
        ByteBuffer seg = ByteBuffer.allocateDirect(out.length() + 3);
        seg.put(out.array(), 0, out.length());
        long[] t2 = new long[150];
        double[] v2 = new double[150];
        assertEquals(150, ColumnarBlockCodec.INSTANCE.decode(seg, 1, out.length() - 1, 150, t2, v2));
        for (int i = 0; i < 150; i++) {
            assertEquals(ts[100 + i], t2[i]);
            assertEquals(Double.doubleToRawLongBits(vs[100 + i]), Double.doubleToRawLongBits(v2[i]));
        }
        assertThrows(IllegalStateException.class, () -> ColumnarBlockCodec.INSTANCE.decode(seg, 1, out.length() - 1, 149, new long[149], new double[149]));
    }
}
