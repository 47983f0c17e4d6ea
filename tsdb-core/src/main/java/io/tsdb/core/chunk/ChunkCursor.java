package io.tsdb.core.chunk;

import io.tsdb.core.SampleCursor;
import org.agrona.DirectBuffer;

/**
 * A reusable {@link SampleCursor} over one chunk: {@link #reset} bulk-decodes the chunk into arrays
 * owned by the cursor (grown when needed, never per sample), then next/seek walk them. The decoded
 * columns are also exposed ({@link #timestamps()}, {@link #values()}, {@link #size()}) for column-wise
 * evaluation. Seek assumes ascending timestamps (what the head and blocks store). Not thread-safe.
 */
public final class ChunkCursor implements SampleCursor {
    private final ChunkDecoder decoder;
    private long[] ts = new long[128];
    private double[] vs = new double[128];
    private int n;
    private int idx = -1;

    public ChunkCursor() { this(new ChunkDecoder()); }

    public ChunkCursor(ChunkDecoder decoder) { this.decoder = decoder; }

    /** Positions the cursor before the first sample of the chunk at buf[off, off+len). */
    public ChunkCursor reset(DirectBuffer buf, int off, int len) {
        int count = ChunkFormat.sampleCount(buf, off, len);
        if (ts.length < count) {
            int cap = Math.max(count, ts.length * 2);
            ts = new long[cap];
            vs = new double[cap];
        }
        n = decoder.decode(buf, off, len, ts, vs);
        idx = -1;
        return this;
    }

    @Override
    public boolean next() {
        if (idx + 1 < n) { idx++; return true; }
        idx = n;
        return false;
    }

    @Override
    public boolean seek(long t) {
        if (idx >= n) return false;
        int lo = Math.max(idx, 0);
        if (lo < n && ts[lo] >= t) { idx = lo; return true; }
        int hi = n; // first index with ts >= t in (lo, n]
        while (lo + 1 < hi) {
            int mid = (lo + hi) >>> 1;
            if (ts[mid] >= t) hi = mid; else lo = mid;
        }
        idx = hi;
        return hi < n;
    }

    @Override
    public long timestamp() { return ts[idx]; }

    @Override
    public double value() { return vs[idx]; }

    /** Number of decoded samples. */
    public int size() { return n; }

    /** Decoded timestamps [0, size()); valid until the next reset. */
    public long[] timestamps() { return ts; }

    /** Decoded values [0, size()); valid until the next reset. */
    public double[] values() { return vs; }
}
