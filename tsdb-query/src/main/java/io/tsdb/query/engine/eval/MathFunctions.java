package io.tsdb.query.engine.eval;

import io.tsdb.core.Labels;
import io.tsdb.query.ast.Call;
import io.tsdb.query.ast.Expr;
import io.tsdb.query.engine.eval.FunctionDef.Elementwise;
import io.tsdb.query.engine.eval.FunctionDef.Special;
import io.tsdb.query.engine.eval.FunctionRegistry.Builder;
import io.tsdb.query.engine.eval.Vals.Row;
import io.tsdb.query.engine.eval.Vals.ScalarVal;
import io.tsdb.query.engine.eval.Vals.Val;
import io.tsdb.query.engine.eval.Vals.VecVal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.DoubleUnaryOperator;

import static io.tsdb.query.engine.eval.FunctionRegistry.FLOAT_VECTOR;
import static io.tsdb.query.engine.eval.FunctionRegistry.SCALAR;

/**
 * The float functions of the registry: element-wise math, clamp and round, the date functions, scalar(),
 * vector(), time(), pi() and the query-range accessors. Histogram samples are ignored by all of them, as in
 * Prometheus.
 */
final class MathFunctions {
    private MathFunctions() {}

    static void declare(Builder b) {
        elementwise(b, "abs", Math::abs);
        elementwise(b, "ceil", Math::ceil);
        elementwise(b, "floor", Math::floor);
        elementwise(b, "exp", Math::exp);
        elementwise(b, "sqrt", Math::sqrt);
        elementwise(b, "ln", Math::log);
        elementwise(b, "log2", x -> Math.log(x) / Math.log(2));
        elementwise(b, "log10", Math::log10);
        elementwise(b, "sin", Math::sin);
        elementwise(b, "cos", Math::cos);
        elementwise(b, "tan", Math::tan);
        elementwise(b, "asin", Math::asin);
        elementwise(b, "acos", Math::acos);
        elementwise(b, "atan", Math::atan);
        elementwise(b, "sinh", MathFunctions::sinh);
        elementwise(b, "cosh", MathFunctions::cosh);
        elementwise(b, "tanh", Math::tanh);
        elementwise(b, "asinh", MathFunctions::asinh);
        elementwise(b, "acosh", MathFunctions::acosh);
        elementwise(b, "atanh", MathFunctions::atanh);
        elementwise(b, "rad", x -> x * Math.PI / 180);
        elementwise(b, "deg", x -> x * 180 / Math.PI);
        elementwise(b, "sgn", x -> x < 0 ? -1 : x > 0 ? 1 : x);

        b.vector("clamp").args(FLOAT_VECTOR, SCALAR, SCALAR).impl((Special) (ev, c, ts) ->
                clamp(ev.vec(c.args().get(0), ts), ev.scalar(c.args().get(1), ts), ev.scalar(c.args().get(2), ts)));
        b.vector("clamp_min").args(FLOAT_VECTOR, SCALAR).impl((Special) (ev, c, ts) -> {
            VecVal v = ev.vec(c.args().get(0), ts);
            return clamp(v, ev.scalar(c.args().get(1), ts), filled(ts.length, Double.POSITIVE_INFINITY));
        });
        b.vector("clamp_max").args(FLOAT_VECTOR, SCALAR).impl((Special) (ev, c, ts) -> {
            VecVal v = ev.vec(c.args().get(0), ts);
            return clamp(v, filled(ts.length, Double.NEGATIVE_INFINITY), ev.scalar(c.args().get(1), ts));
        });
        b.vector("round").args(FLOAT_VECTOR, SCALAR).variadic(1).impl((Special) MathFunctions::round);

        b.scalar("pi").impl((Special) (ev, c, ts) -> new ScalarVal(filled(ts.length, Math.PI)));
        b.scalar("time").readsEvalTime().impl((Special) (ev, c, ts) -> {
            double[] v = new double[ts.length];
            for (int i = 0; i < ts.length; i++) v[i] = ts[i] / 1000.0;
            return new ScalarVal(v);
        });
        b.scalar("scalar").args(FLOAT_VECTOR).impl((Special) (ev, c, ts) -> scalarOf(ev.vec(c.args().get(0), ts), ts.length));
        b.vector("vector").args(SCALAR).impl((Special) (ev, c, ts) -> {
            List<Row> rows = new ArrayList<>();
            rows.add(new Row(Labels.EMPTY, ev.scalar(c.args().get(0), ts).clone(), false));
            return new VecVal(rows);
        });

        // Dates: of the argument's values, or of the evaluation time when omitted (vector(time())).
        date(b, "days_in_month", d -> d.daysInMonth);
        date(b, "day_of_month", d -> d.dayOfMonth);
        date(b, "day_of_week", d -> d.dayOfWeek);
        date(b, "day_of_year", d -> d.dayOfYear);
        date(b, "hour", d -> d.hour);
        date(b, "minute", d -> d.minute);
        date(b, "month", d -> d.month);
        date(b, "year", d -> d.year);

        // The query's range (Prometheus 3 experimental; lexed as case-insensitive keywords).
        b.scalar("start").experimental().readsQueryRange().impl((Special) (ev, c, ts) ->
                new ScalarVal(filled(ts.length, ev.cx.queryStart / 1000.0)));
        b.scalar("end").experimental().readsQueryRange().impl((Special) (ev, c, ts) ->
                new ScalarVal(filled(ts.length, ev.cx.queryEnd / 1000.0)));
        b.scalar("range").experimental().readsQueryRange().impl((Special) (ev, c, ts) ->
                new ScalarVal(filled(ts.length, (ev.cx.queryEnd - ev.cx.queryStart) / 1000.0)));
        b.scalar("step").experimental().readsQueryRange().impl((Special) (ev, c, ts) ->
                new ScalarVal(filled(ts.length, ev.cx.queryStart == ev.cx.queryEnd ? 0 : ev.cx.queryStep / 1000.0)));
        b.scalar("min_of").args(SCALAR, SCALAR).experimental().impl((Special) (ev, c, ts) -> pairwise(ev, c, ts, Math::min));
        b.scalar("max_of").args(SCALAR, SCALAR).experimental().impl((Special) (ev, c, ts) -> pairwise(ev, c, ts, Math::max));
    }

    private static void elementwise(Builder b, String name, DoubleUnaryOperator op) {
        b.vector(name).args(FLOAT_VECTOR).impl(new Elementwise(op));
    }

    interface DateFn { double apply(GoTime t); }

    /**
     * Date functions as Prometheus computes them: of the evaluation time truncated to seconds, or of each sample
     * value converted to int64 the way Go converts (NaN and +/-Inf included, see {@link GoTime}).
     */
    private static void date(Builder b, String name, DateFn f) {
        b.vector(name).args(FLOAT_VECTOR).variadic(1).readsEvalTime().impl((Special) (ev, c, ts) -> {
            if (c.args().isEmpty()) {
                List<Row> rows = new ArrayList<>();
                double[] o = new double[ts.length];
                for (int i = 0; i < ts.length; i++) o[i] = f.apply(GoTime.ofUnixSeconds(ts[i] / 1000));
                rows.add(new Row(Labels.EMPTY, o, false));
                return new VecVal(rows);
            }
            return FunctionSupport.mapRows(ev.vec(c.args().get(0), ts), (i, x) -> f.apply(GoTime.ofUnixSeconds(GoTime.goInt64(x))));
        });
    }

    interface ScalarOp { double apply(double a, double b); }

    private static Val pairwise(Evaluator ev, Call c, long[] ts, ScalarOp op) {
        double[] a = ev.scalar(c.args().get(0), ts), b = ev.scalar(c.args().get(1), ts);
        double[] o = new double[ts.length];
        for (int i = 0; i < o.length; i++) o[i] = op.apply(a[i], b[i]);
        return new ScalarVal(o);
    }

    private static Val round(Evaluator ev, Call c, long[] ts) {
        List<Expr> args = c.args();
        VecVal v = ev.vec(args.get(0), ts);
        double[] to = args.size() > 1 ? ev.scalar(args.get(1), ts) : null;
        return FunctionSupport.mapRows(v, (i, x) -> {
            double inv = 1.0 / (to == null ? 1.0 : to[i]);
            return Math.floor(x * inv + 0.5) / inv;
        });
    }

    private static double[] filled(int n, double v) {
        double[] o = new double[n];
        Arrays.fill(o, v);
        return o;
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
}
