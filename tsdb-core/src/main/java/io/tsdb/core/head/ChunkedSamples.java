package io.tsdb.core.head;

import io.tsdb.core.chunk.ChunkDecoder;
import io.tsdb.core.chunk.ChunkEncoder;
import io.tsdb.core.chunk.XorChunkAppender;

import java.util.Arrays;

/**
 * Compressed off-heap {@link SeriesSamples}: samples are appended to an open Gorilla (XOR stream) chunk
 * in a fixed 256-byte off-heap block; when the block is full (or holds {@link #MAX_OPEN_SAMPLES}) the
 * chunk is cut, re-encoded in the columnar encoding and moved to a right-sized off-heap block.
 *
 * <p>One instance per active series (two while a flush's frozen samples are still readable), so its fields
 * are kept few: the open chunk is addressed in its arena's shared slab buffer (no buffer object per series),
 * and the sample count of closed chunks is read from their packed descriptors.
 */
public final class ChunkedSamples implements SeriesSamples {
    static final int MAX_OPEN_SAMPLES = 480;
    private static final ThreadLocal<ChunkEncoder> ENCODER = ThreadLocal.withInitial(ChunkEncoder::new);
    private static final ThreadLocal<ChunkDecoder> DECODER = ThreadLocal.withInitial(ChunkDecoder::new);

    private final ChunkMemory mem;
    private XorChunkAppender appender;   // null until the first sample
    /** The open chunk's block: a reference into the open arena, or {@link #FIRST} | one into the first-sample arena; -1: none. */
    private int openRef = -1;
    private static final int FIRST = 1 << 30;
    /** Per closed chunk: minT, maxT, descriptor ({@link #descriptor}: address, length, count). */
    private long[] closed;
    private int nClosed;

    public ChunkedSamples(ChunkMemory mem) { this.mem = mem; }

    @Override public void append(long t, double v) {
        if (appender == null) appender = new XorChunkAppender();
        if (openRef < 0) startOpen();
        if (appender.numSamples() >= MAX_OPEN_SAMPLES || !appender.append(t, v)) {
            if ((openRef & FIRST) != 0 && appender.numSamples() < MAX_OPEN_SAMPLES) {
                moveToOpenBlock();
                if (appender.append(t, v)) return;
            }
            cut();
            startOpen();
            if (!appender.append(t, v)) throw new IllegalStateException("empty head chunk refused a sample");
        }
    }

    /**
     * A series' first chunk starts in a small block ({@link ChunkMemory#FIRST_CHUNK_BYTES}), moved at its second sample:
     * a series sent once holds 48 bytes, not 256. Later chunks start in the open block.
     */
    private void startOpen() {
        if (nClosed > 0) {
            // a series that filled a chunk keeps coming: its next chunk starts in the open block (moving every chunk
            // at its second sample cost about 10 % of the ingest CPU at 10k series, one move per ~25 samples)
            OffHeapArena a = mem.openArena();
            openRef = a.allocate();
            appender.reset(a.slab(openRef), a.offset(openRef), a.blockSize());
            return;
        }
        OffHeapArena a = mem.firstArena();
        int ref = a.allocate();
        appender.reset(a.slab(ref), a.offset(ref), a.blockSize());
        openRef = FIRST | ref;
    }

    private void moveToOpenBlock() {
        OffHeapArena a = mem.openArena();
        int ref = a.allocate();
        appender.moveTo(a.slab(ref), a.offset(ref), a.blockSize());
        mem.firstArena().free(openRef & ~FIRST);
        openRef = ref;
    }

    private void freeOpen() {
        if ((openRef & FIRST) != 0) mem.firstArena().free(openRef & ~FIRST);
        else mem.openArena().free(openRef);
        openRef = -1;
    }

    /** Re-encodes the open chunk as a closed columnar chunk and frees the open block. */
    private void cut() {
        int n = appender.numSamples();
        if (n > 0) {
            ChunkEncoder enc = ENCODER.get();
            int len = enc.recode(appender.buffer(), appender.offset(), appender.sizeInBytes());
            long addr = mem.store(enc.array(), len);
            if (closed == null) closed = new long[3];
            else if (3 * nClosed + 3 > closed.length) closed = Arrays.copyOf(closed, closed.length * 2);
            closed[3 * nClosed] = appender.minTime();
            closed[3 * nClosed + 1] = appender.maxTime();
            closed[3 * nClosed + 2] = descriptor(addr, len, n);
            nClosed++;
        }
        freeOpen();
    }

    /** Packs a closed chunk's 40-bit address, length (1..32768) and sample count (below 512). */
    static long descriptor(long addr, int len, int n) {
        return addr << 24 | (long) (len - 1) << 9 | n;
    }

    private static long address(long d) { return d >>> 24; }

    private static int length(long d) { return (int) ((d >>> 9) & 0x7fff) + 1; }

    private static int samples(long d) { return (int) (d & 0x1ff); }

    @Override public boolean closeOpenChunk() {
        if (openRef < 0) return false;
        cut();
        appender = null;   // 80 bytes of heap a quiet series need not keep; the next append makes a new one
        return true;
    }

    private int openCount() { return openRef < 0 ? 0 : appender.numSamples(); }

    @Override public int count() {
        int sum = openCount();
        for (int i = 0; i < nClosed; i++) sum += samples(closed[3 * i + 2]);
        return sum;
    }

    @Override public long minTime() {
        if (nClosed > 0) return closed[0];
        return openCount() > 0 ? appender.minTime() : Long.MAX_VALUE;
    }

    @Override public long maxTime() {
        if (openCount() > 0) return appender.maxTime();
        return nClosed > 0 ? closed[3 * nClosed - 2] : Long.MIN_VALUE;
    }

    @Override public void read(long mint, long maxt, SampleBuffer out) {
        ChunkDecoder dec = DECODER.get();
        for (int i = 0; i < nClosed; i++) {
            long cmin = closed[3 * i], cmax = closed[3 * i + 1];
            if (cmax < mint) continue;
            if (cmin > maxt) return;
            long m = closed[3 * i + 2];
            long addr = address(m);
            decodeRange(dec, mem.buffer(addr), mem.offset(addr), length(m), samples(m), mint, maxt, out);
        }
        int n = openCount();
        if (n > 0 && appender.maxTime() >= mint && appender.minTime() <= maxt) {
            decodeRange(dec, appender.buffer(), appender.offset(), appender.sizeInBytes(), n, mint, maxt, out);
        }
    }

    private static void decodeRange(ChunkDecoder dec, org.agrona.DirectBuffer buf, int off, int len, int n,
                                     long mint, long maxt, SampleBuffer out) {
        long[] st = out.scratchT(n);
        double[] sv = out.scratchV(n);
        dec.decode(buf, off, len, st, sv);
        int lo = 0;
        while (lo < n && st[lo] < mint) lo++;
        int hi = n;
        while (hi > lo && st[hi - 1] > maxt) hi--;
        int k = hi - lo;
        if (k <= 0) return;
        out.ensure(k);
        System.arraycopy(st, lo, out.t, out.n, k);
        System.arraycopy(sv, lo, out.v, out.n, k);
        out.n += k;
    }

    @Override public long memoryBytes() {
        long sum = 32 + (appender == null ? 0 : 80) + (closed == null ? 0 : 16 + 8L * closed.length);
        if (openRef >= 0) sum += (openRef & FIRST) != 0 ? ChunkMemory.FIRST_CHUNK_BYTES : ChunkMemory.OPEN_CHUNK_BYTES;
        for (int i = 0; i < nClosed; i++) sum += ChunkMemory.capacity(address(closed[3 * i + 2]));
        return sum;
    }

    @Override public int chunks() { return nClosed + (openRef >= 0 ? 1 : 0); }

    @Override public void clear() {
        for (int i = 0; i < nClosed; i++) mem.free(address(closed[3 * i + 2]), length(closed[3 * i + 2]));
        if (openRef >= 0) freeOpen();
        closed = null;
        nClosed = 0;
        appender = null;
    }
}
