package io.tsdb.core.block;

import io.tsdb.core.chunk.ChunkDecoder;
import io.tsdb.core.chunk.ChunkEncoder;
import io.tsdb.core.chunk.ChunkFormat;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;

/**
 * Block encoding id 2: the closed-chunk columnar encoding of {@code io.tsdb.core.chunk}
 * (docs/format/chunks.md: integer-sequence timestamps; constant, decimal or XOR-byte values). The chunk
 * bytes are stored unchanged, so their own first byte repeats the chunk-level encoding id. This is the
 * default codec of new blocks.
 */
public final class ColumnarBlockCodec implements BlockChunkCodec {
    public static final int ID = 2;
    public static final ColumnarBlockCodec INSTANCE = new ColumnarBlockCodec();

    /** Per-thread scratch: the chunk encoder/decoder keep grown buffers and are not thread-safe. */
    private static final class Scratch {
        final ChunkEncoder enc = new ChunkEncoder();
        final ChunkDecoder dec = new ChunkDecoder();
        final UnsafeBuffer view = new UnsafeBuffer(0, 0);
        long[] ts = new long[0];
        double[] vs = new double[0];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private ColumnarBlockCodec() {}

    @Override public int id() { return ID; }
    @Override public String name() { return "columnar"; }

    /** Largest number of samples this codec accepts in one chunk. */
    public static int maxSamples() { return ChunkFormat.MAX_SAMPLES; }

    @Override public void encode(long[] ts, double[] vs, int off, int n, ByteOut out) {
        Scratch s = SCRATCH.get();
        long[] t = ts;
        double[] v = vs;
        if (off != 0) {
            if (s.ts.length < n) { s.ts = new long[n]; s.vs = new double[n]; }
            System.arraycopy(ts, off, s.ts, 0, n);
            System.arraycopy(vs, off, s.vs, 0, n);
            t = s.ts;
            v = s.vs;
        }
        int len = s.enc.encode(t, v, n);
        out.bytes(s.enc.array(), 0, len);
    }

    @Override public int decode(ByteBuffer src, int pos, int len, int expectedCount, long[] ts, double[] vs) {
        Scratch s = SCRATCH.get();
        s.view.wrap(src, pos, len);
        int n = ChunkDecoder.sampleCount(s.view, 0, len);
        if (n != expectedCount) throw new IllegalStateException("chunk claims " + n + " samples, index says " + expectedCount);
        return s.dec.decode(s.view, 0, len, ts, vs);
    }
}
