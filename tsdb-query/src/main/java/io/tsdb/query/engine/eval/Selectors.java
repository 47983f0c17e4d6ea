package io.tsdb.query.engine.eval;

import io.tsdb.core.Labels;
import io.tsdb.core.Querier;
import io.tsdb.core.SampleCursor;
import io.tsdb.core.SeriesSet;
import io.tsdb.core.StaleNaN;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.query.ast.AtModifier;
import io.tsdb.query.ast.VectorSelector;
import io.tsdb.query.engine.eval.Vals.Row;
import io.tsdb.query.engine.eval.Vals.VecVal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Loads selected series from storage, one series at a time into reusable arrays (no per-sample
 * allocation), and evaluates instant selectors with lookback/staleness over all steps at once.
 */
public final class Selectors {
    private final EvalContext cx;
    /** The float read columns, grown to the longest series read (taken from the thread's spare, see {@link #release}). */
    private long[] bufT;
    private double[] bufV;
    private long[] bufHT = new long[16];
    /** Histogram holders, reused from series to series (a sink that keeps one copies it). */
    private FloatHistogram[] bufH = new FloatHistogram[16];
    /** Made at the first histogram whose counter-reset hint is detected (most queries read none). */
    private io.tsdb.core.histogram.CounterResets resets;

    /**
     * Read columns longer than this (samples) are not kept for the thread's next query (512 KiB: 3.8 days at 10 s);
     * shorter ones are, so a query over long series does not grow fresh columns from 256 samples by doubling each time
     * (a 12-hour range at 10 s: 254 KB of copies per query, the largest allocation of such a query).
     */
    static final int KEPT_MAX = 1 << 15;

    /** One thread's spare read columns, between two queries (null while a query on the thread holds them). */
    private static final class Spare {
        long[] t;
        double[] v;
    }

    private static final ThreadLocal<Spare> SPARE = ThreadLocal.withInitial(Spare::new);

    /**
     * Columns are taken at the first read ({@link #columns}), not here: an evaluation that reads no series itself (an
     * aggregation evaluated in shards, one of them on this thread) leaves the thread's spare columns to the one that does.
     */
    public Selectors(EvalContext cx) {
        this.cx = cx;
    }

    /**
     * Takes the thread's spare read columns when it has some, else new ones of 256 samples (a second evaluation open at
     * once on the thread allocates its own): columns are owned by one evaluation at a time, so no two share arrays.
     */
    private void columns() {
        if (bufT != null) return;
        Spare s = SPARE.get();
        if (s.t != null) {
            bufT = s.t;
            bufV = s.v;
            s.t = null;
            s.v = null;
        } else {
            bufT = new long[256];
            bufV = new double[256];
        }
    }

    /**
     * Gives the read columns to this thread for its next query (the larger pair is kept, up to {@link #KEPT_MAX}
     * samples). Called once the query's evaluation is over, on the thread that evaluated it; this instance reads
     * nothing afterwards.
     */
    public void release() {
        long[] t = bufT;
        double[] v = bufV;
        bufT = null;
        bufV = null;
        if (t == null || t.length > KEPT_MAX) return;
        Spare s = SPARE.get();
        if (s.t == null || s.t.length < t.length) {
            s.t = t;
            s.v = v;
        }
    }

    /** The current read columns' length (for tests; takes the columns as a read would). */
    int columnsLength() {
        columns();
        return bufT.length;
    }

    /** Whether this evaluation reads into {@code t} (for tests; takes the columns as a read would). */
    boolean readsInto(long[] t) {
        columns();
        return bufT == t;
    }

    /** Receives one loaded series; arrays are reused after the call returns. */
    public interface SeriesSink {
        void accept(Labels labels, long[] t, double[] v, int n);
    }

    /** The absolute timestamp of an @ modifier. */
    public long resolveAt(AtModifier at) {
        return switch (at.kind()) {
            case TIMESTAMP -> at.timestampMs();
            case START -> cx.queryStart;
            case END -> cx.queryEnd;
        };
    }

    /** Effective evaluation time per step: the @ time (or the step time) minus the offset. Non-decreasing. */
    public long[] effectiveTimes(AtModifier at, long offsetMs, long[] ts) {
        long[] eff = new long[ts.length];
        if (at != null) {
            Arrays.fill(eff, resolveAt(at) - offsetMs);
        } else {
            for (int i = 0; i < ts.length; i++) eff[i] = ts[i] - offsetMs;
        }
        return eff;
    }

    /**
     * Receives one loaded series: its float samples ({@code t}/{@code v}, n of them) and its native histogram samples
     * ({@code ht}/{@code hh}, hn of them). Arrays and histogram holders are reused after the call returns.
     */
    public interface MixedSink {
        void accept(Labels labels, long[] t, double[] v, int n, long[] ht, FloatHistogram[] hh, int hn);
    }

    /** Streams the float samples of every series matching the selector with samples in [mint, maxt]. */
    public void forEachSeries(VectorSelector vs, long mint, long maxt, boolean dropStale, SeriesSink sink) {
        forEachSeries(vs, mint, maxt, dropStale, (MixedSink) (labels, t, v, n, ht, hh, hn) -> sink.accept(labels, t, v, n));
    }

    /**
     * Streams every series matching the selector with samples in [mint, maxt], floats and histograms apart. A stale
     * histogram is a stale float marker here (or dropped with {@code dropStale}).
     */
    public void forEachSeries(VectorSelector vs, long mint, long maxt, boolean dropStale, MixedSink sink) {
        if (mint > maxt) return;
        columns();
        Querier kept = cx.keptQuerier(mint, maxt);   // the cost estimate's, which has selected these series already
        try (Querier own = kept == null ? cx.storage.querier(mint, maxt) : null) {
            Querier q = kept != null ? kept : own;
            SeriesSet ss = cx.seriesFilter == null ? q.select(vs.matchers()) : q.select(vs.matchers(), cx.seriesFilter);
            while (ss.next()) {
                cx.checkDeadline();
                SampleCursor c = ss.cursor();
                int n = 0, hn = 0;
                long lastFloatT = Long.MIN_VALUE;
                while (c.next()) {
                    long t = c.timestamp();
                    if (t < mint) continue;
                    if (t > maxt) break;
                    // floats in runs (a chunk's rest at a time), not one virtual call chain per sample
                    if (n == bufT.length) {
                        bufT = Arrays.copyOf(bufT, n * 2);
                        bufV = Arrays.copyOf(bufV, n * 2);
                    }
                    int k = c.readFloats(maxt, bufT, bufV, n, bufT.length - n);
                    if (k > 0) {
                        lastFloatT = bufT[n + k - 1];
                        n = dropStale ? dropStale(bufT, bufV, n, n + k) : n + k;
                        continue;
                    }
                    double v;
                    if (c.sampleType() != SampleCursor.FLOAT) {
                        if (hn == bufH.length) {
                            bufH = Arrays.copyOf(bufH, hn * 2);
                            bufHT = Arrays.copyOf(bufHT, hn * 2);
                        }
                        if (bufH[hn] == null) bufH[hn] = new FloatHistogram();
                        FloatHistogram fh = c.floatHistogram(bufH[hn]);
                        if (!fh.isStale()) {
                            if (cx.statsDecoding && fh.hint == io.tsdb.core.histogram.CounterResetHint.UNKNOWN && hn > 0
                                    && bufHT[hn - 1] > lastFloatT) {
                                if (resets == null) resets = new io.tsdb.core.histogram.CounterResets();
                                fh.hint = resets.detect(fh, bufH[hn - 1]) ? io.tsdb.core.histogram.CounterResetHint.COUNTER_RESET
                                        : io.tsdb.core.histogram.CounterResetHint.NOT_COUNTER_RESET;
                            }
                            bufHT[hn++] = t;
                            continue;
                        }
                        v = StaleNaN.VALUE;
                    } else {
                        v = c.value();
                        lastFloatT = t;
                    }
                    if (dropStale && StaleNaN.is(v)) continue;
                    if (n == bufT.length) {
                        bufT = Arrays.copyOf(bufT, n * 2);
                        bufV = Arrays.copyOf(bufV, n * 2);
                    }
                    bufT[n] = t;
                    bufV[n] = v;
                    n++;
                }
                cx.seriesTouched++;
                cx.samplesTouched += n + hn;
                cx.addSamples(n + hn);
                try {
                    sink.accept(ss.labels(), bufT, bufV, n, bufHT, bufH, hn);
                } finally {
                    cx.releaseSamples(n + hn);
                }
            }
        }
    }

    /** Removes the stale markers from t/v[from, to), keeping order; returns the new end. */
    private static int dropStale(long[] t, double[] v, int from, int to) {
        int w = from;
        for (int i = from; i < to; i++) {
            if (StaleNaN.is(v[i])) continue;
            t[w] = t[i];
            v[w] = v[i];
            w++;
        }
        return w;
    }

    /**
     * Instant vector selector over all steps: the newest sample in (t - lookback, t], unless it is a stale
     * marker. With {@code timestamps} the row holds the sample timestamps in seconds instead of values.
     */
    public VecVal instant(VectorSelector vs, long[] ts, boolean timestamps) {
        List<Row> rows = new ArrayList<>();
        instant(vs, ts, timestamps, r -> {
            cx.addSamples(r.v.length);
            rows.add(r);
        });
        return new VecVal(rows);
    }

    /** As {@link #instant(VectorSelector, long[], boolean)}, handing each series' row to a sink. */
    public void instant(VectorSelector vs, long[] ts, boolean timestamps, java.util.function.Consumer<Row> sink) {
        instant(vs, ts, timestamps, Long.MIN_VALUE, Long.MAX_VALUE, sink);
    }

    /**
     * The last index {@code i} in {@code [j, n)} with {@code t[i] <= lim}, or {@code j} when {@code t[j + 1] > lim}
     * ({@code t} ascending, {@code j} already at or before {@code lim}, -1 for none yet). Gallops from {@code j}
     * (1, 2, 4, ... ahead), then halves: a step over many samples (a 5-minute step over 10-second samples passes
     * 30) costs a few comparisons instead of one per sample; a step over one or none costs one or two.
     */
    static int lastAtOrBefore(long[] t, int j, int n, long lim) {
        int lo = j + 1;
        if (lo >= n || t[lo] > lim) return j;
        int hi = lo + 1, step = 1;
        while (hi < n && t[hi] <= lim) {
            lo = hi;
            step <<= 1;
            hi = lo + step;
        }
        if (hi > n) hi = n;
        // t[lo] <= lim; hi == n or t[hi] > lim
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            if (t[mid] <= lim) lo = mid;
            else hi = mid;
        }
        return lo;
    }

    /** As above, seeing only the samples in [visibleMin, visibleMax]. */
    void instant(VectorSelector vs, long[] ts, boolean timestamps, long visibleMin, long visibleMax,
                 java.util.function.Consumer<Row> sink) {
        long[] eff = effectiveTimes(vs.at(), vs.offsetMs(), ts);
        long lookback = cx.lookbackMs;
        long mint = Math.max(eff[0] - lookback + 1, visibleMin);
        long maxt = Math.min(eff[eff.length - 1], visibleMax);
        int steps = ts.length;
        forEachSeries(vs, mint, maxt, false, (MixedSink) (labels, t, v, n, ht, hh, hn) -> {
            double[] out = null;
            FloatHistogram[] hout = null;
            FloatHistogram lastCopy = null;
            int lastCopied = -1;
            int j = -1, k = -1;
            for (int i = 0; i < steps; i++) {
                long e = eff[i];
                long lim = Math.min(e, visibleMax);
                j = lastAtOrBefore(t, j, n, lim);
                if (hn > 0) k = lastAtOrBefore(ht, k, hn, lim);
                boolean hist = k >= 0 && (j < 0 || ht[k] > t[j]);
                long st = hist ? ht[k] : j >= 0 ? t[j] : Long.MIN_VALUE;
                if (st == Long.MIN_VALUE || st <= e - lookback || st < visibleMin) continue;
                if (!hist && StaleNaN.is(v[j])) continue;
                if (out == null) out = Row.empty(steps);
                if (!hist || timestamps) {
                    out[i] = timestamps ? st / 1000.0 : v[j];
                    continue;
                }
                if (hout == null) hout = new FloatHistogram[steps];
                if (lastCopied != k) { // steps that see the same sample share one copy
                    lastCopy = new FloatHistogram().copyFrom(hh[k]);
                    lastCopied = k;
                }
                hout[i] = lastCopy;
            }
            if (out != null) sink.accept(new Row(labels, out, hout, false));
        });
    }
}
