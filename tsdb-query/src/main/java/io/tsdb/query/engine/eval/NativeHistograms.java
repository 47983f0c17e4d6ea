package io.tsdb.query.engine.eval;

import io.tsdb.core.histogram.BucketIterator;
import io.tsdb.core.histogram.FloatHistogram;

/**
 * Statistics of one native histogram (Prometheus 3.x semantics, promql functions documentation): quantile and
 * fraction estimates (linear interpolation inside custom and zero buckets, exponential interpolation inside
 * exponential buckets, prometheus#14677), and the standard deviation/variance estimated from bucket midpoints
 * (geometric mean of the bounds for exponential buckets, arithmetic for custom ones, 0 in the zero bucket).
 *
 * <p>An instance holds the bucket list of the histogram at hand in reusable arrays (one per evaluator): nothing is
 * allocated per sample once they have grown. Not thread-safe.
 */
final class NativeHistograms {
    private final BucketIterator it = new BucketIterator();
    /** All buckets in ascending order: negative (most negative first), zero, positive; empty ones included. */
    private double[] lo = new double[32], hi = new double[32], cnt = new double[32];
    private int n;
    /** Whether bucket i is a custom bucket / the zero bucket. */
    private boolean custom;
    private int zeroIdx;

    private void fill(FloatHistogram h) {
        n = 0;
        zeroIdx = -1;
        custom = h.usesCustomBuckets();
        int neg = h.negativeCount;
        ensure(neg + h.positiveCount + 1);
        if (neg > 0) {
            it.reset(h, false);
            int k = 0;
            while (it.next()) { lo[k] = it.lower(); hi[k] = it.upper(); cnt[k] = it.count; k++; }
            // the iterator goes outwards from zero: reverse into ascending order
            for (int i = 0, j = k - 1; i < j; i++, j--) {
                swap(lo, i, j); swap(hi, i, j); swap(cnt, i, j);
            }
            n = k;
        }
        if (!custom && (h.zeroCount != 0 || h.zeroThreshold != 0)) {
            zeroIdx = n;
            lo[n] = -h.zeroThreshold;
            hi[n] = h.zeroThreshold;
            cnt[n] = h.zeroCount;
            n++;
        }
        it.reset(h, true);
        while (it.next()) {
            ensure(n + 1);
            lo[n] = it.lower();
            hi[n] = it.upper();
            cnt[n] = it.count;
            n++;
        }
        if (zeroIdx >= 0 && lo[zeroIdx] < 0 && hi[zeroIdx] > 0) {
            // a zero bucket next to buckets on one side only is taken to hold observations of that sign only
            if (h.negativeCount == 0 && h.positiveCount > 0) lo[zeroIdx] = 0;
            else if (h.positiveCount == 0 && h.negativeCount > 0) hi[zeroIdx] = 0;
        }
    }

    private void ensure(int need) {
        if (lo.length >= need) return;
        int len = Math.max(need, lo.length * 2);
        lo = java.util.Arrays.copyOf(lo, len);
        hi = java.util.Arrays.copyOf(hi, len);
        cnt = java.util.Arrays.copyOf(cnt, len);
    }

    private static void swap(double[] a, int i, int j) { double t = a[i]; a[i] = a[j]; a[j] = t; }

    /** The q-quantile of h (q outside [0, 1]: -Inf / +Inf; no observations or NaN q: NaN). */
    double quantile(double q, FloatHistogram h) {
        if (q < 0) return Double.NEGATIVE_INFINITY;
        if (q > 1) return Double.POSITIVE_INFINITY;
        if (h.count == 0 || Double.isNaN(q)) return Double.NaN;
        fill(h);
        // NaN observations (sum NaN) count in h.count but in no bucket: rank from below then. Otherwise the upper half
        // is ranked from the top, which keeps high quantiles exact when the total is not exactly the bucket sum.
        boolean forward = Double.isNaN(h.sum) || q < 0.5;
        double rank = forward ? q * h.count : (1 - q) * h.count;
        double count = 0;
        int b = -1;
        if (forward) {
            for (int i = 0; i < n; i++) {
                if (cnt[i] == 0) continue;
                b = i;
                count += cnt[i];
                if (count >= rank) break;
            }
        } else {
            for (int i = n - 1; i >= 0; i--) {
                if (cnt[i] == 0) continue;
                b = i;
                count += cnt[i];
                if (count >= rank) break;
            }
        }
        if (b < 0) return Double.NaN;
        double lower = lo[b], upper = hi[b], bc = cnt[b];
        if (count > h.count) count = h.count;
        // not reached: the rank is among the NaN observations (or rounding left it beyond the last bucket)
        if (count < rank) return Double.isNaN(h.sum) ? Double.NaN : upper;
        rank = forward ? rank - (count - bc) : count - rank;
        double frac = rank / bc;
        if (custom) {
            if (upper == Double.POSITIVE_INFINITY) return lower;
            if (lower == Double.NEGATIVE_INFINITY) {
                if (upper <= 0) return upper;
                lower = 0;
            }
            return lower + (upper - lower) * frac;
        }
        if (lower <= 0 && upper >= 0) return lower + (upper - lower) * frac;
        double logLo = log2(Math.abs(lower)), logHi = log2(Math.abs(upper));
        if (lower > 0) return Math.pow(2, logLo + (logHi - logLo) * frac);
        return -Math.pow(2, logHi + (logLo - logHi) * (1 - frac));
    }

    private static double log2(double x) { return Math.log(x) / Math.log(2); }

    /** Estimated share of h's observations in [lower, upper]. */
    double fraction(double lower, double upper, FloatHistogram h) {
        if (h.count == 0 || Double.isNaN(lower) || Double.isNaN(upper)) return Double.NaN;
        if (lower >= upper) return 0;
        fill(h);
        return (below(upper) - below(lower)) / h.count;
    }

    /** Estimated number of observations below v. */
    private double below(double v) {
        double r = 0;
        for (int i = 0; i < n; i++) {
            double c = cnt[i];
            if (c == 0) continue;
            double l = lo[i], u = hi[i];
            if (v >= u) { r += c; continue; }
            if (v <= l) break;
            r += c * share(l, u, v, i);
        }
        return r;
    }

    /** Share of bucket i's observations below v, for l < v < u. */
    private double share(double l, double u, double v, int i) {
        if (custom || i == zeroIdx || (l <= 0 && u >= 0)) {
            if (l == Double.NEGATIVE_INFINITY) {
                if (u > 0) l = 0;
                else return 1; // observations of an open-ended lowest bucket sit at -Inf
            }
            if (v <= l) return 0;
            if (u == Double.POSITIVE_INFINITY) return 0;
            return (v - l) / (u - l);
        }
        if (u == Double.POSITIVE_INFINITY) return 0;
        double logLo = log2(Math.abs(l)), logHi = log2(Math.abs(u)), logV = log2(Math.abs(v));
        if (l > 0) return (logV - logLo) / (logHi - logLo);
        return 1 - (logV - logHi) / (logLo - logHi);
    }

    /**
     * The trim operators: h with only its observations below x ({@code upper}: {@code h </ x}) or above x
     * ({@code h >/ x}). A bucket the cutoff falls into keeps the share interpolated as {@link #fraction} does
     * (open-ended custom buckets: the overflow bucket is dropped by {@code </} and kept whole by {@code >/}, the
     * lowest bucket the other way round). When anything was cut, count and sum are re-estimated from the kept
     * buckets, each at its midpoint (geometric for exponential buckets, arithmetic for custom and zero buckets; the
     * cutoff for a cut open-ended bucket); otherwise h is returned unchanged. A new instance.
     */
    FloatHistogram trim(FloatHistogram h, double x, boolean upper) {
        fill(h);
        double[] keep = keepBuf(n);
        double count = 0, sum = 0;
        boolean changed = false;
        for (int i = 0; i < n; i++) {
            double c = cnt[i], l = lo[i], u = hi[i];
            double f, a, b, value;
            boolean linear = custom || i == zeroIdx;
            if (custom && l == Double.NEGATIVE_INFINITY && u > 0 && u != Double.POSITIVE_INFINITY) l = 0;
            boolean openLow = l == Double.NEGATIVE_INFINITY, openHigh = u == Double.POSITIVE_INFINITY;
            if (upper ? u <= x : l >= x) {
                f = 1; a = l; b = u;
            } else if (upper ? l >= x : u <= x) {
                f = 0; a = b = 0;
            } else if (upper) {
                if (openHigh) { f = 0; a = b = 0; }
                else if (openLow) { f = 1; a = b = x; }
                else { f = share(l, u, x, i); a = l; b = x; }
            } else {
                if (openLow) { f = 0; a = b = 0; }
                else if (openHigh) { f = 1; a = b = x; }
                else { f = 1 - share(l, u, x, i); a = x; b = u; }
            }
            if (custom && lo[i] == Double.NEGATIVE_INFINITY && l == 0 && x < 0 && x != Double.NEGATIVE_INFINITY && !upper && f == 1 && a == 0) {
                // the lowest custom bucket is only taken to start at 0 when the cutoff is not below it
                f = 0;
            }
            if (f < 1 && c != 0) changed = true;
            keep[i] = c * f;
            if (keep[i] == 0) continue;
            if (a == b) value = a;
            else if (linear) value = a == Double.NEGATIVE_INFINITY ? b : b == Double.POSITIVE_INFINITY ? a : (a + b) / 2;
            else value = (a > 0 ? 1 : -1) * Math.sqrt(a * b);
            count += keep[i];
            sum += keep[i] * value;
        }
        FloatHistogram out = new FloatHistogram().copyFrom(h);
        if (!changed) return out;
        out.count = count;
        out.sum = sum;
        int neg = h.negativeCount, k = 0;
        for (int j = 0; j < neg; j++) out.negativeBuckets[j] = keep[neg - 1 - j];
        k = neg;
        if (zeroIdx >= 0) out.zeroCount = keep[k++];
        for (int j = 0; j < h.positiveCount; j++) out.positiveBuckets[j] = keep[k++];
        return out;
    }

    private double[] keep = new double[32];

    private double[] keepBuf(int need) {
        if (keep.length < need) keep = new double[Math.max(need, keep.length * 2)];
        return keep;
    }

    /** Estimated variance of h's observations (NaN for an empty histogram). */
    double stdvar(FloatHistogram h) {
        if (h.count == 0) return Double.NaN;
        fill(h);
        double mean = h.sum / h.count;
        double s = 0, comp = 0;
        for (int i = 0; i < n; i++) {
            if (cnt[i] == 0) continue;
            double l = lo[i], u = hi[i], mid;
            if (custom) {
                if (l == Double.NEGATIVE_INFINITY) mid = u > 0 ? u / 2 : u;
                else if (u == Double.POSITIVE_INFINITY) mid = l;
                else mid = (l + u) / 2;
            } else if (l <= 0 && u >= 0) {
                mid = 0;
            } else {
                mid = Math.sqrt(l * u);
                if (u < 0) mid = -mid;
            }
            double d = mid - mean;
            double x = cnt[i] * d * d;
            // Kahan-Neumaier summation
            double t = s + x;
            if (Math.abs(s) >= Math.abs(x)) comp += (s - t) + x; else comp += (x - t) + s;
            s = t;
        }
        return (Double.isInfinite(s) ? s : s + comp) / h.count;
    }
}
