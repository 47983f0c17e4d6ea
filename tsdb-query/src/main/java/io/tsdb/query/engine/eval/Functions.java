package io.tsdb.query.engine.eval;

import io.tsdb.core.Labels;
import io.tsdb.query.ast.Call;
import io.tsdb.query.ast.Expr;
import io.tsdb.query.ast.MatrixSelector;
import io.tsdb.query.ast.VectorSelector;
import io.tsdb.query.engine.eval.RangeFunctions.Fn;
import io.tsdb.query.engine.eval.Vals.Row;
import io.tsdb.query.engine.eval.Vals.ScalarVal;
import io.tsdb.query.engine.eval.Vals.StrVal;
import io.tsdb.query.engine.eval.Vals.Val;
import io.tsdb.query.engine.eval.Vals.VecVal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.DoubleUnaryOperator;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** Function calls: dispatch to range functions, and the instant-vector / scalar functions. */
public final class Functions {
    private final Evaluator ev;
    private final EvalContext cx;

    Functions(Evaluator ev) {
        this.ev = ev;
        this.cx = ev.cx;
    }

    public Val eval(Call c, long[] ts) {
        String name = c.function();
        List<Expr> args = c.args();
        Fn fn = Fn.of(name);
        if (fn != null && !args.isEmpty() && hasMatrixArg(args)) return ev.ranges.call(c, fn, ts);
        switch (name) {
            case "time": {
                double[] v = new double[ts.length];
                for (int i = 0; i < ts.length; i++) v[i] = ts[i] / 1000.0;
                return new ScalarVal(v);
            }
            case "start": return constant(ts, cx.queryStart / 1000.0);
            case "end": return constant(ts, cx.queryEnd / 1000.0);
            case "range": return constant(ts, (cx.queryEnd - cx.queryStart) / 1000.0);
            case "step": return constant(ts, cx.queryStart == cx.queryEnd ? 0 : cx.queryStep / 1000.0);
            case "min_of": case "max_of": {
                double[] a = ev.scalar(args.get(0), ts), b = ev.scalar(args.get(1), ts);
                double[] o = new double[ts.length];
                for (int i = 0; i < o.length; i++) o[i] = name.equals("min_of") ? Math.min(a[i], b[i]) : Math.max(a[i], b[i]);
                return new ScalarVal(o);
            }
            case "pi": {
                double[] v = new double[ts.length];
                Arrays.fill(v, Math.PI);
                return new ScalarVal(v);
            }
            case "vector": {
                double[] s = ev.scalar(args.get(0), ts);
                List<Row> rows = new ArrayList<>();
                rows.add(new Row(Labels.EMPTY, s.clone(), false));
                return new VecVal(rows);
            }
            case "scalar": return scalarOf(vec(args.get(0), ts), ts.length);
            case "abs": return simple(args, ts, Math::abs);
            case "ceil": return simple(args, ts, Math::ceil);
            case "floor": return simple(args, ts, Math::floor);
            case "exp": return simple(args, ts, Math::exp);
            case "sqrt": return simple(args, ts, Math::sqrt);
            case "ln": return simple(args, ts, Math::log);
            case "log2": return simple(args, ts, x -> Math.log(x) / Math.log(2));
            case "log10": return simple(args, ts, Math::log10);
            case "sin": return simple(args, ts, Math::sin);
            case "cos": return simple(args, ts, Math::cos);
            case "tan": return simple(args, ts, Math::tan);
            case "asin": return simple(args, ts, Math::asin);
            case "acos": return simple(args, ts, Math::acos);
            case "atan": return simple(args, ts, Math::atan);
            case "sinh": return simple(args, ts, Functions::sinh);
            case "cosh": return simple(args, ts, Functions::cosh);
            case "tanh": return simple(args, ts, Math::tanh);
            case "asinh": return simple(args, ts, Functions::asinh);
            case "acosh": return simple(args, ts, Functions::acosh);
            case "atanh": return simple(args, ts, Functions::atanh);
            case "rad": return simple(args, ts, x -> x * Math.PI / 180);
            case "deg": return simple(args, ts, x -> x * 180 / Math.PI);
            case "sgn": return simple(args, ts, x -> x < 0 ? -1 : x > 0 ? 1 : x);
            case "clamp": {
                VecVal v = vec(args.get(0), ts);
                double[] lo = ev.scalar(args.get(1), ts), hi = ev.scalar(args.get(2), ts);
                return clamp(v, lo, hi);
            }
            case "clamp_min": {
                VecVal v = vec(args.get(0), ts);
                double[] lo = ev.scalar(args.get(1), ts), hi = new double[ts.length];
                Arrays.fill(hi, Double.POSITIVE_INFINITY);
                return clamp(v, lo, hi);
            }
            case "clamp_max": {
                VecVal v = vec(args.get(0), ts);
                double[] hi = ev.scalar(args.get(1), ts), lo = new double[ts.length];
                Arrays.fill(lo, Double.NEGATIVE_INFINITY);
                return clamp(v, lo, hi);
            }
            case "round": {
                VecVal v = vec(args.get(0), ts);
                double[] to = args.size() > 1 ? ev.scalar(args.get(1), ts) : null;
                return mapRows(v, (i, x) -> {
                    double inv = 1.0 / (to == null ? 1.0 : to[i]);
                    return Math.floor(x * inv + 0.5) / inv;
                });
            }
            case "timestamp": {
                Expr a = RangeEval.unwrap(args.get(0));
                if (a instanceof VectorSelector vs) {
                    VecVal v;
                    if (vs.at() != null && vs.offsetMs() != 0) {
                        // Prometheus (2.x and 3.x) evaluates timestamp(x @ t offset o) at t, ignoring the offset, over
                        // the samples its storage querier was opened for: [t - o - lookback, t - o].
                        long at = ev.selectors.effectiveTimes(vs.at(), 0, new long[]{ts[0]})[0], o = vs.offsetMs();
                        VectorSelector atOnly = new VectorSelector(vs.name(), vs.matchers(), 0, vs.at(), vs.pos());
                        List<Row> rows = new ArrayList<>();
                        ev.selectors.instant(atOnly, ts, true, at - o - cx.lookbackMs, at - o, r -> {
                            cx.addSamples(r.v.length);
                            rows.add(r);
                        });
                        v = new VecVal(rows);
                    } else {
                        v = ev.selectors.instant(vs, ts, true);
                    }
                    for (Row r : v.rows) r.dropName = true;
                    return v;
                }
                VecVal v = vec(args.get(0), ts);
                return mapRows(v, (i, x) -> ts[i] / 1000.0);
            }
            case "absent": {
                VecVal v = vec(args.get(0), ts);
                double[] out = Row.empty(ts.length);
                boolean any = false;
                for (int i = 0; i < ts.length; i++) {
                    boolean present = false;
                    for (Row r : v.rows) if (Vals.present(r.v[i])) { present = true; break; }
                    if (!present) { out[i] = 1; any = true; }
                }
                List<Row> rows = new ArrayList<>();
                if (any) {
                    Expr a = args.get(0);
                    Labels l = Labels.EMPTY;
                    if (a instanceof VectorSelector vs) l = RangeEval.absentLabels(vs.matchers());
                    else if (a instanceof MatrixSelector ms) l = RangeEval.absentLabels(ms.selector().matchers());
                    rows.add(new Row(l, out, false));
                }
                return new VecVal(rows);
            }
            case "sort": case "sort_desc": case "sort_by_label": case "sort_by_label_desc":
                return sort(c, ts);
            case "label_replace": return labelReplace(args, ts);
            case "info": return InfoFunction.eval(ev, c, ts);
            case "label_join": return labelJoin(args, ts);
            case "histogram_quantile": return Histograms.quantile(ev, c, ts);
            case "histogram_quantiles": return Histograms.quantiles(ev, c, ts);
            case "histogram_fraction": return Histograms.fraction(ev, c, ts);
            case "histogram_count": case "histogram_sum": case "histogram_avg": case "histogram_stddev":
            case "histogram_stdvar":
                vec(args.get(0), ts); // floats are ignored: only native histograms have these
                return VecVal.empty();
            case "days_in_month": return date(args, ts, d -> d.daysInMonth);
            case "day_of_month": return date(args, ts, d -> d.dayOfMonth);
            case "day_of_week": return date(args, ts, d -> d.dayOfWeek);
            case "day_of_year": return date(args, ts, d -> d.dayOfYear);
            case "hour": return date(args, ts, d -> d.hour);
            case "minute": return date(args, ts, d -> d.minute);
            case "month": return date(args, ts, d -> d.month);
            case "year": return date(args, ts, d -> d.year);
            default:
                throw EvalContext.execError("function \"" + name + "\" is not supported");
        }
    }

    /**
     * Hyperbolic functions as Prometheus gets them from Go: above |x| = 21 they are exp(|x|) / 2, which overflows to
     * +/-Inf from |x| of about 709.78 on, where java.lang.Math still returns the finite values up to 710.47.
     */
    static double sinh(double x) {
        return Math.abs(x) > 21 ? Math.copySign(Math.exp(Math.abs(x)) * 0.5, x) : Math.sinh(x);
    }

    static double cosh(double x) {
        return Math.abs(x) > 21 ? Math.exp(Math.abs(x)) * 0.5 : Math.cosh(x);
    }

    private static ScalarVal constant(long[] ts, double v) {
        double[] o = new double[ts.length];
        Arrays.fill(o, v);
        return new ScalarVal(o);
    }

    private static boolean hasMatrixArg(List<Expr> args) {
        for (Expr a : args) if (a.type() == io.tsdb.query.ast.ValueType.MATRIX) return true;
        return false;
    }

    /** 2^28: above it x*x overflows long before the result does; ln(2x) is exact to the last bit there. */
    private static final double LARGE = 0x1p28, LN2 = Math.log(2);

    static double asinh(double x) {
        if (Double.isInfinite(x) || Double.isNaN(x) || x == 0) return x;
        double a = Math.abs(x);
        double r = a > LARGE ? Math.log(a) + LN2 : Math.log1p(a + a * a / (1 + Math.sqrt(1 + a * a)));
        return x < 0 ? -r : r;
    }

    /** NaN below 1 (Go's math.Acosh; the log form gave -Inf for large negative x). */
    static double acosh(double x) {
        if (x < 1 || Double.isNaN(x)) return Double.NaN;
        if (x == 1) return 0;
        if (x > LARGE) return Math.log(x) + LN2;
        double t = x - 1;
        return Math.log1p(t + Math.sqrt(2 * t + t * t));
    }

    static double atanh(double x) {
        if (Double.isNaN(x) || x < -1 || x > 1) return Double.NaN;
        if (x == 1 || x == -1) return x * Double.POSITIVE_INFINITY;
        if (x == 0) return x;
        double a = Math.abs(x), r = 0.5 * Math.log1p(2 * a / (1 - a));
        return x < 0 ? -r : r;
    }

    VecVal vec(Expr e, long[] ts) {
        Val v = ev.eval(e, ts);
        if (v instanceof VecVal vv) return vv;
        throw EvalContext.execError("expected instant vector, got " + e.type().description);
    }

    String str(Expr e, long[] ts) {
        Val v = ev.eval(e, ts);
        if (v instanceof StrVal s) return s.s();
        throw EvalContext.execError("expected string, got " + e.type().description);
    }

    interface StepOp { double apply(int step, double x); }

    /** Applies op to every present point; the result drops the metric name. */
    static VecVal mapRows(VecVal in, StepOp op) {
        List<Row> rows = new ArrayList<>(in.rows.size());
        for (Row r : in.rows) {
            double[] o = new double[r.v.length];
            for (int i = 0; i < o.length; i++) {
                double x = r.v[i];
                o[i] = Vals.present(x) ? op.apply(i, x) : Vals.ABSENT;
            }
            rows.add(new Row(r.labels, o, true));
        }
        return new VecVal(rows);
    }

    private VecVal simple(List<Expr> args, long[] ts, DoubleUnaryOperator f) {
        return mapRows(vec(args.get(0), ts), (i, x) -> f.applyAsDouble(x));
    }

    private static VecVal clamp(VecVal v, double[] lo, double[] hi) {
        List<Row> rows = new ArrayList<>(v.rows.size());
        for (Row r : v.rows) {
            double[] o = Row.empty(r.v.length);
            boolean any = false;
            for (int i = 0; i < o.length; i++) {
                if (Vals.absent(r.v[i]) || hi[i] < lo[i]) continue;
                o[i] = Math.max(lo[i], Math.min(hi[i], r.v[i]));
                any = true;
            }
            if (any) rows.add(new Row(r.labels, o, true));
        }
        return new VecVal(rows);
    }

    private static ScalarVal scalarOf(VecVal v, int steps) {
        double[] out = new double[steps];
        for (int i = 0; i < steps; i++) {
            int found = 0;
            double val = Double.NaN;
            for (Row r : v.rows) {
                if (Vals.present(r.v[i])) {
                    found++;
                    val = r.v[i];
                    if (found > 1) break;
                }
            }
            out[i] = found == 1 ? val : Double.NaN;
        }
        return new ScalarVal(out);
    }

    interface DateFn { double apply(GoTime t); }

    /**
     * Date functions as Prometheus computes them: of the evaluation time truncated to seconds, or of each sample
     * value converted to int64 the way Go converts (NaN and +/-Inf included, see {@link GoTime}).
     */
    private Val date(List<Expr> args, long[] ts, DateFn f) {
        if (args.isEmpty()) {
            List<Row> rows = new ArrayList<>();
            double[] o = new double[ts.length];
            for (int i = 0; i < ts.length; i++) o[i] = f.apply(GoTime.ofUnixSeconds(ts[i] / 1000));
            rows.add(new Row(Labels.EMPTY, o, false));
            return new VecVal(rows);
        }
        return mapRows(vec(args.get(0), ts), (i, x) -> f.apply(GoTime.ofUnixSeconds(GoTime.goInt64(x))));
    }

    private Val sort(Call c, long[] ts) {
        String name = c.function();
        VecVal v = vec(c.args().get(0), ts);
        if (ts.length > 1) {
            cx.warn("sort is ineffective for range queries since results are always ordered by labels", c.pos());
            return v;
        }
        List<Row> rows = new ArrayList<>(v.rows);
        Comparator<Row> cmp;
        switch (name) {
            case "sort" -> cmp = (a, b) -> {
                double x = a.v[0], y = b.v[0];
                if (Double.isNaN(x) && Double.isNaN(y)) return 0;
                if (Double.isNaN(x)) return 1;
                if (Double.isNaN(y)) return -1;
                return Double.compare(x, y);
            };
            case "sort_desc" -> cmp = (a, b) -> {
                double x = a.v[0], y = b.v[0];
                if (Double.isNaN(x) && Double.isNaN(y)) return 0;
                if (Double.isNaN(x)) return 1;
                if (Double.isNaN(y)) return -1;
                return Double.compare(y, x);
            };
            default -> {
                List<String> labels = new ArrayList<>();
                for (int i = 1; i < c.args().size(); i++) labels.add(str(c.args().get(i), ts));
                boolean desc = name.equals("sort_by_label_desc");
                cmp = (a, b) -> {
                    for (String l : labels) {
                        String x = nz(a.labels.get(l)), y = nz(b.labels.get(l));
                        if (x.equals(y)) continue;
                        int r = NatSort.less(x, y) ? -1 : 1;
                        return desc ? -r : r;
                    }
                    int r = a.labels.compareTo(b.labels);
                    return desc ? -r : r;
                };
            }
        }
        rows.sort(cmp);
        VecVal out = new VecVal(rows);
        out.ordered = true;
        return out;
    }

    static String nz(String s) { return s == null ? "" : s; }

    static boolean validLabelName(String s) {
        if (s.isEmpty()) return false;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (Character.isHighSurrogate(ch)) {
                if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) return false;
                i++;
            } else if (Character.isLowSurrogate(ch) || ch == '\uFFFD') {
                return false;
            }
        }
        return true;
    }

    private Val labelReplace(List<Expr> args, long[] ts) {
        String dst = str(args.get(1), ts), repl = str(args.get(2), ts), src = str(args.get(3), ts);
        String re = str(args.get(4), ts);
        Pattern p;
        try {
            p = Pattern.compile("^(?s:" + re + ")$");
        } catch (PatternSyntaxException e) {
            throw EvalContext.execError("invalid regular expression in label_replace(): " + re);
        }
        if (!validLabelName(dst)) throw EvalContext.execError("invalid destination label name in label_replace(): " + dst);
        VecVal v = vec(args.get(0), ts);
        List<Row> rows = new ArrayList<>(v.rows.size());
        for (Row r : v.rows) {
            String sv = nz(r.labels.get(src));
            java.util.regex.Matcher m = p.matcher(sv);
            if (m.matches()) {
                String res = GoRegex.expand(repl, m);
                Labels nl = r.labels.toBuilder().set(dst, res).build();
                rows.add(new Row(nl, r.v, dst.equals(Labels.METRIC_NAME) ? false : r.dropName));
            } else {
                rows.add(r);
            }
        }
        return new VecVal(Rows.mergeSameLabels(rows));
    }

    private Val labelJoin(List<Expr> args, long[] ts) {
        String dst = str(args.get(1), ts), sep = str(args.get(2), ts);
        List<String> srcs = new ArrayList<>();
        for (int i = 3; i < args.size(); i++) {
            String s = str(args.get(i), ts);
            if (!validLabelName(s)) throw EvalContext.execError("invalid source label name in label_join(): " + s);
            srcs.add(s);
        }
        if (!validLabelName(dst)) throw EvalContext.execError("invalid destination label name in label_join(): " + dst);
        VecVal v = vec(args.get(0), ts);
        List<Row> rows = new ArrayList<>(v.rows.size());
        for (Row r : v.rows) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < srcs.size(); i++) {
                if (i > 0) sb.append(sep);
                sb.append(nz(r.labels.get(srcs.get(i))));
            }
            Labels nl = r.labels.toBuilder().set(dst, sb.toString()).build();
            rows.add(new Row(nl, r.v, dst.equals(Labels.METRIC_NAME) ? false : r.dropName));
        }
        return new VecVal(Rows.mergeSameLabels(rows));
    }
}
