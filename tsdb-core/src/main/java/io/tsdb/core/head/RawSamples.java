package io.tsdb.core.head;

import org.agrona.concurrent.UnsafeBuffer;

import java.util.Arrays;

/**
 * Uncompressed off-heap {@link SeriesSamples}: 16 bytes per sample (timestamp, value bits) in arena
 * blocks. Interim implementation until the compressed chunk encoder is wired in; also the reference
 * the compressed implementation is tested against.
 */
public final class RawSamples implements SeriesSamples {
    private final OffHeapArena arena;
    private final int perBlock;
    private final int shift;
    private int[] blocks = new int[1];
    private int nBlocks;
    private int n;

    public RawSamples(OffHeapArena arena) {
        this.arena = arena;
        this.perBlock = arena.blockSize() / 16;
        this.shift = Integer.numberOfTrailingZeros(perBlock);
    }

    @Override public void append(long t, double v) {
        int slot = n & (perBlock - 1);
        if (slot == 0) {
            if (nBlocks == blocks.length) blocks = Arrays.copyOf(blocks, nBlocks * 2);
            blocks[nBlocks++] = arena.allocate();
        }
        int ref = blocks[nBlocks - 1];
        UnsafeBuffer b = arena.slab(ref);
        int off = arena.offset(ref) + slot * 16;
        b.putLong(off, t);
        b.putLong(off + 8, Double.doubleToRawLongBits(v));
        n++;
    }

    private long time(int i) {
        int ref = blocks[i >>> shift];
        return arena.slab(ref).getLong(arena.offset(ref) + (i & (perBlock - 1)) * 16);
    }

    @Override public int count() { return n; }

    @Override public long minTime() { return n == 0 ? Long.MAX_VALUE : time(0); }

    @Override public long maxTime() { return n == 0 ? Long.MIN_VALUE : time(n - 1); }

    @Override public void read(long mint, long maxt, SampleBuffer out) {
        int lo = 0, hi = n;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (time(mid) < mint) lo = mid + 1; else hi = mid;
        }
        for (int i = lo; i < n; ) {
            int ref = blocks[i >>> shift];
            UnsafeBuffer b = arena.slab(ref);
            int base = arena.offset(ref);
            int end = Math.min(n, ((i >>> shift) + 1) << shift);
            out.ensure(end - i);
            for (; i < end; i++) {
                int off = base + (i & (perBlock - 1)) * 16;
                long t = b.getLong(off);
                if (t > maxt) return;
                out.t[out.n] = t;
                out.v[out.n] = Double.longBitsToDouble(b.getLong(off + 8));
                out.n++;
            }
        }
    }

    @Override public long memoryBytes() { return (long) nBlocks * arena.blockSize() + 16 + 4L * blocks.length; }

    @Override public int chunks() { return nBlocks; }

    @Override public void clear() {
        for (int i = 0; i < nBlocks; i++) arena.free(blocks[i]);
        nBlocks = 0;
        n = 0;
        blocks = new int[1];
    }
}
