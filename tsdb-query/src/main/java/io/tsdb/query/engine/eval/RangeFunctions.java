package io.tsdb.query.engine.eval;

import io.tsdb.query.engine.eval.FunctionDef.Window;
import io.tsdb.query.engine.eval.FunctionRegistry.Builder;

import java.util.Arrays;

import static io.tsdb.query.engine.eval.FunctionRegistry.ANY_MATRIX;
import static io.tsdb.query.engine.eval.FunctionRegistry.FLOAT_MATRIX;
import static io.tsdb.query.engine.eval.FunctionRegistry.SCALAR;

/**
 * The registry's functions of a range vector, and their float kernels over one window of samples
 * {@code [lo, hi)} of a series, Prometheus 3.x semantics. Each kernel returns {@link Vals#ABSENT} when the
 * window produces no output. No allocation (scratch is reused). {@link RangeEval} slides the windows.
 */
public final class RangeFunctions {
    private RangeFunctions() {}

    /**
     * Declares every range-vector function with its kernel. Which samples each takes follows the upstream function
     * documentation: the ones marked ANY also act on native histograms there.
     */
    static void declare(Builder b) {
        for (Fn fn : new Fn[]{Fn.RATE, Fn.INCREASE, Fn.DELTA, Fn.IRATE, Fn.IDELTA, Fn.AVG_OVER_TIME, Fn.SUM_OVER_TIME,
                Fn.LAST_OVER_TIME}) {
            b.sameVector(fn.promql()).args(ANY_MATRIX).impl(new Window(fn));
        }
        for (Fn fn : new Fn[]{Fn.RESETS, Fn.CHANGES, Fn.COUNT_OVER_TIME, Fn.PRESENT_OVER_TIME, Fn.ABSENT_OVER_TIME}) {
            b.vector(fn.promql()).args(ANY_MATRIX).impl(new Window(fn));
        }
        for (Fn fn : new Fn[]{Fn.DERIV, Fn.MIN_OVER_TIME, Fn.MAX_OVER_TIME, Fn.STDDEV_OVER_TIME, Fn.STDVAR_OVER_TIME}) {
            b.vector(fn.promql()).args(FLOAT_MATRIX).impl(new Window(fn));
        }
        b.vector("predict_linear").args(FLOAT_MATRIX, SCALAR).readsEvalTime().impl(new Window(Fn.PREDICT_LINEAR));
        b.vector("quantile_over_time").args(SCALAR, FLOAT_MATRIX).impl(new Window(Fn.QUANTILE_OVER_TIME));
        // Experimental (--enable-feature=promql-experimental-functions upstream).
        b.sameVector("first_over_time").args(ANY_MATRIX).experimental().impl(new Window(Fn.FIRST_OVER_TIME));
        for (Fn fn : new Fn[]{Fn.TS_OF_FIRST_OVER_TIME, Fn.TS_OF_LAST_OVER_TIME}) {
            b.vector(fn.promql()).args(ANY_MATRIX).experimental().impl(new Window(fn));
        }
        for (Fn fn : new Fn[]{Fn.MAD_OVER_TIME, Fn.TS_OF_MIN_OVER_TIME, Fn.TS_OF_MAX_OVER_TIME}) {
            b.vector(fn.promql()).args(FLOAT_MATRIX).experimental().impl(new Window(fn));
        }
        b.vector("double_exponential_smoothing").args(FLOAT_MATRIX, SCALAR, SCALAR).experimental()
                .impl(new Window(Fn.DOUBLE_EXPONENTIAL_SMOOTHING));
    }

    /** The window kernels, one per function (the registry's {@link Window} entries name theirs). */
    public enum Fn {
        RATE, INCREASE, DELTA, IRATE, IDELTA, DERIV, PREDICT_LINEAR, RESETS, CHANGES,
        AVG_OVER_TIME, SUM_OVER_TIME, MIN_OVER_TIME, MAX_OVER_TIME, COUNT_OVER_TIME, LAST_OVER_TIME,
        FIRST_OVER_TIME, PRESENT_OVER_TIME, QUANTILE_OVER_TIME, STDDEV_OVER_TIME, STDVAR_OVER_TIME, MAD_OVER_TIME,
        TS_OF_MIN_OVER_TIME, TS_OF_MAX_OVER_TIME, TS_OF_FIRST_OVER_TIME, TS_OF_LAST_OVER_TIME,
        DOUBLE_EXPONENTIAL_SMOOTHING, ABSENT_OVER_TIME;

        /** The function's PromQL name. */
        String promql() { return name().toLowerCase(java.util.Locale.ROOT); }

        /** last/first_over_time keep the metric name, all others drop it. */
        public boolean keepsName() { return this == LAST_OVER_TIME || this == FIRST_OVER_TIME; }
    }

    /** Neumaier-compensated increment: returns the new sum; the compensation is written to c[0]. */
    static double kahanInc(double inc, double sum, double[] c) {
        double t = sum + inc;
        if (Double.isInfinite(t)) {
            c[0] = 0;
        } else if (Math.abs(sum) >= Math.abs(inc)) {
            c[0] += (sum - t) + inc;
        } else {
            c[0] += (inc - t) + sum;
        }
        return t;
    }

    public static final class Scratch {
        double[] buf = new double[64];
        final double[] c1 = new double[1], c2 = new double[1], c3 = new double[1], c4 = new double[1];
        final double[] rx = new double[1], ry = new double[1], rxy = new double[1], rx2 = new double[1];
        /** resetPrefix[i] = number of counter resets among samples 1..i of the current series (null: unknown). */
        int[] resetPrefix;
        /** resetAt[k] = index i of the (k+1)-th counter reset (v[i] < v[i-1]) of the current series. */
        int[] resetAt;

        /** Precomputes counter-reset counts so windows without resets skip the correction loop. */
        public void prepareResets(double[] v, int n) {
            if (resetPrefix == null || resetPrefix.length < n) {
                resetPrefix = new int[Math.max(n, 64)];
                resetAt = new int[resetPrefix.length];
            }
            int c = 0;
            if (n > 0) resetPrefix[0] = 0;
            for (int i = 1; i < n; i++) {
                resetAt[c] = i; // kept only when it is a reset (no branch: resets of noisy data are unpredictable)
                c += v[i] < v[i - 1] ? 1 : 0;
                resetPrefix[i] = c;
            }
        }

        double[] buf(int n) {
            if (buf.length < n) buf = new double[Math.max(n, buf.length * 2)];
            return buf;
        }
    }

    /**
     * @param rangeStart exclusive window start (eval time - range), rangeEnd inclusive window end
     * @param stepTs     evaluation time of the step (predict_linear's intercept time)
     */
    public static double apply(Fn fn, long[] t, double[] v, int lo, int hi, long rangeStart, long rangeEnd,
                               double p0, double p1, long stepTs, Scratch s) {
        int n = hi - lo;
        if (n <= 0) return Vals.ABSENT;
        switch (fn) {
            case RATE: return extrapolatedRate(t, v, lo, hi, rangeStart, rangeEnd, true, true, s.resetPrefix, s.resetAt);
            case INCREASE: return extrapolatedRate(t, v, lo, hi, rangeStart, rangeEnd, true, false, s.resetPrefix, s.resetAt);
            case DELTA: return extrapolatedRate(t, v, lo, hi, rangeStart, rangeEnd, false, false, null, null);
            case IRATE: return instantValue(t, v, lo, hi, true);
            case IDELTA: return instantValue(t, v, lo, hi, false);
            case DERIV: {
                if (n < 2) return Vals.ABSENT;
                return linearRegression(t, v, lo, hi, t[lo], s, true);
            }
            case PREDICT_LINEAR: {
                if (n < 2) return Vals.ABSENT;
                double slope = linearRegression(t, v, lo, hi, stepTs, s, true);
                double intercept = s.c4[0];
                return slope * p0 + intercept;
            }
            case RESETS: {
                int r = 0;
                for (int i = lo + 1; i < hi; i++) if (v[i] < v[i - 1]) r++;
                return r;
            }
            case CHANGES: {
                int c = 0;
                for (int i = lo + 1; i < hi; i++) {
                    double a = v[i - 1], b = v[i];
                    if (a != b && !(Double.isNaN(a) && Double.isNaN(b))) c++;
                }
                return c;
            }
            case AVG_OVER_TIME: return avg(v, lo, hi, s);
            case SUM_OVER_TIME: {
                double sum = 0;
                s.c1[0] = 0;
                for (int i = lo; i < hi; i++) sum = kahanInc(v[i], sum, s.c1);
                if (Double.isInfinite(sum)) return sum;
                return sum + s.c1[0];
            }
            case MIN_OVER_TIME: case TS_OF_MIN_OVER_TIME: {
                double m = v[lo];
                long mt = t[lo];
                for (int i = lo; i < hi; i++) {
                    if (v[i] < m || Double.isNaN(m)) { m = v[i]; mt = t[i]; }
                }
                return fn == Fn.MIN_OVER_TIME ? m : mt / 1000.0;
            }
            case MAX_OVER_TIME: case TS_OF_MAX_OVER_TIME: {
                double m = v[lo];
                long mt = t[lo];
                for (int i = lo; i < hi; i++) {
                    if (v[i] > m || Double.isNaN(m)) { m = v[i]; mt = t[i]; }
                }
                return fn == Fn.MAX_OVER_TIME ? m : mt / 1000.0;
            }
            case COUNT_OVER_TIME: return n;
            case LAST_OVER_TIME: return v[hi - 1];
            case FIRST_OVER_TIME: return v[lo];
            case TS_OF_LAST_OVER_TIME: return t[hi - 1] / 1000.0;
            case TS_OF_FIRST_OVER_TIME: return t[lo] / 1000.0;
            case PRESENT_OVER_TIME: return 1;
            case QUANTILE_OVER_TIME: {
                double[] b = s.buf(n);
                System.arraycopy(v, lo, b, 0, n);
                return quantile(p0, b, n);
            }
            case STDDEV_OVER_TIME: return Math.sqrt(variance(v, lo, hi, s));
            case STDVAR_OVER_TIME: return variance(v, lo, hi, s);
            case MAD_OVER_TIME: {
                double[] b = s.buf(n);
                for (int i = 0; i < n; i++) {
                    if (Double.isNaN(v[lo + i])) return Double.NaN;
                    b[i] = v[lo + i];
                }
                double median = quantile(0.5, b, n);
                for (int i = 0; i < n; i++) b[i] = Math.abs(b[i] - median);
                return quantile(0.5, b, n);
            }
            case DOUBLE_EXPONENTIAL_SMOOTHING: return doubleExponentialSmoothing(v, lo, hi, p0, p1);
            case ABSENT_OVER_TIME: return 1;
            default: throw new IllegalStateException(fn.name());
        }
    }

    static double avg(double[] v, int lo, int hi, Scratch s) {
        // Kahan sum in locals while it stays finite (the usual case): the same operations as kahanInc below
        double sum = v[lo], comp = 0;
        int i = lo + 1;
        for (; i < hi; i++) {
            double f = v[i];
            double t = sum + f;
            if (Double.isInfinite(t)) break;
            if (Math.abs(sum) >= Math.abs(f)) comp += (sum - t) + f;
            else comp += (f - t) + sum;
            sum = t;
        }
        if (i == hi) {
            double count = hi - lo;
            return sum / count + comp / count;
        }
        // the sum overflows at sample i: from there on, the incremental mean (as Prometheus)
        double count = i - lo, mean = 0;
        double[] c = s.c1;
        c[0] = comp;
        boolean incremental = false;
        for (; i < hi; i++) {
            double f = v[i];
            count = i - lo + 1;
            if (!incremental) {
                double before = c[0];
                double newSum = kahanInc(f, sum, c);
                if (!Double.isInfinite(newSum)) {
                    sum = newSum;
                    continue;
                }
                c[0] = before;
                incremental = true;
                mean = sum / (count - 1);
                c[0] /= (count - 1);
            }
            double q = (count - 1) / count;
            double kc = q * c[0];
            c[0] = kc;
            mean = kahanInc(f / count, q * mean, c);
        }
        if (incremental) return mean + c[0];
        return sum / count + c[0] / count;
    }

    static double variance(double[] v, int lo, int hi, Scratch s) {
        double count = 0, mean = 0, aux = 0;
        s.c1[0] = 0;
        s.c2[0] = 0;
        for (int i = lo; i < hi; i++) {
            double f = v[i];
            count++;
            double delta = f - (mean + s.c1[0]);
            mean = kahanInc(delta / count, mean, s.c1);
            aux = kahanInc(delta * (f - (mean + s.c1[0])), aux, s.c2);
        }
        return (aux + s.c2[0]) / count;
    }

    /** Prometheus' quantile over an unsorted buffer (sorted in place; NaN sorts first). */
    public static double quantile(double q, double[] b, int n) {
        if (n == 0 || Double.isNaN(q)) return Double.NaN;
        if (q < 0) return Double.NEGATIVE_INFINITY;
        if (q > 1) return Double.POSITIVE_INFINITY;
        sortNaNFirst(b, n);
        double rank = q * (n - 1);
        double lowerIndex = Math.max(0, Math.floor(rank));
        double upperIndex = Math.min(n - 1, lowerIndex + 1);
        double weight = rank - Math.floor(rank);
        return b[(int) lowerIndex] * (1 - weight) + b[(int) upperIndex] * weight;
    }

    static void sortNaNFirst(double[] b, int n) {
        // Arrays.sort puts NaN last; Prometheus orders NaN first.
        Arrays.sort(b, 0, n);
        int nan = 0;
        while (nan < n && Double.isNaN(b[n - 1 - nan])) nan++;
        if (nan > 0 && nan < n) {
            System.arraycopy(b, 0, b, nan, n - nan);
            Arrays.fill(b, 0, nan, Double.NaN);
        }
    }

    static double extrapolatedRate(long[] t, double[] v, int lo, int hi, long rangeStart, long rangeEnd,
                                   boolean isCounter, boolean isRate, int[] resetPrefix, int[] resetAt) {
        int n = hi - lo;
        if (n < 2) return Vals.ABSENT;
        double result = v[hi - 1] - v[lo];
        if (isCounter) {
            if (resetPrefix == null) {
                for (int i = lo + 1; i < hi; i++) if (v[i] < v[i - 1]) result += v[i - 1];
            } else {
                // Only the resets inside the window, in order: the same additions as the full scan, without
                // visiting every sample of the window at every step.
                for (int k = resetPrefix[lo], end = resetPrefix[hi - 1]; k < end; k++) result += v[resetAt[k] - 1];
            }
        }
        return result * extrapolation(t[lo], t[hi - 1], n, rangeStart, rangeEnd, isCounter, isRate, v[lo], result);
    }

    /**
     * The factor rate/increase/delta multiply the window's change by (floats and native histograms alike): the change
     * from the first to the last of the window's {@code n} samples extrapolated to the window's edges (by at most half
     * an average sample interval where the data stops short of an edge), for a counter not back past the point where
     * it would have been zero ({@code first} its first value or count, {@code change} the change), per second for a
     * rate.
     */
    static double extrapolation(long firstT, long lastT, int n, long rangeStart, long rangeEnd, boolean isCounter,
                                boolean isRate, double first, double change) {
        double durationToStart = (firstT - rangeStart) / 1000.0;
        double durationToEnd = (rangeEnd - lastT) / 1000.0;
        double sampledInterval = (lastT - firstT) / 1000.0;
        double avgBetween = sampledInterval / (n - 1);
        double threshold = avgBetween * 1.1;
        if (durationToStart >= threshold) durationToStart = avgBetween / 2;
        if (isCounter) {
            double durationToZero = durationToStart;
            if (change > 0 && first >= 0) durationToZero = sampledInterval * (first / change);
            if (durationToZero < durationToStart) durationToStart = durationToZero;
        }
        if (durationToEnd >= threshold) durationToEnd = avgBetween / 2;
        double factor = 1.0;
        if (sampledInterval != 0) factor = (sampledInterval + durationToStart + durationToEnd) / sampledInterval;
        if (isRate) factor /= (rangeEnd - rangeStart) / 1000.0;
        return factor;
    }

    static double instantValue(long[] t, double[] v, int lo, int hi, boolean isRate) {
        if (hi - lo < 2) return Vals.ABSENT;
        double last = v[hi - 1], prev = v[hi - 2];
        long interval = t[hi - 1] - t[hi - 2];
        if (interval == 0) return Vals.ABSENT;
        double r = last;
        if (!isRate || !(last < prev)) r = last - prev;
        if (isRate) r /= interval / 1000.0;
        return r;
    }

    /** Returns the slope; the intercept is left in s.c4[0]. */
    static double linearRegression(long[] t, double[] v, int lo, int hi, long interceptTime, Scratch s, boolean unused) {
        double n = 0, sumX = 0, sumY = 0, sumXY = 0, sumX2 = 0;
        double[] cX = s.rx, cY = s.ry, cXY = s.rxy, cX2 = s.rx2;
        cX[0] = 0; cY[0] = 0; cXY[0] = 0; cX2[0] = 0;
        double initY = v[lo];
        boolean constY = true;
        for (int i = lo; i < hi; i++) {
            double y = v[i];
            if (constY && i > lo && y != initY) constY = false;
            n += 1.0;
            double x = (t[i] - interceptTime) / 1e3;
            sumX = kahanInc(x, sumX, cX);
            sumY = kahanInc(y, sumY, cY);
            sumXY = kahanInc(x * y, sumXY, cXY);
            sumX2 = kahanInc(x * x, sumX2, cX2);
        }
        if (constY) {
            if (Double.isInfinite(initY)) {
                s.c4[0] = Double.NaN;
                return Double.NaN;
            }
            s.c4[0] = initY;
            return 0;
        }
        sumX += cX[0];
        sumY += cY[0];
        sumXY += cXY[0];
        sumX2 += cX2[0];
        double covXY = sumXY - sumX * sumY / n;
        double varX = sumX2 - sumX * sumX / n;
        double slope = covXY / varX;
        s.c4[0] = sumY / n - slope * sumX / n;
        return slope;
    }

    static double doubleExponentialSmoothing(double[] v, int lo, int hi, double sf, double tf) {
        int l = hi - lo;
        if (l < 2) return Vals.ABSENT;
        double s0 = 0, s1 = v[lo], b = v[lo + 1] - v[lo];
        for (int i = 1; i < l; i++) {
            double x = sf * v[lo + i];
            if (i - 1 != 0) b = tf * (s1 - s0) + (1 - tf) * b;
            double y = (1 - sf) * (s1 + b);
            s0 = s1;
            s1 = x + y;
        }
        return s1;
    }
}
