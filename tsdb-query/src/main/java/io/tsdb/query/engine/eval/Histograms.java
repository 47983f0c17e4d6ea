package io.tsdb.query.engine.eval;

import io.tsdb.core.Labels;
import io.tsdb.query.ast.Call;
import io.tsdb.query.engine.eval.FunctionDef.Special;
import io.tsdb.query.engine.eval.FunctionRegistry.Builder;
import io.tsdb.query.engine.eval.Vals.Row;
import io.tsdb.query.engine.eval.Vals.VecVal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.tsdb.query.engine.eval.FunctionRegistry.ANY_VECTOR;
import static io.tsdb.query.engine.eval.FunctionRegistry.HISTOGRAM_VECTOR;
import static io.tsdb.query.engine.eval.FunctionRegistry.SCALAR;
import static io.tsdb.query.engine.eval.FunctionRegistry.STRING;

/**
 * The registry's histogram functions. histogram_quantile(s) and histogram_fraction are evaluated here over classic
 * {@code le} bucket series, per step; they are declared to take native histograms too, as upstream. The
 * native-histogram accessors take only histogram samples: until the engine carries histogram samples, they
 * evaluate their argument (for its errors and annotations) and return an empty vector, which is what Prometheus
 * answers for float input.
 */
final class Histograms {
    private Histograms() {}

    static void declare(Builder b) {
        b.vector("histogram_quantile").args(SCALAR, ANY_VECTOR).impl((Special) Histograms::quantile);
        b.vector("histogram_fraction").args(SCALAR, SCALAR, ANY_VECTOR).impl((Special) Histograms::fraction);
        b.vector("histogram_quantiles").args(ANY_VECTOR, STRING, SCALAR, SCALAR).variadic(9).experimental()
                .impl((Special) Histograms::quantiles);
        b.vector("histogram_count").args(HISTOGRAM_VECTOR).impl((Special) (ev, c, ts) -> mapHist(ev, c, ts, h -> h.count, true));
        b.vector("histogram_sum").args(HISTOGRAM_VECTOR).impl((Special) (ev, c, ts) -> mapHist(ev, c, ts, h -> h.sum, true));
        b.vector("histogram_avg").args(HISTOGRAM_VECTOR).impl((Special) (ev, c, ts) -> mapHist(ev, c, ts, h -> h.sum / h.count, true));
        b.vector("histogram_stdvar").args(HISTOGRAM_VECTOR).impl((Special) (ev, c, ts) ->
                mapHist(ev, c, ts, ev.nativeHistograms()::stdvar, false));
        b.vector("histogram_stddev").args(HISTOGRAM_VECTOR).impl((Special) (ev, c, ts) ->
                mapHist(ev, c, ts, h -> Math.sqrt(ev.nativeHistograms().stdvar(h)), false));
    }

    /** A float of every histogram sample of the argument (float samples are ignored); the result drops the name. */
    private static VecVal mapHist(Evaluator ev, Call c, long[] ts, java.util.function.ToDoubleFunction<io.tsdb.core.histogram.FloatHistogram> f,
                                  boolean statsOnly) {
        boolean before = ev.cx.statsDecoding;
        ev.cx.statsDecoding = statsOnly;
        VecVal in;
        try {
            in = ev.vec(c.args().get(0), ts);
        } finally {
            ev.cx.statsDecoding = before;
        }
        List<Row> out = new ArrayList<>();
        for (Row r : in.rows) {
            if (r.h == null) continue;
            double[] o = null;
            for (int i = 0; i < ts.length; i++) {
                if (r.h[i] == null) continue;
                if (o == null) o = Row.empty(ts.length);
                o[i] = f.applyAsDouble(r.h[i]);
            }
            if (o != null) out.add(new Row(r.labels, o, true));
        }
        return new VecVal(out);
    }

    /**
     * Adds the native histograms' results of a quantile/fraction call to the output: rows of their own, except where a
     * classic group's result has the same labels at the same step: then neither is returned, with the upstream
     * warning.
     */
    static void addNative(EvalContext cx, Call c, int argIdx, VecVal in, List<Row> out, long[] ts,
                          java.util.function.BiFunction<Integer, io.tsdb.core.histogram.FloatHistogram, Double> f) {
        Map<Labels, Row> classic = new HashMap<>();
        for (Row r : out) classic.put(r.labels, r);
        for (Row r : in.rows) {
            if (r.h == null) continue;
            Row cl = classic.get(r.labels);
            double[] o = null;
            for (int i = 0; i < ts.length; i++) {
                io.tsdb.core.histogram.FloatHistogram h = r.h[i];
                if (h == null) continue;
                if (cl != null && Vals.present(cl.v[i])) {
                    String name = r.labels.metricName();
                    cx.warn("vector contains a mix of classic and native histograms"
                            + (name == null ? "" : " for metric name \"" + name + "\""), c.args().get(argIdx).pos());
                    cl.v[i] = Vals.ABSENT;
                    continue;
                }
                if (o == null) o = Row.empty(ts.length);
                o[i] = f.apply(i, h);
                if (Double.isNaN(h.sum)) nanObservations(cx, c, argIdx, r, o[i]);
            }
            if (o != null) out.add(new Row(r.labels, o, true));
        }
        out.removeIf(r -> !r.any());
    }

    /** The info upstream gives when a native histogram has NaN observations (its sum is NaN). */
    static void nanObservations(EvalContext cx, Call c, int argIdx, Row r, double result) {
        String name = r.labels.metricName();
        String forName = name == null ? "" : " for metric name \"" + name + "\"";
        String msg = c.fn().name().equals("histogram_fraction")
                ? "input to histogram_fraction has NaN observations, which are excluded from all fractions"
                : "input to histogram_quantile has NaN observations, result is " + (Double.isNaN(result) ? "NaN" : "skewed higher");
        cx.info(msg + forName, c.args().get(argIdx).pos());
    }

    private static final double SMALL_DELTA_TOLERANCE = 1e-12;

    /** Go strconv.ParseFloat-compatible parsing; NaN bits 0x7ff...dead for invalid input (returns null). */
    static Double parseGoFloat(String s) {
        if (s == null || s.isEmpty()) return null;
        String l = s.toLowerCase(java.util.Locale.ROOT);
        switch (l) {
            case "inf", "+inf", "infinity", "+infinity": return Double.POSITIVE_INFINITY;
            case "-inf", "-infinity": return Double.NEGATIVE_INFINITY;
            case "nan": return Double.NaN;
            default: break;
        }
        char last = l.charAt(l.length() - 1);
        if (last == 'd' || last == 'f' || Character.isWhitespace(s.charAt(0)) || Character.isWhitespace(last)) return null;
        try {
            if (l.startsWith("0x") || l.startsWith("-0x") || l.startsWith("+0x")) {
                if (!l.contains("p")) return null;
            }
            return Double.parseDouble(s.replace("_", ""));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static final class Group {
        final Labels labels;
        final List<Integer> rows = new ArrayList<>();
        final List<Double> bounds = new ArrayList<>();
        boolean dropName;
        Group(Labels labels) { this.labels = labels; }
    }

    private static Map<Labels, Group> group(EvalContext cx, VecVal in, Call c, int argIdx, long[] ts) {
        Map<Labels, Group> groups = new java.util.LinkedHashMap<>();
        for (int ri = 0; ri < in.rows.size(); ri++) {
            Row r = in.rows.get(ri);
            if (r.h != null && !hasFloat(r)) continue; // a native histogram series (even with an le label)
            String le = r.labels.get("le");
            Double ub = parseGoFloat(le);
            if (ub == null) {
                String name = r.labels.metricName();
                cx.warn("bucket label \"le\" is missing or has a malformed value of \"" + FunctionSupport.nz(le) + "\""
                        + (name == null ? "" : " for metric name \"" + name + "\""), c.args().get(argIdx).pos());
                continue;
            }
            Labels key = r.labels.toBuilder().del("le").build();
            Group g = groups.computeIfAbsent(key, Group::new);
            g.rows.add(ri);
            g.bounds.add(ub);
        }
        return groups;
    }

    private static boolean hasFloat(Row r) {
        for (double x : r.v) if (Vals.present(x)) return true;
        return false;
    }

    static VecVal quantile(Evaluator ev, Call c, long[] ts) {
        EvalContext cx = ev.cx;
        double[] q = ev.scalar(c.args().get(0), ts);
        VecVal in = ev.vec(c.args().get(1), ts);
        for (double x : q) {
            if (Double.isNaN(x) || x < 0 || x > 1) {
                cx.warn("quantile value should be between 0 and 1, got " + GoFmt.g(x), c.args().get(0).pos());
                break;
            }
        }
        Map<Labels, Group> groups = group(cx, in, c, 1, ts);
        List<Row> out = new ArrayList<>();
        double[] ub = new double[16], cnt = new double[16];
        double[] mono = new double[3];
        boolean[] forced = new boolean[1];
        for (Group g : groups.values()) {
            double[] o = Row.empty(ts.length);
            boolean any = false;
            for (int i = 0; i < ts.length; i++) {
                int n = 0;
                if (ub.length < g.rows.size()) { ub = new double[g.rows.size()]; cnt = new double[g.rows.size()]; }
                for (int k = 0; k < g.rows.size(); k++) {
                    double v = in.rows.get(g.rows.get(k)).v[i];
                    if (Vals.absent(v)) continue;
                    ub[n] = g.bounds.get(k);
                    cnt[n] = v;
                    n++;
                }
                if (n == 0) continue;
                forced[0] = false;
                o[i] = bucketQuantile(q[i], ub, cnt, n, forced, mono);
                any = true;
                if (forced[0]) {
                    String name = g.labels.metricName();
                    cx.info("input to histogram_quantile needed to be fixed for monotonicity (see "
                            + "https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)"
                            + (name == null ? "" : " for metric name \"" + name + "\""), c.args().get(1).pos());
                }
            }
            if (any) out.add(new Row(g.labels, o, true));
        }
        NativeHistograms nh = ev.nativeHistograms();
        addNative(cx, c, 1, in, out, ts, (i, h) -> nh.quantile(q[i], h));
        return new VecVal(out);
    }

    /** histogram_quantiles(v, "label", q1, q2, ...): one output series per group and quantile. */
    static VecVal quantiles(Evaluator ev, Call c, long[] ts) {
        EvalContext cx = ev.cx;
        VecVal in = ev.vec(c.args().get(0), ts);
        String label = ev.str(c.args().get(1), ts);
        List<double[]> qs = new ArrayList<>();
        for (int a = 2; a < c.args().size(); a++) {
            double[] q = ev.scalar(c.args().get(a), ts);
            for (double x : q) {
                if (Double.isNaN(x) || x < 0 || x > 1) {
                    cx.warn("quantile value should be between 0 and 1, got " + GoFmt.g(x), c.args().get(a).pos());
                    break;
                }
            }
            qs.add(q);
        }
        Map<Labels, Group> groups = group(cx, in, c, 0, ts);
        Map<Labels, double[]> out = new java.util.LinkedHashMap<>();
        for (double[] q : qs) {
            for (Group g : groups.values()) {
                double[] ub = new double[g.rows.size()], cnt = new double[g.rows.size()];
                for (int i = 0; i < ts.length; i++) {
                    int n = 0;
                    for (int k = 0; k < g.rows.size(); k++) {
                        double v = in.rows.get(g.rows.get(k)).v[i];
                        if (Vals.absent(v)) continue;
                        ub[n] = g.bounds.get(k);
                        cnt[n] = v;
                        n++;
                    }
                    if (n == 0) continue;
                    boolean[] forced = new boolean[1];
                    double r = bucketQuantile(q[i], ub, cnt, n, forced, new double[3]);
                    if (forced[0]) {
                        String name = g.labels.metricName();
                        cx.info("input to histogram_quantile needed to be fixed for monotonicity (see "
                                + "https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)"
                                + (name == null ? "" : " for metric name \"" + name + "\""), c.args().get(0).pos());
                    }
                    Labels l = g.labels.toBuilder().set(label, GoFmt.openMetrics(q[i])).build();
                    double[] o = out.computeIfAbsent(l, x -> Row.empty(ts.length));
                    if (Vals.present(o[i])) throw EvalContext.execError(Rows.DUPLICATE_LABELSET);
                    o[i] = r;
                }
            }
        }
        List<Row> rows = new ArrayList<>();
        for (var e : out.entrySet()) rows.add(new Row(e.getKey(), e.getValue(), true));
        // native histograms: one row per input series and quantile; a classic group with the same labels conflicts
        Map<Labels, Row> classicByGroup = new HashMap<>();
        for (Group g : groups.values()) classicByGroup.put(g.labels, null);
        for (Row r : in.rows) {
            if (r.h == null) continue;
            boolean conflict = false;
            if (classicByGroup.containsKey(r.labels)) {
                for (int i = 0; i < ts.length && !conflict; i++) {
                    if (r.h[i] == null) continue;
                    for (Row o : rows) {
                        if (Vals.present(o.v[i]) && o.labels.toBuilder().del(label).build().equals(r.labels)) { conflict = true; break; }
                    }
                }
            }
            if (conflict) {
                String name = r.labels.metricName();
                cx.warn("vector contains a mix of classic and native histograms"
                        + (name == null ? "" : " for metric name \"" + name + "\""), c.args().get(0).pos());
                rows.removeIf(o -> o.labels.toBuilder().del(label).build().equals(r.labels));
                continue;
            }
            for (double[] q : qs) {
                Map<Labels, double[]> perQ = new java.util.LinkedHashMap<>();
                for (int i = 0; i < ts.length; i++) {
                    if (r.h[i] == null) continue;
                    Labels l = r.labels.toBuilder().set(label, GoFmt.openMetrics(q[i])).build();
                    double res = ev.nativeHistograms().quantile(q[i], r.h[i]);
                    perQ.computeIfAbsent(l, x -> Row.empty(ts.length))[i] = res;
                    if (Double.isNaN(r.h[i].sum)) nanObservations(cx, c, 0, r, res);
                }
                for (var e : perQ.entrySet()) rows.add(new Row(e.getKey(), e.getValue(), true));
            }
        }
        return new VecVal(rows);
    }

    static VecVal fraction(Evaluator ev, Call c, long[] ts) {
        EvalContext cx = ev.cx;
        double[] lower = ev.scalar(c.args().get(0), ts);
        double[] upper = ev.scalar(c.args().get(1), ts);
        VecVal in = ev.vec(c.args().get(2), ts);
        Map<Labels, Group> groups = group(cx, in, c, 2, ts);
        List<Row> out = new ArrayList<>();
        for (Group g : groups.values()) {
            double[] o = Row.empty(ts.length);
            boolean any = false;
            double[] ub = new double[g.rows.size()], cnt = new double[g.rows.size()];
            for (int i = 0; i < ts.length; i++) {
                int n = 0;
                for (int k = 0; k < g.rows.size(); k++) {
                    double v = in.rows.get(g.rows.get(k)).v[i];
                    if (Vals.absent(v)) continue;
                    ub[n] = g.bounds.get(k);
                    cnt[n] = v;
                    n++;
                }
                if (n == 0) continue;
                o[i] = bucketFraction(lower[i], upper[i], ub, cnt, n);
                any = true;
            }
            if (any) out.add(new Row(g.labels, o, true));
        }
        NativeHistograms nh = ev.nativeHistograms();
        addNative(cx, c, 2, in, out, ts, (i, h) -> nh.fraction(lower[i], upper[i], h));
        return new VecVal(out);
    }

    /** Sorts buckets by upper bound (stable) and merges equal bounds; returns the new count. */
    private static int sortAndCoalesce(double[] ub, double[] cnt, int n) {
        Integer[] idx = new Integer[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        Arrays.sort(idx, (a, b) -> Double.compare(ub[a], ub[b]) == 0 ? 0 : (ub[a] < ub[b] ? -1 : (ub[a] > ub[b] ? 1 : 0)));
        double[] u2 = new double[n], c2 = new double[n];
        for (int i = 0; i < n; i++) { u2[i] = ub[idx[i]]; c2[i] = cnt[idx[i]]; }
        int k = 0;
        double lu = u2[0], lc = c2[0];
        for (int i = 1; i < n; i++) {
            if (u2[i] == lu) {
                lc += c2[i];
            } else {
                ub[k] = lu; cnt[k] = lc; k++;
                lu = u2[i]; lc = c2[i];
            }
        }
        ub[k] = lu; cnt[k] = lc;
        return k + 1;
    }

    static boolean almostEqual(double a, double b, double epsilon) {
        if (a == b) return true;
        if (Double.isNaN(a) && Double.isNaN(b)) return true;
        double absSum = Math.abs(a) + Math.abs(b);
        double diff = Math.abs(a - b);
        if (a == 0 || b == 0 || absSum < Double.MIN_NORMAL) return diff < epsilon * Double.MIN_NORMAL;
        return diff / Math.min(absSum, Double.MAX_VALUE) < epsilon;
    }

    static double bucketQuantile(double q, double[] ub, double[] cnt, int n, boolean[] forced, double[] mono) {
        if (Double.isNaN(q)) return Double.NaN;
        if (q < 0) return Double.NEGATIVE_INFINITY;
        if (q > 1) return Double.POSITIVE_INFINITY;
        n = sortAndCoalesce(ub, cnt, n);
        if (!(ub[n - 1] == Double.POSITIVE_INFINITY)) return Double.NaN;
        // ensure monotonic, ignoring tiny deltas
        double prev = cnt[0];
        for (int i = 1; i < n; i++) {
            double curr = cnt[i];
            if (curr == prev) continue;
            if (almostEqual(prev, curr, SMALL_DELTA_TOLERANCE)) {
                cnt[i] = prev;
                continue;
            }
            if (curr < prev) {
                cnt[i] = prev;
                forced[0] = true;
                continue;
            }
            prev = curr;
        }
        if (n < 2) return Double.NaN;
        double observations = cnt[n - 1];
        if (observations == 0) return Double.NaN;
        double rank = q * observations;
        int b = 0;
        while (b < n - 1 && !(cnt[b] >= rank)) b++;
        if (b == n - 1) return ub[n - 2];
        if (b == 0 && ub[0] <= 0) return ub[0];
        double bucketStart = 0, bucketEnd = ub[b], count = cnt[b];
        if (b > 0) {
            bucketStart = ub[b - 1];
            count -= cnt[b - 1];
            rank -= cnt[b - 1];
        }
        return bucketStart + (bucketEnd - bucketStart) * (rank / count);
    }

    static double bucketFraction(double lower, double upper, double[] ub, double[] cnt, int n) {
        n = sortAndCoalesce(ub, cnt, n);
        if (!(ub[n - 1] == Double.POSITIVE_INFINITY)) return Double.NaN;
        double count = cnt[n - 1];
        if (count == 0 || Double.isNaN(lower) || Double.isNaN(upper)) return Double.NaN;
        if (lower >= upper) return 0;
        double rank = 0, lowerRank = 0, upperRank = 0;
        boolean lowerSet = false, upperSet = false;
        double lowerBound = ub[0] <= 0 ? Double.NEGATIVE_INFINITY : 0.0;
        for (int i = 0; i < n; i++) {
            if (i > 0) lowerBound = ub[i - 1];
            double upperBound = ub[i];
            double bc = cnt[i];
            if (!lowerSet && lowerBound >= lower) { lowerRank = rank; lowerSet = true; }
            if (!upperSet && lowerBound >= upper) { upperRank = rank; upperSet = true; }
            if (lowerSet && upperSet) break;
            if (!lowerSet && lowerBound < lower && upperBound > lower) {
                lowerRank = lowerBound == Double.NEGATIVE_INFINITY ? bc
                        : rank + (bc - rank) * (lower - lowerBound) / (upperBound - lowerBound);
                lowerSet = true;
            }
            if (!upperSet && lowerBound < upper && upperBound > upper) {
                upperRank = lowerBound == Double.NEGATIVE_INFINITY ? bc
                        : rank + (bc - rank) * (upper - lowerBound) / (upperBound - lowerBound);
                upperSet = true;
            }
            if (lowerSet && upperSet) break;
            rank = bc;
        }
        if (!lowerSet || lowerRank > count) lowerRank = count;
        if (!upperSet || upperRank > count) upperRank = count;
        return (upperRank - lowerRank) / count;
    }
}
