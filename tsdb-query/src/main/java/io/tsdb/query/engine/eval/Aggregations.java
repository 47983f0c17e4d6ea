package io.tsdb.query.engine.eval;

import io.tsdb.core.Labels;
import io.tsdb.query.ast.AggregateExpr;
import io.tsdb.query.ast.AggregateOp;
import io.tsdb.query.ast.Call;
import io.tsdb.query.ast.Expr;
import io.tsdb.query.ast.VectorSelector;
import io.tsdb.query.engine.eval.Vals.Row;
import io.tsdb.query.engine.eval.Vals.VecVal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Aggregation operators. Grouping keys are computed once per input series (labels do not change across
 * steps); sum/avg/min/max/count/group/stddev/stdvar then accumulate series-major into group x step arrays.
 */
public final class Aggregations {
    private final Evaluator ev;
    private final EvalContext cx;

    Aggregations(Evaluator ev) {
        this.ev = ev;
        this.cx = ev.cx;
    }

    /** The grouping key of a series: no builder or map, one small array copy at most (called once per input series). */
    static Labels groupLabels(Labels l, List<String> grouping, boolean without) {
        if (without) return l.drop(grouping, Labels.METRIC_NAME);
        if (grouping.isEmpty()) return Labels.EMPTY;
        return l.keep(grouping);
    }

    public VecVal eval(AggregateExpr a, long[] ts) {
        AggregateOp op = a.op();
        int steps = ts.length;
        double[] param = null;
        String strParam = null;
        if (op == AggregateOp.COUNT_VALUES) {
            strParam = ev.str(a.param(), ts);
            if (!FunctionSupport.validLabelName(strParam)) throw EvalContext.execError("invalid label name " + io.tsdb.query.parser.Literals.quote(strParam));
        } else if (op.hasParam()) {
            param = ev.scalar(a.param(), ts);
        }
        if (Accumulator.supports(op)) {
            VecVal sharded = ShardedAggregation.tryEval(ev, a, ts);
            if (sharded != null) return sharded;
            Accumulator acc = new Accumulator(cx, op, steps, a.grouping(), a.without());
            acc.pos = a.expr().pos();
            if (!streamInto(a.expr(), ts, acc)) {
                for (Row r : ev.vec(a.expr(), ts).rows) acc.add(r);
            }
            return acc.finish();
        }
        VecVal in = ev.vec(a.expr(), ts);
        if (op == AggregateOp.COUNT_VALUES) return countValues(a, in, strParam, steps);

        // group index per input row
        Map<Labels, Integer> groupIdx = new LinkedHashMap<>();
        int[] rowGroup = new int[in.rows.size()];
        for (int r = 0; r < in.rows.size(); r++) {
            Labels k = groupLabels(in.rows.get(r).labels, a.grouping(), a.without());
            Integer g = groupIdx.get(k);
            if (g == null) { g = groupIdx.size(); groupIdx.put(k, g); }
            rowGroup[r] = g;
        }
        int ng = groupIdx.size();
        Labels[] groupLabels = groupIdx.keySet().toArray(new Labels[0]);

        switch (op) {
            case TOPK, BOTTOMK, LIMITK, LIMIT_RATIO:
                return selectK(a, in, rowGroup, ng, param, steps);
            case QUANTILE:
                return quantile(a, in, rowGroup, ng, groupLabels, param, steps);
            default:
                throw new IllegalStateException(op.name());
        }
    }

    /**
     * Feeds the series of a selector or a range function straight into the accumulator, one at a time,
     * instead of materialising the whole input vector. Returns false when the input is not streamable.
     */
    boolean streamInto(Expr e, long[] ts, Accumulator acc) {
        Expr u = RangeEval.unwrap(e);
        if (u instanceof VectorSelector vs) {
            ev.selectors.instant(vs, ts, false, acc::add);
            return true;
        }
        if (u instanceof Call c) {
            if (!(((FunctionDef) c.fn()).impl() instanceof FunctionDef.Window w) || w.kernel() == RangeFunctions.Fn.ABSENT_OVER_TIME) {
                return false;
            }
            ev.ranges.call(c, w.kernel(), ts, acc::add, true);   // the accumulator keeps no row's values
            return true;
        }
        return false;
    }

    private VecVal quantile(AggregateExpr a, VecVal in, int[] rowGroup, int ng, Labels[] groupLabels, double[] q, int steps) {
        boolean warnedNaN = false, warnedHi = false, warnedLo = false;
        for (double x : q) {
            if (Double.isNaN(x) && !warnedNaN) { cx.warn("quantile value should be between 0 and 1, got NaN", a.param().pos()); warnedNaN = true; }
        }
        double max = Double.NEGATIVE_INFINITY, min = Double.POSITIVE_INFINITY;
        for (double x : q) { if (!Double.isNaN(x)) { max = Math.max(max, x); min = Math.min(min, x); } }
        if (max > 1) cx.warn("quantile value should be between 0 and 1, got " + GoFmt.g(max), a.param().pos());
        if (min < 0) cx.warn("quantile value should be between 0 and 1, got " + GoFmt.g(min), a.param().pos());
        List<List<Integer>> members = new ArrayList<>();
        for (int g = 0; g < ng; g++) members.add(new ArrayList<>());
        for (int r = 0; r < rowGroup.length; r++) members.get(rowGroup[r]).add(r);
        double[] buf = new double[Math.max(1, in.rows.size())];
        List<Row> out = new ArrayList<>();
        for (int g = 0; g < ng; g++) {
            double[] o = Row.empty(steps);
            boolean any = false, drop = false;
            for (int i = 0; i < steps; i++) {
                int n = 0;
                for (int r : members.get(g)) {
                    Row row = in.rows.get(r);
                    double f = row.v[i];
                    if (Vals.absent(f)) {
                        if (row.hist(i) != null) ignoredHistogram(a);
                        continue;
                    }
                    buf[n++] = f;
                    drop |= row.dropName;
                }
                if (n == 0) continue;
                o[i] = RangeFunctions.quantile(q[i], buf, n);
                any = true;
            }
            if (any) out.add(new Row(groupLabels[g], o, drop));
        }
        return new VecVal(out);
    }

    private VecVal countValues(AggregateExpr a, VecVal in, String label, int steps) {
        List<String> grouping = new ArrayList<>(a.grouping());
        if (!a.without()) grouping.add(label);
        Map<Labels, double[]> out = new LinkedHashMap<>();
        for (Row row : in.rows) {
            for (int i = 0; i < steps; i++) {
                double f = row.v[i];
                io.tsdb.core.histogram.FloatHistogram h = row.hist(i);
                if (Vals.absent(f) && h == null) continue;
                Labels l = row.labels.toBuilder().set(label, h != null ? HistogramText.of(h) : GoFmt.plain(f)).build();
                Labels k = groupLabels(l, grouping, a.without());
                double[] o = out.computeIfAbsent(k, x -> Row.empty(steps));
                o[i] = Vals.absent(o[i]) ? 1 : o[i] + 1;
            }
        }
        List<Row> rows = new ArrayList<>();
        for (var e : out.entrySet()) rows.add(new Row(e.getKey(), e.getValue(), false));
        return new VecVal(rows);
    }

    private VecVal selectK(AggregateExpr a, VecVal in, int[] rowGroup, int ng, double[] param, int steps) {
        AggregateOp op = a.op();
        double pmax = Double.NEGATIVE_INFINITY, pmin = Double.POSITIVE_INFINITY;
        boolean anyNaN = false;
        for (double p : param) {
            if (Double.isNaN(p)) { anyNaN = true; continue; }
            pmax = Math.max(pmax, p);
            pmin = Math.min(pmin, p);
        }
        if (op == AggregateOp.LIMIT_RATIO) {
            if (!anyNaN && pmax == 0 && pmin == 0) return VecVal.empty();
            if (anyNaN) throw EvalContext.execError("Ratio value is NaN");
            if (pmax > 1.0) cx.warn("ratio value should be between -1 and 1, got " + GoFmt.g(pmax) + ", capping to 1", a.param().pos());
            if (pmin < -1.0) cx.warn("ratio value should be between -1 and 1, got " + GoFmt.g(pmin) + ", capping to -1", a.param().pos());
        } else {
            if (!anyNaN && pmax < 1) return VecVal.empty();
            if (anyNaN) throw EvalContext.execError("Parameter value is NaN");
            if (pmin <= -9.223372036854776E18) throw EvalContext.execError("Scalar value " + GoFmt.g(pmin) + " underflows int64");
            if (pmax >= 9.223372036854776E18) throw EvalContext.execError("Scalar value " + GoFmt.g(pmax) + " overflows int64");
        }
        int nrows = in.rows.size();
        double[][] outV = new double[nrows][];
        List<Integer> order = new ArrayList<>(); // emission order for the single-step (instant) case
        List<List<Integer>> members = new ArrayList<>();
        for (int g = 0; g < ng; g++) members.add(new ArrayList<>());
        // Candidates enter the heap in label order: among equal values the choice then depends only on the labels,
        // not on the order an upstream operation emitted its series in (count_values, for one, emits them as it
        // meets their values, which depends on the evaluated range). Prometheus leaves the order unspecified (its
        // storage's order for a selector, label order once blocks are merged; a Go map's after other operations).
        // With it a step's choice is the same in an instant query, a range query, a subquery and a cached extent.
        for (int r : labelOrder(in)) members.get(rowGroup[r]).add(r);
        double[] offsets = null;
        if (op == AggregateOp.LIMIT_RATIO) {
            offsets = new double[nrows];
            for (int r = 0; r < nrows; r++) offsets[r] = XxHash64.offset(in.rows.get(r).labels);
        }
        int[] cand = new int[nrows];
        double[] heapVals = new double[nrows];
        boolean[] histSel = new boolean[nrows * steps];
        for (int i = 0; i < steps; i++) {
            final int step = i;
            for (int g = 0; g < ng; g++) {
                int n = 0;
                boolean limit = op == AggregateOp.LIMITK || op == AggregateOp.LIMIT_RATIO;
                for (int r : members.get(g)) {
                    Row row = in.rows.get(r);
                    if (Vals.present(row.v[i]) || (limit && row.hist(i) != null)) cand[n++] = r;
                    else if (row.hist(i) != null) ignoredHistogram(a);
                }
                if (n == 0) continue;
                int take;
                if (op == AggregateOp.LIMIT_RATIO) {
                    double ratio = Math.max(-1.0, Math.min(1.0, param[i]));
                    for (int j = 0; j < n; j++) {
                        int r = cand[j];
                        boolean keep = ratio >= 0 ? offsets[r] < ratio : offsets[r] >= 1.0 + ratio;
                        if (keep) { emit(in, outV, order, r, i, steps); histSel[r * steps + i] = true; }
                    }
                    continue;
                }
                long k = (long) Math.min(param[i], (double) nrows);
                if (k < 1) continue;
                take = (int) Math.min(k, n);
                if (op == AggregateOp.TOPK || op == AggregateOp.BOTTOMK) {
                    take = selectTop(in, cand, n, take, step, op == AggregateOp.TOPK, heapVals);
                }
                for (int j = 0; j < take; j++) { emit(in, outV, order, cand[j], i, steps); histSel[cand[j] * steps + i] = true; }
            }
        }
        List<Row> out = new ArrayList<>();
        if (steps == 1) {
            for (int r : order) out.add(selected(in, r, outV[r], histSel));
        } else {
            for (int r = 0; r < nrows; r++) {
                if (outV[r] != null) out.add(selected(in, r, outV[r], histSel));
            }
        }
        VecVal res = new VecVal(out);
        res.ordered = op == AggregateOp.TOPK || op == AggregateOp.BOTTOMK;
        return res;
    }

    /** Row indexes of in, sorted by labels (stable; rows from a selector are in label order already). */
    private static Integer[] labelOrder(VecVal in) {
        Integer[] idx = new Integer[in.rows.size()];
        boolean sorted = true;
        for (int r = 0; r < idx.length; r++) {
            idx[r] = r;
            if (r > 0 && in.rows.get(r - 1).labels.compareTo(in.rows.get(r).labels) > 0) sorted = false;
        }
        if (!sorted) Arrays.sort(idx, (a, b) -> in.rows.get(a).labels.compareTo(in.rows.get(b).labels));
        return idx;
    }

    /** "a is a worse candidate than b" for topk (bottomk reversed); NaN is always worst. */
    private static boolean worse(double a, double b, boolean top) {
        if (Double.isNaN(a)) return true;
        return top ? a < b : a > b;
    }

    /**
     * Keeps the best k of cand[0..n) in a binary heap (worst at the root, as Prometheus' heap), then
     * orders them best first into cand[0..k). Returns k. No allocation.
     */
    private static int selectTop(VecVal in, int[] cand, int n, int k, int step, boolean top, double[] hv) {
        int size = 0;
        for (int j = 0; j < n; j++) {
            int r = cand[j];
            double f = in.rows.get(r).v[step];
            if (size < k) {
                // push + sift up (heap kept in the prefix of cand, values in hv)
                int c = size++;
                cand[c] = r;
                hv[c] = f;
                while (c > 0) {
                    int p = (c - 1) / 2;
                    if (!worse(hv[c], hv[p], top)) break;
                    swap(cand, hv, c, p);
                    c = p;
                }
            } else if (top ? (hv[0] < f || (Double.isNaN(hv[0]) && !Double.isNaN(f)))
                    : (hv[0] > f || (Double.isNaN(hv[0]) && !Double.isNaN(f)))) {
                cand[0] = r;
                hv[0] = f;
                int c = 0;
                while (true) {
                    int l = 2 * c + 1;
                    if (l >= size) break;
                    int m = l;
                    if (l + 1 < size && worse(hv[l + 1], hv[l], top)) m = l + 1;
                    if (!worse(hv[m], hv[c], top)) break;
                    swap(cand, hv, c, m);
                    c = m;
                }
            }
        }
        // heap-sort: repeatedly move the worst to the end -> best first
        for (int end = size - 1; end > 0; end--) {
            swap(cand, hv, 0, end);
            int c = 0;
            while (true) {
                int l = 2 * c + 1;
                if (l >= end) break;
                int m = l;
                if (l + 1 < end && worse(hv[l + 1], hv[l], top)) m = l + 1;
                if (!worse(hv[m], hv[c], top)) break;
                swap(cand, hv, c, m);
                c = m;
            }
        }
        return size;
    }

    private static void swap(int[] c, double[] v, int a, int b) {
        int t = c[a]; c[a] = c[b]; c[b] = t;
        double x = v[a]; v[a] = v[b]; v[b] = x;
    }

    private static void emit(VecVal in, double[][] outV, List<Integer> order, int r, int i, int steps) {
        if (outV[r] == null) {
            outV[r] = Row.empty(steps);
            order.add(r);
        }
        outV[r][i] = in.rows.get(r).v[i];
    }

    /** Output row r of selectK: its selected floats, and its histograms at the selected steps. */
    private static Row selected(VecVal in, int r, double[] v, boolean[] histSel) {
        Row src = in.rows.get(r);
        io.tsdb.core.histogram.FloatHistogram[] h = null;
        if (src.h != null) {
            for (int i = 0; i < v.length; i++) {
                if (src.h[i] != null && histSel[r * v.length + i]) {
                    if (h == null) h = new io.tsdb.core.histogram.FloatHistogram[v.length];
                    h[i] = src.h[i];
                }
            }
        }
        return new Row(src.labels, v, h, src.dropName);
    }

    private void ignoredHistogram(AggregateExpr a) {
        cx.info("ignored histogram in " + a.op().name().toLowerCase(java.util.Locale.ROOT) + " aggregation", a.expr().pos());
    }

}
