package io.tsdb.query.engine.eval;

import io.tsdb.core.Labels;
import io.tsdb.core.histogram.FloatHistogram;

import java.util.ArrayList;
import java.util.List;

/** Internal evaluation values: every value is evaluated over a whole array of step timestamps at once. */
public final class Vals {
    private Vals() {}

    /** Marker for "no sample at this step" inside {@link Row#v}; a NaN payload no computation produces. */
    public static final long ABSENT_BITS = 0x7ff8deadbeef0001L;
    public static final double ABSENT = Double.longBitsToDouble(ABSENT_BITS);

    public static boolean absent(double v) { return Double.doubleToRawLongBits(v) == ABSENT_BITS; }

    public static boolean present(double v) { return Double.doubleToRawLongBits(v) != ABSENT_BITS; }

    public sealed interface Val permits VecVal, ScalarVal, StrVal, MatVal {}

    /**
     * One series of an instant vector over all steps; {@code v[i]} is ABSENT when there is no float sample at step i.
     * {@code h} is null when the row holds no native histogram; otherwise {@code h[i]} is the histogram sample at step
     * i (then {@code v[i]} is ABSENT) or null. Histograms in a row are never modified (several steps may share one):
     * an operation on them writes a new instance.
     */
    public static final class Row {
        public Labels labels;
        public final double[] v;
        public FloatHistogram[] h;
        /** Delayed __name__ removal (Prometheus 3): drop the metric name at the end of evaluation. */
        public boolean dropName;

        public Row(Labels labels, double[] v, boolean dropName) {
            this.labels = labels;
            this.v = v;
            this.dropName = dropName;
        }

        public Row(Labels labels, double[] v, FloatHistogram[] h, boolean dropName) {
            this.labels = labels;
            this.v = v;
            this.h = h;
            this.dropName = dropName;
        }

        /** The histogram at step i, or null. */
        public FloatHistogram hist(int i) { return h == null ? null : h[i]; }

        /** Whether step i holds a float or a histogram. */
        public boolean has(int i) { return present(v[i]) || (h != null && h[i] != null); }

        /** Sets the histogram at step i (allocating the histogram column on first use). */
        public void setHist(int i, FloatHistogram x) {
            if (h == null) h = new FloatHistogram[v.length];
            h[i] = x;
            v[i] = ABSENT;
        }

        public static double[] empty(int n) {
            double[] a = new double[n];
            java.util.Arrays.fill(a, ABSENT);
            return a;
        }

        public boolean any() {
            for (double x : v) if (present(x)) return true;
            if (h != null) for (FloatHistogram x : h) if (x != null) return true;
            return false;
        }

        /** Steps with a float or a histogram. */
        public int count() {
            int c = 0;
            for (double x : v) if (present(x)) c++;
            if (h != null) for (FloatHistogram x : h) if (x != null) c++;
            return c;
        }

        /** Steps with a histogram. */
        public int histCount() {
            int c = 0;
            if (h != null) for (FloatHistogram x : h) if (x != null) c++;
            return c;
        }
    }

    /** Instant vector over steps. {@code ordered} is set by sort/topk-like functions (meaningful for one step). */
    public static final class VecVal implements Val {
        public final List<Row> rows;
        public boolean ordered;

        public VecVal(List<Row> rows) { this.rows = rows; }

        public static VecVal empty() { return new VecVal(new ArrayList<>()); }
    }

    public static final class ScalarVal implements Val {
        public final double[] v;
        public ScalarVal(double[] v) { this.v = v; }
    }

    public record StrVal(String s) implements Val {}

    /**
     * A series of raw points (a range vector): {@code n} float points in {@code t}/{@code v}, and {@code hn} histogram
     * points in {@code ht}/{@code hh} (each ascending; a timestamp is in one of them only).
     */
    public static final class RangeSeries {
        private static final long[] NO_T = new long[0];
        private static final FloatHistogram[] NO_H = new FloatHistogram[0];
        public final Labels labels;
        public final long[] t;
        public final double[] v;
        public final int n;
        public final long[] ht;
        public final FloatHistogram[] hh;
        public final int hn;
        public final boolean dropName;

        public RangeSeries(Labels labels, long[] t, double[] v, int n, boolean dropName) {
            this(labels, t, v, n, NO_T, NO_H, 0, dropName);
        }

        public RangeSeries(Labels labels, long[] t, double[] v, int n, long[] ht, FloatHistogram[] hh, int hn,
                           boolean dropName) {
            this.labels = labels;
            this.t = t;
            this.v = v;
            this.n = n;
            this.ht = ht;
            this.hh = hh;
            this.hn = hn;
            this.dropName = dropName;
        }
    }

    /** Range vector (only as the result of an instant query of a matrix expression). */
    public static final class MatVal implements Val {
        public final List<RangeSeries> series;
        public MatVal(List<RangeSeries> series) { this.series = series; }
    }
}
