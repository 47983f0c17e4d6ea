package io.tsdb.query.engine.eval;

import io.tsdb.core.histogram.BucketIterator;
import io.tsdb.core.histogram.FloatHistogram;

/**
 * A native histogram as Prometheus prints it (its FloatHistogram String form, what {@code count_values} puts in the
 * label): {@code {count:C, sum:S, <buckets>}} with the non-empty buckets in ascending order, each
 * {@code [lower,upper):count} with the brackets saying which bounds are inclusive, numbers as Go's {@code %g}.
 */
final class HistogramText {
    private HistogramText() {}

    static String of(FloatHistogram h) {
        StringBuilder sb = new StringBuilder("{count:").append(GoFmt.g(h.count)).append(", sum:").append(GoFmt.g(h.sum));
        BucketIterator it = new BucketIterator();
        java.util.ArrayList<String> neg = new java.util.ArrayList<>();
        it.reset(h, false);
        while (it.next()) if (it.count != 0) neg.add(bucket(it.lowerInclusive(), it.lower(), it.upper(), it.upperInclusive(), it.count));
        for (int i = neg.size() - 1; i >= 0; i--) sb.append(", ").append(neg.get(i));
        if (!h.usesCustomBuckets() && h.zeroCount != 0) {
            sb.append(", ").append(bucket(true, -h.zeroThreshold, h.zeroThreshold, true, h.zeroCount));
        }
        it.reset(h, true);
        while (it.next()) if (it.count != 0) sb.append(", ").append(bucket(it.lowerInclusive(), it.lower(), it.upper(), it.upperInclusive(), it.count));
        return sb.append('}').toString();
    }

    private static String bucket(boolean li, double lo, double hi, boolean ui, double c) {
        return (li ? "[" : "(") + GoFmt.g(lo) + "," + GoFmt.g(hi) + (ui ? "]" : ")") + ":" + GoFmt.g(c);
    }
}
