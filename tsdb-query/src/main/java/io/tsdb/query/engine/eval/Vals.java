package io.tsdb.query.engine.eval;

import io.tsdb.core.Labels;

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

    /** One series of an instant vector over all steps; {@code v[i]} is ABSENT when there is no sample at step i. */
    public static final class Row {
        public Labels labels;
        public final double[] v;
        /** Delayed __name__ removal (Prometheus 3): drop the metric name at the end of evaluation. */
        public boolean dropName;

        public Row(Labels labels, double[] v, boolean dropName) {
            this.labels = labels;
            this.v = v;
            this.dropName = dropName;
        }

        public static double[] empty(int n) {
            double[] a = new double[n];
            java.util.Arrays.fill(a, ABSENT);
            return a;
        }

        public boolean any() {
            for (double x : v) if (present(x)) return true;
            return false;
        }

        public int count() {
            int c = 0;
            for (double x : v) if (present(x)) c++;
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

    /** A series of raw points (a range vector). */
    public static final class RangeSeries {
        public final Labels labels;
        public final long[] t;
        public final double[] v;
        public final int n;
        public final boolean dropName;

        public RangeSeries(Labels labels, long[] t, double[] v, int n, boolean dropName) {
            this.labels = labels;
            this.t = t;
            this.v = v;
            this.n = n;
            this.dropName = dropName;
        }
    }

    /** Range vector (only as the result of an instant query of a matrix expression). */
    public static final class MatVal implements Val {
        public final List<RangeSeries> series;
        public MatVal(List<RangeSeries> series) { this.series = series; }
    }
}
