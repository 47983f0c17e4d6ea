package io.tsdb.core.head;

import io.tsdb.core.chunk.HistogramChunkFormat;
import io.tsdb.core.chunk.HistogramChunkIterator;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.histogram.Histogram;

import java.util.Arrays;

/**
 * Reusable decoded histogram samples of one series read (the histogram counterpart of {@link SampleBuffer}):
 * timestamps ascending, and per sample an integer or a float histogram in a holder owned by this buffer. Holders
 * are kept and reused by later reads (merges move them between positions, never drop them), so reading allocates
 * nothing once the buffer has grown to the series' size.
 */
public final class HistogramBuffer {
    /** {@link #kind} of an integer histogram sample. */
    public static final byte INT = 1;
    /** {@link #kind} of a float histogram sample. */
    public static final byte FLOAT = 2;

    public long[] t = new long[16];
    public byte[] kind = new byte[16];
    private Histogram[] ih = new Histogram[16];
    private FloatHistogram[] fh = new FloatHistogram[16];
    public int n;
    private HistogramBuffer aux;
    private long[] mt = new long[0];
    private byte[] mk = new byte[0];
    private Histogram[] mih = new Histogram[0];
    private FloatHistogram[] mfh = new FloatHistogram[0];

    public void clear() { n = 0; }

    /** The integer histogram at position i (kind {@link #INT}). */
    public Histogram histogram(int i) { return ih[i]; }

    /** The float histogram at position i (kind {@link #FLOAT}). */
    public FloatHistogram floatHistogram(int i) { return fh[i]; }

    HistogramBuffer aux() {
        if (aux == null) aux = new HistogramBuffer();
        return aux;
    }

    private void ensure(int extra) {
        int need = n + extra;
        if (need <= t.length) return;
        int cap = Math.max(need, t.length * 2);
        t = Arrays.copyOf(t, cap);
        kind = Arrays.copyOf(kind, cap);
        ih = Arrays.copyOf(ih, cap);
        fh = Arrays.copyOf(fh, cap);
    }

    /** Appends an empty integer slot at time ts and returns its holder (to be filled by the caller). */
    Histogram addInt(long ts) {
        ensure(1);
        Histogram h = ih[n];
        if (h == null) h = ih[n] = new Histogram();
        t[n] = ts;
        kind[n] = INT;
        n++;
        return h;
    }

    FloatHistogram addFloat(long ts) {
        ensure(1);
        FloatHistogram h = fh[n];
        if (h == null) h = fh[n] = new FloatHistogram();
        t[n] = ts;
        kind[n] = FLOAT;
        n++;
        return h;
    }

    /** Appends the samples of a chunk iterator (freshly reset) with timestamps in [mint, maxt]. */
    public void addChunk(HistogramChunkIterator it, long mint, long maxt) {
        boolean ints = it.encoding() == HistogramChunkFormat.ENC_HISTOGRAM;
        while (it.next()) {
            long ts = it.timestamp();
            if (ts < mint) continue;
            if (ts > maxt) return;
            if (ints) it.histogram(addInt(ts)); else it.floatHistogram(addFloat(ts));
        }
    }

    /**
     * Removes the samples lying in deleted intervals ({@code iv}: sorted [mint, maxt] pairs, as block tombstones
     * give them); the holders of removed samples stay for reuse. Allocates nothing.
     */
    public void removeDeleted(long[] iv) {
        if (iv == null || n == 0) return;
        int w = 0, k = 0;
        for (int i = 0; i < n; i++) {
            long ts = t[i];
            while (k < iv.length && iv[k + 1] < ts) k += 2;
            if (k < iv.length && iv[k] <= ts) continue;
            if (w != i) {
                t[w] = ts;
                kind[w] = kind[i];
                Histogram a = ih[w]; ih[w] = ih[i]; ih[i] = a;
                FloatHistogram b = fh[w]; fh[w] = fh[i]; fh[i] = b;
            }
            w++;
        }
        n = w;
    }

    /** Appends a copy of a sample. */
    void addCopy(long ts, Object h) {
        if (h instanceof Histogram x) addInt(ts).copyFrom(x);
        else addFloat(ts).copyFrom((FloatHistogram) h);
    }

    /**
     * Merges the sorted runs [0, split) and [split, n) into one sorted sequence; on equal timestamps the sample of
     * the second run wins (the first is dropped, its holder kept for reuse).
     */
    void mergeRuns(int split) {
        if (split <= 0 || split >= n || t[split - 1] < t[split]) return;
        int total = n;
        if (mt.length < total) {
            mt = new long[total];
            mk = new byte[total];
            mih = new Histogram[total];
            mfh = new FloatHistogram[total];
        }
        int i = 0, j = split, w = 0, dropped = total;
        while (i < split || j < total) {
            int from;
            if (j >= total || (i < split && t[i] < t[j])) from = i++;
            else {
                if (i < split && t[i] == t[j]) {   // the second run wins: park the first's holders at the end
                    dropped--;
                    mt[dropped] = t[i]; mk[dropped] = kind[i]; mih[dropped] = ih[i]; mfh[dropped] = fh[i];
                    i++;
                }
                from = j++;
            }
            mt[w] = t[from]; mk[w] = kind[from]; mih[w] = ih[from]; mfh[w] = fh[from];
            w++;
        }
        System.arraycopy(mt, 0, t, 0, total);
        System.arraycopy(mk, 0, kind, 0, total);
        System.arraycopy(mih, 0, ih, 0, total);
        System.arraycopy(mfh, 0, fh, 0, total);
        Arrays.fill(mih, 0, total, null);
        Arrays.fill(mfh, 0, total, null);
        n = w;
    }

    /** Appends o's samples (their holders are swapped in, o keeps this buffer's spare ones) and merges; o wins on equal timestamps. */
    void mergeFrom(HistogramBuffer o) {
        if (o.n == 0) return;
        int split = n;
        ensure(o.n);
        for (int k = 0; k < o.n; k++) {
            int p = n + k;
            t[p] = o.t[k];
            kind[p] = o.kind[k];
            Histogram a = ih[p]; ih[p] = o.ih[k]; o.ih[k] = a;
            FloatHistogram b = fh[p]; fh[p] = o.fh[k]; o.fh[k] = b;
        }
        n += o.n;
        o.n = 0;
        mergeRuns(split);
    }
}
