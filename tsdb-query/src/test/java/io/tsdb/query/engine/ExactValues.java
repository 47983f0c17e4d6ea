package io.tsdb.query.engine;

import io.tsdb.core.histogram.FloatHistogram;

/** A query result as text with every float as its bits: two results are identical when their texts are equal. */
public final class ExactValues {
    private ExactValues() {}

    public static String of(QueryResult r) {
        StringBuilder sb = new StringBuilder();
        append(sb, r.value());
        sb.append("\nwarnings ").append(new java.util.TreeSet<>(r.warnings()));
        sb.append("\ninfos ").append(new java.util.TreeSet<>(r.infos()));
        return sb.toString();
    }

    public static void append(StringBuilder sb, Value v) {
        if (v instanceof Value.Scalar s) {
            sb.append("scalar ").append(s.timestampMs()).append(' ').append(bits(s.value()));
        } else if (v instanceof Value.Str s) {
            sb.append("string ").append(s.timestampMs()).append(' ').append(s.value());
        } else if (v instanceof Value.Vector vec) {
            sb.append("vector ordered=").append(vec.ordered()).append('\n');
            for (Sample x : vec.samples()) {
                sb.append(x.labels()).append(' ').append(x.timestampMs()).append(' ')
                        .append(x.histogram() != null ? hist(x.histogram()) : bits(x.value())).append('\n');
            }
        } else {
            sb.append("matrix\n");
            for (Series s : ((Value.Matrix) v).series()) {
                sb.append(s.labels()).append(':');
                for (int i = 0; i < s.count(); i++) sb.append(' ').append(s.timestamps()[i]).append('=').append(bits(s.values()[i]));
                for (int i = 0; i < s.histogramCount(); i++) {
                    sb.append(' ').append(s.histogramTimestamps()[i]).append('=').append(hist(s.histograms()[i]));
                }
                sb.append('\n');
            }
        }
    }

    static String bits(double d) {
        return d + "/" + Long.toHexString(Double.doubleToRawLongBits(d));
    }

    static String hist(FloatHistogram h) {
        return h + "/" + Long.toHexString(Double.doubleToRawLongBits(h.sum)) + "/" + Long.toHexString(Double.doubleToRawLongBits(h.count));
    }
}
