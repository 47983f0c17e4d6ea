package io.tsdb.query.engine.eval;

import io.tsdb.core.histogram.CounterResetHint;
import io.tsdb.core.histogram.CounterResets;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.histogram.HistogramArithmetic;
import io.tsdb.core.histogram.IncompatibleHistogramsException;
import io.tsdb.query.engine.eval.RangeFunctions.Fn;

/**
 * The range-vector functions over windows that hold native histogram samples (Prometheus 3.x semantics): rate,
 * increase and delta (extrapolated like floats, counter resets by {@link CounterResets}), irate/idelta, resets,
 * changes, the *_over_time functions defined on histograms, with upstream's annotations: a window mixing floats and
 * histograms yields nothing for the functions that would combine them (warning) and only the floats for the
 * float-only functions (info). One instance per evaluation (holds scratch; not thread-safe).
 */
final class HistogramWindows {
    private final EvalContext cx;
    private final CounterResets resets = new CounterResets();
    private final FloatHistogram scratch = new FloatHistogram();

    HistogramWindows(EvalContext cx) { this.cx = cx; }

    /** Where annotations point (the call's range argument) and the series' metric name; set per series. */
    int pos;
    String name;

    /** Marker result: the histogram result is in {@link #result}. */
    static final double HIST = Double.longBitsToDouble(0x7ff8deadbeef0002L);

    FloatHistogram result;

    static boolean isHist(double r) { return Double.doubleToRawLongBits(r) == 0x7ff8deadbeef0002L; }

    private String forName() { return name == null ? "" : " for metric name \"" + name + "\""; }

    private String quoted() { return "\"" + (name == null ? "" : name) + "\""; }

    private double mixed() {
        cx.warn("encountered a mix of histograms and floats" + forName(), pos);
        return Vals.ABSENT;
    }

    private double mixedSchemas() {
        cx.warn("vector contains a mix of histograms with exponential and custom buckets schemas" + forName(), pos);
        return Vals.ABSENT;
    }

    /**
     * fn over floats [lo, hi) and histograms [hlo, hhi) (at least one histogram). Returns a float, {@link Vals#ABSENT},
     * or {@link #HIST} with the result in {@link #result} (a new instance).
     */
    double apply(Fn fn, long[] t, double[] v, int lo, int hi, long[] ht, FloatHistogram[] hh, int hlo, int hhi,
                 long rangeStart, long rangeEnd, double p0, double p1, long stepTs, RangeFunctions.Scratch s) {
        boolean floats = hi > lo;
        int hn = hhi - hlo;
        switch (fn) {
            case RATE, INCREASE, DELTA:
                if (floats) return mixed();
                return rate(ht, hh, hlo, hhi, rangeStart, rangeEnd, fn != Fn.DELTA, fn == Fn.RATE);
            case IRATE, IDELTA: {
                // the last two samples, of either kind
                long tLast, tPrev;
                FloatHistogram last = null, prev = null;
                int fi = hi - 1, hi2 = hhi - 1;
                if (hi2 >= hlo && (fi < lo || ht[hi2] > t[fi])) { last = hh[hi2]; tLast = ht[hi2]; hi2--; }
                else { tLast = t[fi]; fi--; }
                if (hi2 >= hlo && (fi < lo || ht[hi2] > t[fi])) { prev = hh[hi2]; tPrev = ht[hi2]; }
                else if (fi >= lo) { tPrev = t[fi]; }
                else return Vals.ABSENT;
                if (last == null && prev == null) return RangeFunctions.instantValue(t, v, lo, hi, fn == Fn.IRATE);
                if (last == null || prev == null) return mixed();
                if (tLast == tPrev) return Vals.ABSENT;
                return instant(last, prev, tLast - tPrev, fn == Fn.IRATE);
            }
            case RESETS, CHANGES: {
                int c = 0;
                int i = lo, k = hlo;
                boolean havePrev = false, prevHist = false;
                double pv = 0;
                FloatHistogram ph = null;
                while (i < hi || k < hhi) {
                    boolean takeHist = k < hhi && (i >= hi || ht[k] < t[i]);
                    if (takeHist) {
                        FloatHistogram cur = hh[k++];
                        if (havePrev) {
                            if (!prevHist) c++; // a switch between floats and histograms is a change and a reset
                            else if (fn == Fn.RESETS ? resets.detect(cur, ph) : !cur.sameData(ph)) c++;
                        }
                        ph = cur;
                        prevHist = true;
                    } else {
                        double cur = v[i++];
                        if (havePrev) {
                            if (prevHist) c++;
                            else if (fn == Fn.RESETS ? cur < pv : (cur != pv && !(Double.isNaN(cur) && Double.isNaN(pv)))) c++;
                        }
                        pv = cur;
                        prevHist = false;
                    }
                    havePrev = true;
                }
                return c;
            }
            case COUNT_OVER_TIME: return (hi - lo) + hn;
            case PRESENT_OVER_TIME, ABSENT_OVER_TIME: return 1;
            case LAST_OVER_TIME, TS_OF_LAST_OVER_TIME: {
                boolean hist = !floats || ht[hhi - 1] > t[hi - 1];
                if (fn == Fn.TS_OF_LAST_OVER_TIME) return (hist ? ht[hhi - 1] : t[hi - 1]) / 1000.0;
                if (!hist) return v[hi - 1];
                result = new FloatHistogram().copyFrom(hh[hhi - 1]);
                return HIST;
            }
            case FIRST_OVER_TIME, TS_OF_FIRST_OVER_TIME: {
                boolean hist = !floats || ht[hlo] < t[lo];
                if (fn == Fn.TS_OF_FIRST_OVER_TIME) return (hist ? ht[hlo] : t[lo]) / 1000.0;
                if (!hist) return v[lo];
                result = new FloatHistogram().copyFrom(hh[hlo]);
                return HIST;
            }
            case SUM_OVER_TIME, AVG_OVER_TIME: {
                if (floats) return mixed();
                FloatHistogram sum = new FloatHistogram().copyFrom(hh[hlo]);
                double[] sc = s.c1, cc = s.c2;
                sc[0] = 0;
                cc[0] = 0;
                boolean incremental = false;
                boolean reset = hh[hlo].hint == CounterResetHint.COUNTER_RESET;
                boolean notReset = hh[hlo].hint == CounterResetHint.NOT_COUNTER_RESET;
                for (int k = hlo + 1; k < hhi; k++) {
                    FloatHistogram x = hh[k];
                    if (x.usesCustomBuckets() != sum.usesCustomBuckets()) return mixedSchemas();
                    reset |= x.hint == CounterResetHint.COUNTER_RESET;
                    notReset |= x.hint == CounterResetHint.NOT_COUNTER_RESET;
                    double s0 = sum.sum, n0 = sum.count;
                    if (fn == Fn.AVG_OVER_TIME && !incremental && Accumulator.overflows(n0, x.count)) {
                        // as for floats: continue with an incremental mean instead of an overflowing sum
                        double before = k - hlo;
                        sum.mul(1.0 / before);
                        sc[0] /= before;
                        cc[0] /= before;
                        s0 = sum.sum;
                        n0 = sum.count;
                        incremental = true;
                    }
                    int flags;
                    if (incremental) {
                        double cnt = k - hlo + 1, q = (cnt - 1) / cnt;
                        sum.mul(q);
                        flags = sum.add(scratch.copyFrom(x).mul(1 / cnt));
                        sc[0] *= q;
                        cc[0] *= q;
                        sum.sum = RangeFunctions.kahanInc(x.sum / cnt, q * s0, sc);
                        sum.count = RangeFunctions.kahanInc(x.count / cnt, q * n0, cc);
                    } else {
                        flags = sum.add(x);
                        // sum and count with compensated summation (bucket counts are summed plainly)
                        sum.sum = RangeFunctions.kahanInc(x.sum, s0, sc);
                        sum.count = RangeFunctions.kahanInc(x.count, n0, cc);
                    }
                    if ((flags & HistogramArithmetic.NHCB_BOUNDS_RECONCILED) != 0) {
                        cx.info("mismatched custom buckets were reconciled during aggregation", pos);
                    }
                }
                // upstream warns when the inputs say both "reset" and "not reset", whatever else they say
                if (reset && notReset) cx.warn("conflicting counter resets during histogram aggregation", pos);
                if (!Double.isInfinite(sum.sum)) sum.sum += sc[0];
                if (!Double.isInfinite(sum.count)) sum.count += cc[0];
                if (fn == Fn.AVG_OVER_TIME && !incremental) sum.mul(1.0 / hn);
                sum.compact(0);
                result = sum;
                return HIST;
            }
            default:
                // functions of floats only: histograms are ignored
                if (!floats) return Vals.ABSENT;
                cx.info("ignored histograms in a range containing both floats and histograms" + forName(), pos);
                return RangeFunctions.apply(fn, t, v, lo, hi, rangeStart, rangeEnd, p0, p1, stepTs, s);
        }
    }

    private double instant(FloatHistogram last, FloatHistogram prev, long dtMs, boolean isRate) {
        if (last.usesCustomBuckets() != prev.usesCustomBuckets()) {
            if (!isRate) return mixedSchemas();
        }
        if (isRate) {
            if (last.hint == CounterResetHint.GAUGE || prev.hint == CounterResetHint.GAUGE) {
                cx.warn("this native histogram metric is not a counter: " + quoted(), pos);
            }
        } else if (last.hint != CounterResetHint.GAUGE || prev.hint != CounterResetHint.GAUGE) {
            cx.warn("this native histogram metric is not a gauge: " + quoted(), pos);
        }
        FloatHistogram r = new FloatHistogram().copyFrom(last);
        if (!isRate || !resets.detect(last, prev)) {
            try {
                int flags = r.sub(prev);
                if ((flags & HistogramArithmetic.NHCB_BOUNDS_RECONCILED) != 0) {
                    cx.info("mismatched custom buckets were reconciled during subtraction", pos);
                }
            } catch (IncompatibleHistogramsException e) {
                return mixedSchemas();
            }
        }
        if (isRate) r.mul(1000.0 / dtMs);
        r.hint = CounterResetHint.GAUGE;
        r.compact(0);
        result = r;
        return HIST;
    }

    private double rate(long[] ht, FloatHistogram[] hh, int lo, int hi, long rangeStart, long rangeEnd,
                        boolean isCounter, boolean isRate) {
        int n = hi - lo;
        if (n < 2) return Vals.ABSENT;
        FloatHistogram first = hh[lo], last = hh[hi - 1];
        boolean custom = first.usesCustomBuckets();
        int minSchema = first.schema;
        boolean gauge = false, mixed = false;
        for (int k = lo; k < hi; k++) {
            FloatHistogram x = hh[k];
            if (x.usesCustomBuckets() != custom) mixed = true;
            else if (x.schema < minSchema) minSchema = x.schema;
            if (x.hint == CounterResetHint.GAUGE) gauge = true;
        }
        if (mixed && !isCounter) return mixedSchemas();
        if (isCounter && gauge) cx.warn("this native histogram metric is not a counter: " + quoted(), pos);
        if (!isCounter && (first.hint != CounterResetHint.GAUGE || last.hint != CounterResetHint.GAUGE)) {
            cx.warn("this native histogram metric is not a gauge: " + quoted(), pos);
        }
        FloatHistogram h;
        int flags = 0;
        if (mixed) {
            // a switch between exponential and custom buckets is a counter reset: the increase is the sum of the
            // segments' increases plus the start of every segment after the first, fine as long as the parts that
            // are not empty share one kind of buckets
            h = null;
            int segStart = lo;
            try {
                for (int k = lo + 1; k <= hi; k++) {
                    if (k < hi && !resets.detect(hh[k], hh[k - 1])) continue;
                    if (k - 1 > segStart) {
                        FloatHistogram d = new FloatHistogram().copyFrom(hh[k - 1]);
                        flags |= d.sub(hh[segStart]);
                        if (h == null) h = d; else flags |= h.add(d);
                    }
                    if (segStart > lo) {
                        if (h == null) h = new FloatHistogram().copyFrom(hh[segStart]); else flags |= h.add(hh[segStart]);
                    }
                    segStart = k;
                }
            } catch (IncompatibleHistogramsException e) {
                return mixedSchemas();
            }
            if (h == null) return mixedSchemas();
        } else {
            h = new FloatHistogram().copyFrom(last);
            if (!custom && h.schema > minSchema) h.reduceResolution(minSchema);
            flags = h.sub(first);
            if (isCounter) {
                FloatHistogram prev = first;
                for (int k = lo + 1; k < hi; k++) {
                    if (resets.detect(hh[k], prev)) flags |= h.add(prev);
                    prev = hh[k];
                }
            }
        }
        if ((flags & HistogramArithmetic.NHCB_BOUNDS_RECONCILED) != 0) {
            cx.info("mismatched custom buckets were reconciled during subtraction", pos);
        }
        h.hint = CounterResetHint.GAUGE;
        h.compact(0);
        h.mul(RangeFunctions.extrapolation(ht[lo], ht[hi - 1], n, rangeStart, rangeEnd, isCounter, isRate, first.count, h.count));
        result = h;
        return HIST;
    }
}
