package io.tsdb.query.promqltest;

import io.tsdb.core.histogram.CounterResetHint;
import io.tsdb.core.histogram.FloatHistogram;

import java.util.Arrays;

/**
 * Compares an expected native histogram of a test script with a result: schema, zero threshold, custom bounds
 * exactly; counts, sum and bucket counts within the runner's tolerance; the bucket layout after compaction (so
 * explicit empty buckets do not matter). The counter-reset hint is compared when the expectation names one.
 */
final class HistogramCompare {
    private HistogramCompare() {}

    static String diff(FloatHistogram exp, FloatHistogram act) {
        FloatHistogram e = new FloatHistogram().copyFrom(exp).compact(0);
        FloatHistogram a = new FloatHistogram().copyFrom(act).compact(0);
        String msg = "expected " + exp + " but got " + act;
        if (e.schema != a.schema) return msg;
        if (exp.hint != CounterResetHint.UNKNOWN && exp.hint != act.hint) return "counter reset hint: " + msg;
        if (!ScriptRunner.almostEqual(e.count, a.count) || !ScriptRunner.almostEqual(e.sum, a.sum)) return msg;
        if (!e.usesCustomBuckets() && (!ScriptRunner.almostEqual(e.zeroThreshold, a.zeroThreshold)
                || !ScriptRunner.almostEqual(e.zeroCount, a.zeroCount))) return msg;
        if (e.usesCustomBuckets() && !Arrays.equals(bounds(e), bounds(a))) return msg;
        if (!e.positiveSpans.sameLayout(a.positiveSpans) || !e.negativeSpans.sameLayout(a.negativeSpans)) return msg;
        if (e.positiveCount != a.positiveCount || e.negativeCount != a.negativeCount) return msg;
        for (int i = 0; i < e.positiveCount; i++) if (!ScriptRunner.almostEqual(e.positiveBuckets[i], a.positiveBuckets[i])) return msg;
        for (int i = 0; i < e.negativeCount; i++) if (!ScriptRunner.almostEqual(e.negativeBuckets[i], a.negativeBuckets[i])) return msg;
        return null;
    }

    private static double[] bounds(FloatHistogram h) { return h.customValues == null ? new double[0] : h.customValues; }
}
