package io.tsdb.query.engine.eval;

import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.query.ast.AtModifier;
import io.tsdb.query.ast.Call;
import io.tsdb.query.ast.Expr;
import io.tsdb.query.ast.MatrixSelector;
import io.tsdb.query.ast.ParenExpr;
import io.tsdb.query.ast.SubqueryExpr;
import io.tsdb.query.ast.VectorSelector;
import io.tsdb.query.engine.eval.RangeFunctions.Fn;
import io.tsdb.query.engine.eval.Vals.MatVal;
import io.tsdb.query.engine.eval.Vals.RangeSeries;
import io.tsdb.query.engine.eval.Vals.Row;
import io.tsdb.query.engine.eval.Vals.ScalarVal;
import io.tsdb.query.engine.eval.Vals.Val;
import io.tsdb.query.engine.eval.Vals.VecVal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Range-vector evaluation: functions over matrix selectors and subqueries. Each selected series is
 * loaded once for the whole query range, then windows slide over it step by step (two monotone
 * pointers), so work is shared across steps.
 */
public final class RangeEval {
    private final Evaluator ev;
    private final EvalContext cx;
    private final RangeFunctions.Scratch scratch = new RangeFunctions.Scratch();
    /** Made at the first series with native histograms (most queries have none). */
    private HistogramWindows histWindows;

    RangeEval(Evaluator ev) {
        this.ev = ev;
        this.cx = ev.cx;
    }

    static Expr unwrap(Expr e) {
        while (e instanceof ParenExpr p) e = p.expr();
        return e;
    }

    /** A function call with a range-vector argument. */
    public VecVal call(Call call, Fn fn, long[] ts) {
        List<Row> rows = new ArrayList<>();
        VecVal absent = call(call, fn, ts, r -> {
            cx.addSamples(r.v.length);
            rows.add(r);
        });
        return absent != null ? absent : new VecVal(rows);
    }

    /**
     * Evaluates the call handing each output series to the sink. Returns the result itself only for
     * absent_over_time (whose output does not come from input series), else null.
     */
    public VecVal call(Call call, Fn fn, long[] ts, java.util.function.Consumer<Row> rows) {
        return call(call, fn, ts, rows, false);
    }

    /**
     * As above; with {@code rowsPassed} the sink keeps no row's value array once it returns (an aggregation's
     * accumulator adds the values into its own cells), so one array serves every series' row instead of a new one of
     * the query's steps per series (sum-rate-by-region: 1,000 arrays of 721 doubles, 5.8 MB, per query).
     */
    VecVal call(Call call, Fn fn, long[] ts, java.util.function.Consumer<Row> rows, boolean rowsPassed) {
        double[] shared = rowsPassed ? new double[ts.length] : null;
        int matIdx = -1;
        for (int i = 0; i < call.args().size(); i++) {
            if (call.args().get(i).type() == io.tsdb.query.ast.ValueType.MATRIX) { matIdx = i; break; }
        }
        Expr arg = unwrap(call.args().get(matIdx));
        double[] p0 = null, p1 = null;
        List<double[]> params = new ArrayList<>();
        for (int i = 0; i < call.args().size(); i++) {
            if (i == matIdx) continue;
            Val pv = ev.eval(call.args().get(i), ts);
            params.add(((ScalarVal) pv).v);
        }
        if (!params.isEmpty()) p0 = params.get(0);
        if (params.size() > 1) p1 = params.get(1);
        if (fn == Fn.QUANTILE_OVER_TIME) {
            for (double q : p0) {
                if (Double.isNaN(q) || q < 0 || q > 1) {
                    cx.warn("quantile value should be between 0 and 1, got " + GoFmt.g(q), call.args().get(0).pos());
                    break;
                }
            }
        }
        if (fn == Fn.DOUBLE_EXPONENTIAL_SMOOTHING) {
            for (int i = 0; i < ts.length; i++) {
                if (p0[i] <= 0 || p0[i] >= 1) throw EvalContext.execError("invalid smoothing factor. Expected: 0 < sf < 1, got: " + GoFmt.f6(p0[i]));
                if (p1[i] <= 0 || p1[i] >= 1) throw EvalContext.execError("invalid trend factor. Expected: 0 < tf < 1, got: " + GoFmt.f6(p1[i]));
            }
        }
        final double[] fp0 = p0, fp1 = p1;
        int steps = ts.length;
        boolean[] anyPresent = new boolean[steps];
        boolean counterInfo = fn == Fn.RATE || fn == Fn.INCREASE;
        Set<String> nonCounterNames = counterInfo ? new HashSet<>() : null;

        Windows w;
        if (arg instanceof MatrixSelector ms) {
            w = new Windows(ms.rangeMs(), ms.selector().at(), ms.selector().offsetMs(), ts);
            long mint = w.minStart + 1, maxt = w.maxEnd;
            int pos = call.args().get(matIdx).pos();
            ev.selectors.forEachSeries(ms.selector(), mint, maxt, true, (Selectors.MixedSink) (labels, t, v, n, ht, hh, hn) ->
                    evalSeries(fn, labels, false, t, v, n, ht, hh, hn, pos, w, ts, fp0, fp1, rows, anyPresent, nonCounterNames, shared));
        } else {
            SubqueryExpr sq = (SubqueryExpr) arg;
            w = new Windows(sq.rangeMs(), sq.at(), sq.offsetMs(), ts);
            for (RangeSeries rs : subqueryPoints(sq, w)) {
                cx.checkDeadline();
                evalSeries(fn, rs.labels, rs.dropName, rs.t, rs.v, rs.n, rs.ht, rs.hh, rs.hn, call.args().get(matIdx).pos(), w, ts,
                        fp0, fp1, rows, anyPresent, nonCounterNames, shared);
            }
        }
        if (nonCounterNames != null) {
            for (String name : nonCounterNames) {
                cx.info("metric might not be a counter, name does not end in _total/_sum/_count/_bucket: \""
                        + name + "\"", call.args().get(matIdx).pos());
            }
        }
        if (fn == Fn.ABSENT_OVER_TIME) {
            double[] out = Row.empty(steps);
            boolean any = false;
            for (int i = 0; i < steps; i++) if (!anyPresent[i]) { out[i] = 1; any = true; }
            List<Row> res = new ArrayList<>();
            if (any) {
                Labels l = arg instanceof MatrixSelector ms ? absentLabels(ms.selector().matchers()) : Labels.EMPTY;
                res.add(new Row(l, out, false));
            }
            return new VecVal(res);
        }
        return null;
    }

    private void evalSeries(Fn fn, Labels labels, boolean inputDropName, long[] t, double[] v, int n, long[] ht,
                            io.tsdb.core.histogram.FloatHistogram[] hh, int hn, int pos, Windows w,
                            long[] ts, double[] p0, double[] p1, java.util.function.Consumer<Row> rows, boolean[] anyPresent,
                            Set<String> nonCounterNames, double[] shared) {
        int steps = ts.length;
        double[] out = null;
        io.tsdb.core.histogram.FloatHistogram[] hout = null;
        int lo = 0, hi = 0, hlo = 0, hhi = 0;
        if (fn == Fn.RATE || fn == Fn.INCREASE) scratch.prepareResets(v, n);
        if (hn > 0) {
            if (histWindows == null) histWindows = new HistogramWindows(cx);
            histWindows.pos = pos;
            histWindows.name = labels.metricName();
        }
        for (int i = 0; i < steps; i++) {
            long end = w.end[i], start = end - w.range;
            while (hi < n && t[hi] <= end) hi++;
            while (lo < hi && t[lo] <= start) lo++;
            while (hhi < hn && ht[hhi] <= end) hhi++;
            while (hlo < hhi && ht[hlo] <= start) hlo++;
            if (lo >= hi && hlo >= hhi) continue;
            anyPresent[i] = true;
            if (fn == Fn.ABSENT_OVER_TIME) continue;
            double r;
            if (hlo < hhi) {
                r = histWindows.apply(fn, t, v, lo, hi, ht, hh, hlo, hhi, start, end,
                        p0 == null ? 0 : p0[i], p1 == null ? 0 : p1[i], ts[i], scratch);
                if (HistogramWindows.isHist(r)) {
                    if (out == null) out = newRow(steps, shared);
                    if (hout == null) hout = new io.tsdb.core.histogram.FloatHistogram[steps];
                    hout[i] = histWindows.result;
                    continue;
                }
            } else {
                r = RangeFunctions.apply(fn, t, v, lo, hi, start, end,
                        p0 == null ? 0 : p0[i], p1 == null ? 0 : p1[i], ts[i], scratch);
            }
            if (Vals.absent(r)) continue;
            if (out == null) out = newRow(steps, shared);
            out[i] = r;
        }
        if (out != null) {
            rows.accept(new Row(labels, out, hout, inputDropName || !fn.keepsName()));
            if (nonCounterNames != null) {
                String name = labels.metricName();
                if (name != null && !name.endsWith("_total") && !name.endsWith("_sum") && !name.endsWith("_count")
                        && !name.endsWith("_bucket")) nonCounterNames.add(name);
            }
        }
    }

    /** An output row's values, all absent: the shared array when the sink passes rows on (not null), else a new one. */
    private static double[] newRow(int steps, double[] shared) {
        if (shared == null) return Row.empty(steps);
        java.util.Arrays.fill(shared, Vals.ABSENT);
        return shared;
    }

    /** absent()/absent_over_time() output labels: equality matchers, minus names matched more than once. */
    static Labels absentLabels(List<Matcher> matchers) {
        Labels.Builder b = Labels.builder();
        Set<String> has = new HashSet<>();
        for (Matcher m : matchers) {
            if (m.name().equals(Labels.METRIC_NAME)) continue;
            if (m.type() == Matcher.Type.EQ && !has.contains(m.name())) {
                b.set(m.name(), m.value());
                has.add(m.name());
            } else {
                b.del(m.name());
            }
        }
        return b.build();
    }

    /** Window ends (inclusive) per step and the overall bounds. */
    final class Windows {
        final long range;
        final long[] end;
        final long minStart, maxEnd;

        Windows(long range, AtModifier at, long offset, long[] ts) {
            this.range = range;
            this.end = ev.selectors.effectiveTimes(at, offset, ts);
            this.minStart = end[0] - range;
            this.maxEnd = end[end.length - 1];
        }
    }

    /** Evaluates a subquery's inner expression on its own aligned step grid and returns raw points per series. */
    List<RangeSeries> subqueryPoints(SubqueryExpr sq, Windows w) {
        long step = sq.stepMs() > 0 ? sq.stepMs() : cx.defaultSubqueryStepMs;
        long lowest = w.minStart;
        long innerStart = step * (lowest / step); // Go-style truncating division, as Prometheus
        if (innerStart <= lowest) innerStart += step;
        long innerEnd = w.maxEnd;
        if (innerEnd < innerStart) return List.of();
        long count = (innerEnd - innerStart) / step + 1;
        if (count > cx.maxSamples || count > 100_000_000L) {
            throw EvalContext.execError("query processing would load too many samples into memory in query execution: subquery "
                    + "has " + count + " steps (limit " + Math.min(cx.maxSamples, 100_000_000L) + ")");
        }
        long[] its = new long[(int) count];
        for (int i = 0; i < its.length; i++) its[i] = innerStart + i * step;
        // Only evaluate inner steps that fall in some outer window.
        its = filterSteps(its, w);
        if (its.length == 0) return List.of();
        Val inner = ev.eval(sq.expr(), its);
        List<RangeSeries> out = new ArrayList<>();
        if (inner instanceof VecVal vv) {
            for (Row r : vv.rows) {
                int hn = r.histCount();
                int n = r.count() - hn;
                if (n + hn == 0) continue;
                long[] t = new long[n];
                double[] v = new double[n];
                long[] ht = new long[hn];
                io.tsdb.core.histogram.FloatHistogram[] hh = new io.tsdb.core.histogram.FloatHistogram[hn];
                int k = 0, m = 0;
                for (int i = 0; i < its.length; i++) {
                    if (Vals.present(r.v[i])) { t[k] = its[i]; v[k] = r.v[i]; k++; }
                    else if (r.h != null && r.h[i] != null) {
                        io.tsdb.core.histogram.FloatHistogram x = r.h[i];
                        if (x.hint == io.tsdb.core.histogram.CounterResetHint.COUNTER_RESET
                                || x.hint == io.tsdb.core.histogram.CounterResetHint.NOT_COUNTER_RESET) {
                            // a stored hint speaks of the stored predecessor, which the subquery may skip or repeat:
                            // counter resets between subquery points are detected by comparing them
                            x = m > 0 && hh[m - 1].sameData(x) && r.h[i - 1] == r.h[i] ? hh[m - 1]
                                    : new io.tsdb.core.histogram.FloatHistogram().copyFrom(x);
                            x.hint = io.tsdb.core.histogram.CounterResetHint.UNKNOWN;
                        }
                        ht[m] = its[i]; hh[m] = x; m++;
                    }
                }
                out.add(new RangeSeries(r.labels, t, v, n, ht, hh, hn, r.dropName));
            }
        } else if (inner instanceof ScalarVal s) {
            out.add(new RangeSeries(Labels.EMPTY, its, s.v, its.length, false));
        }
        return out;
    }

    private static long[] filterSteps(long[] its, Windows w) {
        // Outer windows (end - range, end] are sorted; keep inner steps inside their union.
        long[] keep = new long[its.length];
        int k = 0, j = 0;
        for (long t : its) {
            while (j < w.end.length && w.end[j] < t) j++;
            if (j < w.end.length && t > w.end[j] - w.range) keep[k++] = t;
        }
        return k == its.length ? its : Arrays.copyOf(keep, k);
    }

    /** A range vector as a query result (instant queries only): raw points in the window. */
    public MatVal matrix(Expr e, long[] ts) {
        e = unwrap(e);
        List<RangeSeries> out = new ArrayList<>();
        if (e instanceof MatrixSelector ms) {
            Windows w = new Windows(ms.rangeMs(), ms.selector().at(), ms.selector().offsetMs(), ts);
            long end = w.end[0], start = end - ms.rangeMs();
            ev.selectors.forEachSeries(ms.selector(), start + 1, end, true, (Selectors.MixedSink) (labels, t, v, n, ht, hh, hn) -> {
                if (n + hn == 0) return;
                cx.addSamples(n + hn);
                out.add(new RangeSeries(labels, Arrays.copyOf(t, n), Arrays.copyOf(v, n), n, Arrays.copyOf(ht, hn),
                        copies(hh, 0, hn), hn, false));
            });
        } else if (e instanceof SubqueryExpr sq) {
            Windows w = new Windows(sq.rangeMs(), sq.at(), sq.offsetMs(), ts);
            long end = w.end[0], start = end - sq.rangeMs();
            for (RangeSeries rs : subqueryPoints(sq, w)) {
                int lo = 0, hi = 0;
                while (hi < rs.n && rs.t[hi] <= end) hi++;
                while (lo < hi && rs.t[lo] <= start) lo++;
                int hlo = 0, hhi = 0;
                while (hhi < rs.hn && rs.ht[hhi] <= end) hhi++;
                while (hlo < hhi && rs.ht[hlo] <= start) hlo++;
                if (lo >= hi && hlo >= hhi) continue;
                out.add(new RangeSeries(rs.labels, Arrays.copyOfRange(rs.t, lo, hi), Arrays.copyOfRange(rs.v, lo, hi),
                        hi - lo, Arrays.copyOfRange(rs.ht, hlo, hhi), Arrays.copyOfRange(rs.hh, hlo, hhi), hhi - hlo,
                        rs.dropName));
            }
        } else {
            throw EvalContext.execError("expected a range vector, got " + e.type().description);
        }
        return new MatVal(out);
    }

    /** Copies of holders [from, to) (the loader reuses its holders). */
    static io.tsdb.core.histogram.FloatHistogram[] copies(io.tsdb.core.histogram.FloatHistogram[] hh, int from, int to) {
        io.tsdb.core.histogram.FloatHistogram[] out = new io.tsdb.core.histogram.FloatHistogram[to - from];
        for (int i = from; i < to; i++) out[i - from] = new io.tsdb.core.histogram.FloatHistogram().copyFrom(hh[i]);
        return out;
    }

    static boolean isMatrixArg(Expr e) {
        Expr u = unwrap(e);
        return u instanceof MatrixSelector || u instanceof SubqueryExpr;
    }

    static VectorSelector selectorOf(Expr e) {
        Expr u = unwrap(e);
        if (u instanceof VectorSelector vs) return vs;
        if (u instanceof MatrixSelector ms) return ms.selector();
        return null;
    }
}
