package io.tsdb.core.head;

import io.tsdb.core.chunk.HistogramChunkAppender;
import io.tsdb.core.chunk.HistogramChunkFormat;
import io.tsdb.core.chunk.HistogramChunkIterator;
import io.tsdb.core.histogram.CounterResetHint;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.histogram.Histogram;
import io.tsdb.core.histogram.HistogramEquality;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.Arrays;

/**
 * The native histogram samples of one head series (allocated at its first histogram; its float samples stay in
 * {@link SeriesSamples}): in-order samples in histogram chunks (docs/format/histogram-chunks.md), integer
 * ({@code 0x03}) or float ({@code 0x04}), plus a small sorted on-heap list of out-of-order ones (copies).
 *
 * <p>The open chunk grows in an on-heap buffer; it is closed (its bytes stored through {@link ChunkMemory}, so in
 * the chunks_head/ segment files when the head has them, else off-heap; on the heap only above the 32 KiB a
 * closed chunk may take there) when it holds {@link #MAX_CHUNK_SAMPLES} samples or {@link #TARGET_CHUNK_BYTES},
 * when the chunk appender asks for a cut (new schema, zero threshold or custom bounds, a counter reset, gauge
 * versus counter, full), when the sample kind switches between integer and float histograms, and when the series
 * switches to float samples ({@link #closeOpen()}, called by the head): so a series that alternates between
 * float and histogram samples gets a new chunk on each switch, as in Prometheus's head.
 *
 * <p>A chunk cut for a counter reset starts with the hint COUNTER_RESET; otherwise the first sample's own hint
 * is recorded. Not thread-safe: the head serialises access per series (the series' monitor).
 */
final class HistogramSamples {
    static final int MAX_CHUNK_SAMPLES = 120;
    static final int TARGET_CHUNK_BYTES = 1024;
    private static final int MAX_FILE_CHUNK = 32768;
    private static final ThreadLocal<HistogramChunkIterator> ITER = ThreadLocal.withInitial(HistogramChunkIterator::new);
    private static final ThreadLocal<UnsafeBuffer> VIEW = ThreadLocal.withInitial(() -> new UnsafeBuffer(0, 0));

    private final ChunkMemory mem;
    /** Per closed chunk: min and max timestamp, sample count, byte length, address in {@link #mem} (-1: {@link #heap}). */
    private long[] cmin = new long[2], cmax = new long[2], addr = new long[2];
    private int[] clen = new int[2], ccount = new int[2];
    private byte[][] heap;
    private int nClosed;

    private HistogramChunkAppender app;
    private ExpandableArrayBuffer openBuf;
    /** Timestamp of the open chunk's first sample. */
    private long openMin;
    private boolean open;

    /** Out-of-order samples: sorted timestamps and their copies (Histogram or FloatHistogram). */
    private long[] ot;
    private Object[] oh;
    private int on;

    /** The last in-order sample as appended (duplicate checks); {@link #lastKind} says which. */
    private Histogram lastInt;
    private FloatHistogram lastFloat;
    private byte lastKind;

    /** @param mem where closed chunks go (null: the heap) */
    HistogramSamples(ChunkMemory mem) { this.mem = mem; }

    private static final Histogram STALE_INT = new Histogram().setStale();
    private static final FloatHistogram STALE_FLOAT = new FloatHistogram().setStale();

    /** Appends an in-order sample (t newer than every sample of the series): exactly one of h, f is non-null. */
    void append(long t, Histogram h, FloatHistogram f) {
        byte enc = h != null ? HistogramChunkFormat.ENC_HISTOGRAM : HistogramChunkFormat.ENC_FLOAT_HISTOGRAM;
        if (open && app.encoding() != enc) closeOpen();
        if (!open) startOpen(enc, null);
        int r = h != null ? app.append(t, h) : app.append(t, f);
        if (r != HistogramChunkFormat.APPENDED) {
            closeOpen();
            startOpen(enc, r == HistogramChunkFormat.CUT_COUNTER_RESET ? CounterResetHint.COUNTER_RESET : null);
            r = h != null ? app.append(t, h) : app.append(t, f);
            if (r != HistogramChunkFormat.APPENDED) throw new IllegalStateException("empty histogram chunk refused a sample: " + HistogramChunkFormat.cutReason(r));
        }
        if (app.numSamples() == 1) openMin = t;
        if (app.numSamples() >= MAX_CHUNK_SAMPLES || app.sizeInBytes() >= TARGET_CHUNK_BYTES) closeOpen();
        if (h != null) {
            if (lastInt == null) lastInt = new Histogram();
            lastInt.copyFrom(h);
            lastKind = HistogramBuffer.INT;
        } else {
            if (lastFloat == null) lastFloat = new FloatHistogram();
            lastFloat.copyFrom(f);
            lastKind = HistogramBuffer.FLOAT;
        }
    }

    /** Appends a stale marker of the kind of the last in-order sample (a float StaleNaN ending a histogram series). */
    void appendStale(long t, byte kind) {
        if (kind == HistogramBuffer.INT) append(t, STALE_INT, null); else append(t, null, STALE_FLOAT);
    }

    private void startOpen(byte enc, CounterResetHint firstHint) {
        if (app == null) app = new HistogramChunkAppender();
        if (openBuf == null) openBuf = new ExpandableArrayBuffer(256);
        app.reset(openBuf, 0, enc);
        if (firstHint != null) app.firstSampleHint(firstHint);
        open = true;
    }

    /** Closes the open chunk (if any): its bytes move to the closed chunks; the next append starts a new one. */
    boolean closeOpen() {
        if (!open) return false;
        open = false;
        int n = app.numSamples();
        if (n == 0) return true;
        int len = app.sizeInBytes();
        byte[] src = openBuf.byteArray();
        long a = -1;
        byte[] copy = null;
        if (mem != null && len <= MAX_FILE_CHUNK) a = mem.store(src, len);
        else copy = Arrays.copyOf(src, len);
        addClosed(openMin, app.maxTime(), n, len, a, copy);
        return true;
    }

    private void addClosed(long min, long max, int n, int len, long a, byte[] copy) {
        if (nClosed == cmin.length) {
            int cap = nClosed * 2;
            cmin = Arrays.copyOf(cmin, cap);
            cmax = Arrays.copyOf(cmax, cap);
            addr = Arrays.copyOf(addr, cap);
            clen = Arrays.copyOf(clen, cap);
            ccount = Arrays.copyOf(ccount, cap);
            if (heap != null) heap = Arrays.copyOf(heap, cap);
        }
        cmin[nClosed] = min;
        cmax[nClosed] = max;
        ccount[nClosed] = n;
        clen[nClosed] = len;
        addr[nClosed] = a;
        if (copy != null) {
            if (heap == null) heap = new byte[cmin.length][];
            heap[nClosed] = copy;
        }
        nClosed++;
    }

    /**
     * Closes the open chunk and frees what appending holds (the appender's state and the open buffer, about 2 KiB
     * of heap): for a series that went quiet; the next append allocates them again.
     */
    boolean closeIdle() {
        boolean closed = closeOpen();
        app = null;
        openBuf = null;
        return closed;
    }

    /** Positions {@code it} at the start of closed chunk i. */
    private HistogramChunkIterator closedChunk(int i, HistogramChunkIterator it) {
        if (addr[i] < 0) {
            UnsafeBuffer v = VIEW.get();
            v.wrap(heap[i]);
            return it.reset(v, 0, clen[i]);
        }
        return it.reset(mem.buffer(addr[i]), mem.offset(addr[i]), clen[i]);
    }

    private int openCount() { return open ? app.numSamples() : 0; }

    /** Timestamp of the open chunk's first sample (call with openCount() > 0). */
    private long openMinTime() { return openMin; }

    int count() {
        int sum = openCount() + on;
        for (int i = 0; i < nClosed; i++) sum += ccount[i];
        return sum;
    }

    /** In-order samples only (out-of-order ones: {@link #oooCount()}). */
    int inOrderCount() { return count() - on; }

    int oooCount() { return on; }

    long minTime() {
        long m = Long.MAX_VALUE;
        if (nClosed > 0) m = cmin[0];
        else if (openCount() > 0) m = openMinTime();
        if (on > 0) m = Math.min(m, ot[0]);
        return m;
    }

    long maxTime() {
        long m = Long.MIN_VALUE;
        if (openCount() > 0) m = app.maxTime();
        else if (nClosed > 0) m = cmax[nClosed - 1];
        if (on > 0) m = Math.max(m, ot[on - 1]);
        return m;
    }

    /** Whether a sample lies in [mint, maxt], from chunk time bounds (exact for out-of-order samples). */
    boolean hasSamplesIn(long mint, long maxt) {
        if (inOrderCount() > 0) {
            long lo = nClosed > 0 ? cmin[0] : openMinTime();
            long hi = openCount() > 0 ? app.maxTime() : cmax[nClosed - 1];
            if (lo <= maxt && hi >= mint) return true;
        }
        if (on == 0) return false;
        int i = Arrays.binarySearch(ot, 0, on, mint);
        if (i >= 0) return true;
        i = -i - 1;
        return i < on && ot[i] <= maxt;
    }

    /** Appends the samples in [mint, maxt] to {@code out} (in order, out-of-order ones merged in). */
    void read(long mint, long maxt, HistogramBuffer out) {
        int start = out.n;
        HistogramChunkIterator it = ITER.get();
        for (int i = 0; i < nClosed; i++) {
            if (cmax[i] < mint) continue;
            if (cmin[i] > maxt) break;
            out.addChunk(closedChunk(i, it), mint, maxt);
        }
        if (openCount() > 0 && app.maxTime() >= mint) out.addChunk(it.reset(openBuf, 0, app.sizeInBytes()), mint, maxt);
        if (on == 0) return;
        int split = out.n;
        int lo = Arrays.binarySearch(ot, 0, on, mint);
        if (lo < 0) lo = -lo - 1;
        for (int k = lo; k < on && ot[k] <= maxt; k++) out.addCopy(ot[k], oh[k]);
        if (split > start) out.mergeRuns(split);   // samples before start are sorted before mint: untouched
    }

    /**
     * An empty instance for the samples after a flush, taking over the newest in-order histogram (duplicate checks
     * and stale markers of the series go on as before the flush); this one keeps its chunks (frozen).
     */
    HistogramSamples successor() {
        HistogramSamples next = new HistogramSamples(mem);
        next.lastKind = lastKind;
        next.lastInt = lastInt;
        next.lastFloat = lastFloat;
        return next;
    }

    /** Whether the newest in-order sample is a stale marker. */
    boolean lastStale() {
        return lastKind == HistogramBuffer.INT ? lastInt.isStale() : lastKind == HistogramBuffer.FLOAT && lastFloat.isStale();
    }

    // ---- duplicate checks ----

    /** Kind of the last in-order sample (0 when none). */
    byte lastKind() { return lastKind; }

    /** Whether the last in-order sample is equal to h / f (counter-reset hints aside). */
    boolean lastEquals(Histogram h, FloatHistogram f) {
        if (h != null) return lastKind == HistogramBuffer.INT && HistogramEquality.same(lastInt, h);
        return lastKind == HistogramBuffer.FLOAT && HistogramEquality.same(lastFloat, f);
    }

    /**
     * The sample at t: 0 when there is none, else 1 when it is equal to h / f (integer and float histograms never
     * equal each other), -1 when it differs. Decodes the chunk holding t (the out-of-order path only).
     */
    int compareAt(long t, Histogram h, FloatHistogram f) {
        int pos = oooSearch(t);
        if (pos >= 0) return HistogramEquality.sameObject(oh[pos], h, f) ? 1 : -1;
        HistogramChunkIterator it = ITER.get();
        for (int i = 0; i < nClosed; i++) {
            if (cmax[i] < t) continue;
            if (cmin[i] > t) return 0;
            return compareIn(closedChunk(i, it), t, h, f);
        }
        if (openCount() > 0 && app.maxTime() >= t) return compareIn(it.reset(openBuf, 0, app.sizeInBytes()), t, h, f);
        return 0;
    }

    private static final ThreadLocal<Histogram> CMP_INT = ThreadLocal.withInitial(Histogram::new);
    private static final ThreadLocal<FloatHistogram> CMP_FLOAT = ThreadLocal.withInitial(FloatHistogram::new);

    private static int compareIn(HistogramChunkIterator it, long t, Histogram h, FloatHistogram f) {
        while (it.next()) {
            long ts = it.timestamp();
            if (ts < t) continue;
            if (ts > t) return 0;
            if (it.encoding() == HistogramChunkFormat.ENC_HISTOGRAM) {
                return h != null && HistogramEquality.same(it.histogram(CMP_INT.get()), h) ? 1 : -1;
            }
            return f != null && HistogramEquality.same(it.floatHistogram(CMP_FLOAT.get()), f) ? 1 : -1;
        }
        return 0;
    }

    // ---- out of order ----

    int oooSearch(long t) { return on == 0 ? -1 : Arrays.binarySearch(ot, 0, on, t); }

    /** Inserts a copy of an out-of-order sample at its place (t not present). */
    void oooInsert(long t, Histogram h, FloatHistogram f) {
        if (ot == null) {
            ot = new long[4];
            oh = new Object[4];
        } else if (on == ot.length) {
            ot = Arrays.copyOf(ot, on * 2);
            oh = Arrays.copyOf(oh, on * 2);
        }
        int pos = -oooSearch(t) - 1;
        System.arraycopy(ot, pos, ot, pos + 1, on - pos);
        System.arraycopy(oh, pos, oh, pos + 1, on - pos);
        ot[pos] = t;
        oh[pos] = h != null ? new Histogram().copyFrom(h) : new FloatHistogram().copyFrom(f);
        on++;
    }

    // ---- deletion, memory ----

    /**
     * Deletes the samples in [mint, maxt]; returns how many. The remaining in-order samples are re-encoded into
     * new chunks (deletions are rare admin operations).
     */
    long deleteRange(long mint, long maxt) {
        long removed = 0;
        if (on > 0) {
            int w = 0;
            for (int i = 0; i < on; i++) {
                if (ot[i] >= mint && ot[i] <= maxt) { removed++; continue; }
                ot[w] = ot[i];
                oh[w] = oh[i];
                w++;
            }
            Arrays.fill(oh, w, on, null);
            on = w;
        }
        int inOrder = inOrderCount();
        if (inOrder == 0) return removed;
        long lo = nClosed > 0 ? cmin[0] : openMinTime();
        long hi = openCount() > 0 ? app.maxTime() : cmax[nClosed - 1];
        if (hi < mint || lo > maxt) return removed;
        HistogramBuffer all = new HistogramBuffer();
        int keptOoo = on;
        on = 0;   // read in-order samples only
        read(Long.MIN_VALUE, Long.MAX_VALUE, all);
        on = keptOoo;
        clearChunks();
        lastKind = 0;   // the re-appended samples set it again
        for (int i = 0; i < all.n; i++) {
            long ts = all.t[i];
            if (ts >= mint && ts <= maxt) { removed++; continue; }
            if (all.kind[i] == HistogramBuffer.INT) append(ts, all.histogram(i), null); else append(ts, null, all.floatHistogram(i));
        }
        return removed;
    }

    /** Newest sample in [.., maxT]: its timestamp (Long.MIN_VALUE when none); out[0] receives its kind. */
    long newest(byte[] kindOut) {
        long best = Long.MIN_VALUE;
        if (openCount() > 0) best = app.maxTime();
        else if (nClosed > 0) best = cmax[nClosed - 1];
        kindOut[0] = lastKind;
        if (on > 0 && ot[on - 1] > best) {
            best = ot[on - 1];
            kindOut[0] = oh[on - 1] instanceof Histogram ? HistogramBuffer.INT : HistogramBuffer.FLOAT;
        }
        return best;
    }

    private void clearChunks() {
        for (int i = 0; i < nClosed; i++) if (addr[i] >= 0) mem.free(addr[i], clen[i]);
        nClosed = 0;
        heap = null;
        open = false;
    }

    /** Frees everything; empty afterwards. */
    void clear() {
        clearChunks();
        ot = null;
        oh = null;
        on = 0;
        app = null;
        openBuf = null;
        lastInt = null;
        lastFloat = null;
        lastKind = 0;
    }

    int chunks() { return nClosed + (openCount() > 0 ? 1 : 0); }

    long memoryBytes() {
        long sum = 64 + 40L * cmin.length;
        if (openBuf != null) sum += 16 + openBuf.capacity() + 1024;   // the buffer and the appender's state
        for (int i = 0; i < nClosed; i++) sum += addr[i] < 0 ? 16 + clen[i] : ChunkMemory.capacity(addr[i]);
        for (int i = 0; i < on; i++) sum += 8 + 160;
        return sum;
    }
}
