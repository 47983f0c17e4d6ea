package io.tsdb.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.tsdb.query.ast.Call;
import io.tsdb.query.ast.Expr;
import io.tsdb.query.ast.NumberLiteral;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Checks for {@code deriv} and {@code predict_linear} (least-squares slope and intercept over Kahan-compensated sums):
 * recomputes both answers from the raw samples each side saw ({@link DiffWindows}) and names why they differ.
 * <ul>
 *   <li>{@code infinity}: 2.42's compensated sum turned an infinite sample into NaN (its correction term became
 *       Inf - Inf), 3.x keeps the infinity (upstream fd6bdf5230). Same samples on both sides; the reference equals the
 *       2.42 formula, ours the 3.x one, at every point, and where they differ the window holds ±Inf.</li>
 *   <li>{@code last-bits}: the samples (of a subquery over Go/Java math) differ in the last bits, and the regression's
 *       cancellation makes that visible (a slope of 0 against 3e-55 over values of 1e-37). Each answer equals the
 *       formula over its own side's samples, and the two sides' samples agree within 1e-14 relative.</li>
 * </ul>
 */
final class DiffRegression {
    private DiffRegression() {}

    static final double INPUT_REL = 1e-14;

    /**
     * Slope and intercept at interceptMs of the samples, with Kahan-Neumaier sums; {@code guardInfinity}: a sum that
     * reached ±Inf resets its correction to 0 (3.x) instead of letting it become NaN (2.42). A constant series has
     * slope 0 (NaN when the constant is infinite). Written from the least-squares formulas and upstream's change notes.
     */
    static double[] regression(long[] t, double[] v, long interceptMs, boolean guardInfinity) {
        double n = 0;
        double[] x1 = new double[2], y1 = new double[2], xy = new double[2], x2 = new double[2]; // {sum, correction}
        boolean constant = true;
        for (int i = 0; i < t.length; i++) {
            if (i > 0 && v[i] != v[0]) constant = false;
            n += 1;
            double x = (t[i] - interceptMs) / 1e3;
            add(x1, x, guardInfinity);
            add(y1, v[i], guardInfinity);
            add(xy, x * v[i], guardInfinity);
            add(x2, x * x, guardInfinity);
        }
        if (constant) return Double.isInfinite(v[0]) ? new double[]{Double.NaN, Double.NaN} : new double[]{0, v[0]};
        double sx = x1[0] + x1[1], sy = y1[0] + y1[1], sxy = xy[0] + xy[1], sx2 = x2[0] + x2[1];
        double cov = sxy - sx * sy / n, var = sx2 - sx * sx / n;
        double slope = cov / var;
        return new double[]{slope, sy / n - slope * sx / n};
    }

    private static void add(double[] sc, double inc, boolean guardInfinity) {
        double sum = sc[0], t = sum + inc;
        if (guardInfinity && Double.isInfinite(t)) sc[1] = 0;
        else if (Math.abs(sum) >= Math.abs(inc)) sc[1] += (sum - t) + inc;
        else sc[1] += (inc - t) + sum;
        sc[0] = t;
    }

    /** deriv(w) or predict_linear(w, d) evaluated at tMs; null when the window has fewer than 2 samples. */
    static Double value(String fn, double d, DiffWindows.Window w, long tMs, boolean guardInfinity) {
        if (w == null || w.n() < 2) return null;
        double[] r = regression(w.ts(), w.vs(), fn.equals("deriv") ? w.ts()[0] : tMs, guardInfinity);
        return fn.equals("deriv") ? r[0] : r[0] * d + r[1];
    }

    /** Null when the cause explains the disagreement at every point, else why not. */
    static String check(DiffCase c, DiffKnownDifferences.Runner runner, String cause) throws Exception {
        Call f = DiffWindows.topCall(c, Set.of("deriv", "predict_linear"));
        if (f == null) return "not deriv/predict_linear";
        Expr m = DiffWindows.rangeArg(f);
        if (m == null) return "not over a range selector or subquery";
        double d = 0;
        if (f.function().equals("predict_linear")) {
            if (!(f.args().get(1) instanceof NumberLiteral n)) return "predict_linear's duration is not a number";
            d = n.value();
        }
        JsonNode[] answers = runner.run(c);
        Map<String, Map<Double, Double>> ref = DiffComparator.points(answers[0]), ours = DiffComparator.points(answers[1]);
        TreeSet<Double> times = DiffWindows.answeredTimes(answers);
        Map<Double, Map<String, DiffWindows.Window>> refRaw = DiffWindows.read(c, m, times, runner, 0);
        Map<Double, Map<String, DiffWindows.Window>> ourRaw = DiffWindows.read(c, m, times, runner, 1);
        if (refRaw == null || ourRaw == null) return "no raw samples";
        boolean explained = false;
        for (double t : times) {
            long tMs = Math.round(t * 1000);
            for (String key : DiffWindows.keysAt(t, ref, ours)) {
                DiffWindows.Window rw = refRaw.get(t).get(key), ow = ourRaw.get(t).get(key);
                if (rw == null || ow == null) return key + " @" + t + ": answered without raw samples on both sides";
                Double r = ref.getOrDefault(key, Map.of()).get(t), o = ours.getOrDefault(key, Map.of()).get(t);
                Double old = value(f.function(), d, rw, tMs, false);
                Double now = value(f.function(), d, DiffWindows.leftOpen(ow), tMs, true);
                if (!same(r, old) || !same(o, now)) {
                    return key + " @" + t + ": reference " + r + " ours " + o + ", 2.42 formula over the reference's samples " + old
                            + ", 3.x formula over ours " + now;
                }
                if (same(r, o)) continue;
                String why = cause.equals("infinity") ? infinity(rw, ow) : lastBits(rw, ow);
                if (why != null) return key + " @" + t + ": " + why;
                explained = true;
            }
        }
        return explained ? null : "no differing point";
    }

    private static String infinity(DiffWindows.Window rw, DiffWindows.Window ow) {
        if (!java.util.Arrays.equals(rw.ts(), ow.ts()) || !java.util.Arrays.equals(rw.vs(), ow.vs())) return "the samples differ";
        for (double v : rw.vs()) if (Double.isInfinite(v)) return null;
        return "no infinite sample in the window";
    }

    private static String lastBits(DiffWindows.Window rw, DiffWindows.Window ow) {
        if (!java.util.Arrays.equals(rw.ts(), ow.ts())) return "the sample times differ";
        boolean differ = false;
        for (int i = 0; i < rw.n(); i++) {
            double a = rw.vs()[i], b = ow.vs()[i];
            if (Double.isInfinite(a) || Double.isInfinite(b) || Double.isNaN(a) || Double.isNaN(b)) return "non-finite samples";
            if (a == b) continue;
            if (Math.abs(a - b) > INPUT_REL * Math.max(Math.abs(a), Math.abs(b))) return "samples differ by more than the last bits: " + a + " vs " + b;
            differ = true;
        }
        return differ ? null : "identical samples";
    }

    private static boolean same(Double a, Double b) {
        if (a == null || b == null) return a == b;
        return DiffComparator.sameValue(a, b);
    }
}
