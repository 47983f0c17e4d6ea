package io.tsdb.core.histogram;

/**
 * Bucket schemas of native histograms (Prometheus semantics). Exponential schema s in [-4, 8]: bucket index i
 * covers (b^(i-1), b^i] with base b = 2^(2^-s) (negative buckets mirror it: [-b^i, -b^(i-1))), so 1 is always a
 * bucket boundary and every power of two is split into 2^s buckets. The bucket whose upper bound would come out
 * just above Double.MAX_VALUE ends at MAX_VALUE instead; the next one counts +-Inf. Custom-bucket schema -53 (NHCB):
 * positive buckets only, bucket i covers (c[i-1], c[i]] for the strictly increasing finite custom bounds c
 * (bucket 0 starts at -Inf and includes it; bucket c.length ends at +Inf).
 */
public final class Schemas {
    private Schemas() {}

    public static final int EXPONENTIAL_MIN = -4;
    public static final int EXPONENTIAL_MAX = 8;
    /** Schemas that are known but beyond what is stored; ingest reduces -9..-5 / 9..52 to the nearest valid one. */
    public static final int EXPONENTIAL_MIN_RESERVED = -9;
    public static final int EXPONENTIAL_MAX_RESERVED = 52;
    public static final int CUSTOM_BUCKETS = -53;

    /** FRAC[s][j] = 2^(j / 2^s) / 2, the bounds in [0.5, 1) of schema s >= 0 (each a correctly rounded double). */
    private static final double[][] FRAC = new double[EXPONENTIAL_MAX + 1][];

    static {
        for (int s = 0; s <= EXPONENTIAL_MAX; s++) {
            int n = 1 << s;
            double[] f = new double[n];
            for (int j = 0; j < n; j++) f[j] = exp2Half(j, n);
            FRAC[s] = f;
        }
    }

    /** 2^(j/n) / 2 rounded to nearest, computed in 120-bit precision so no platform pow() rounding leaks in. */
    private static double exp2Half(int j, int n) {
        if (j == 0) return 0.5;
        java.math.MathContext mc = new java.math.MathContext(40);
        // 2^(j/n) = exp(j/n * ln 2): ln 2 and exp by series, enough digits for correct rounding of a double
        java.math.BigDecimal ln2 = ln2(mc);
        java.math.BigDecimal x = ln2.multiply(java.math.BigDecimal.valueOf(j)).divide(java.math.BigDecimal.valueOf(n), mc);
        java.math.BigDecimal term = java.math.BigDecimal.ONE, sum = java.math.BigDecimal.ONE;
        for (int k = 1; k < 60; k++) {
            term = term.multiply(x, mc).divide(java.math.BigDecimal.valueOf(k), mc);
            sum = sum.add(term, mc);
        }
        return sum.divide(java.math.BigDecimal.valueOf(2), mc).doubleValue();
    }

    private static java.math.BigDecimal ln2(java.math.MathContext mc) {
        // ln 2 = sum_{k>=1} 1 / (k 2^k)
        java.math.BigDecimal sum = java.math.BigDecimal.ZERO, p = java.math.BigDecimal.ONE;
        java.math.BigDecimal half = new java.math.BigDecimal("0.5");
        for (int k = 1; k < 140; k++) {
            p = p.multiply(half, mc);
            sum = sum.add(p.divide(java.math.BigDecimal.valueOf(k), mc), mc);
        }
        return sum;
    }

    public static boolean isExponential(int s) { return s >= EXPONENTIAL_MIN && s <= EXPONENTIAL_MAX; }

    public static boolean isCustom(int s) { return s == CUSTOM_BUCKETS; }

    /** A schema histograms may be stored with. */
    public static boolean isValid(int s) { return isExponential(s) || isCustom(s); }

    /** A schema ingest understands: valid, or reserved exponential (-9..52) to be reduced to the nearest valid one. */
    public static boolean isKnown(int s) { return isCustom(s) || (s >= EXPONENTIAL_MIN_RESERVED && s <= EXPONENTIAL_MAX_RESERVED); }

    /** Index in schema {@code to} (<= from, both exponential) of the bucket that contains bucket {@code idx} of schema {@code from}. */
    public static int targetIndex(int idx, int from, int to) {
        return ((idx - 1) >> (from - to)) + 1;
    }

    /**
     * Upper bound of positive bucket {@code idx} (for custom buckets: c[idx], +Inf for idx == c.length, -Inf for
     * idx == -1); the lower bound of bucket idx is the upper bound of idx-1. Negative buckets: negate.
     */
    public static double upperBound(int idx, int schema, double[] custom) {
        if (schema == CUSTOM_BUCKETS) {
            int n = custom == null ? 0 : custom.length;
            if (idx == n) return Double.POSITIVE_INFINITY;
            if (idx == -1) return Double.NEGATIVE_INFINITY;
            if (idx < -1 || idx > n) throw new IndexOutOfBoundsException("bucket " + idx + " beyond " + n + " custom bounds");
            return custom[idx];
        }
        if (schema < 0) {
            long exp = (long) idx << -schema;
            if (exp == 1024) return Double.MAX_VALUE;
            if (exp > 1100) return Double.POSITIVE_INFINITY;
            if (exp < -1100) return 0.0;
            return Math.scalb(1.0, (int) exp);
        }
        double frac = FRAC[schema][idx & ((1 << schema) - 1)];
        int exp = (idx >> schema) + 1;
        if (frac == 0.5 && exp == 1025) return Double.MAX_VALUE;
        return Math.scalb(frac, exp);
    }

    /** Lower bound of positive bucket idx. */
    public static double lowerBound(int idx, int schema, double[] custom) {
        return upperBound(idx - 1, schema, custom);
    }

    /**
     * Index of the positive exponential bucket of schema s holding v > 0 (what a client computes; used by tests and
     * by ingest to check OTLP offsets). v = +Inf maps to the bucket after the one ending at MAX_VALUE.
     */
    public static int bucketIndexOf(double v, int schema) {
        if (!(v > 0)) throw new IllegalArgumentException("bucket index of non-positive value " + v);
        if (v == Double.POSITIVE_INFINITY) return targetIndexOfMax(schema) + 1;
        int e;
        double frac; // v = frac * 2^(e+1), frac in [0.5, 1)
        if (v < Double.MIN_NORMAL) {
            double scaled = v * 0x1p64;
            int se = Math.getExponent(scaled);
            e = se - 64;
            frac = Math.scalb(scaled, -se) / 2;
        } else {
            e = Math.getExponent(v);
            frac = Math.scalb(v, -e) / 2;
        }
        int exp = e + 1;
        if (schema >= 0) {
            double[] f = FRAC[schema];
            // smallest j with f[j] >= frac (binary search); exact powers of two sit at j = 0 of the next octave
            int lo = 0, hi = f.length; // answer in [0, n]
            while (lo < hi) { int mid = (lo + hi) >>> 1; if (f[mid] >= frac) hi = mid; else lo = mid + 1; }
            return ((exp - 1) << schema) + lo;
        }
        int div = 1 << -schema;
        int idx0 = frac == 0.5 ? exp - 1 : exp; // upper bound at schema 0 is 2^idx0
        return Math.floorDiv(idx0 + div - 1, div);
    }

    private static int targetIndexOfMax(int schema) {
        return schema >= 0 ? (1024 << schema) : 1024 >> -schema;
    }
}
