package io.tsdb.core.histogram;

import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/** Builders and brute-force references (index -> count maps) for the histogram tests. */
final class HistogramTestUtil {
    private HistogramTestUtil() {}

    /** A float histogram side from (index, count) pairs, in one span per run of consecutive indexes. */
    static void setSide(FloatHistogram h, boolean positive, TreeMap<Integer, Double> side) {
        Spans spans = positive ? h.positiveSpans : h.negativeSpans;
        spans.clear();
        if (positive) h.positiveCount = 0; else h.negativeCount = 0;
        Integer last = null;
        for (Map.Entry<Integer, Double> e : side.entrySet()) {
            int idx = e.getKey();
            if (last == null) spans.add(idx, 1);
            else if (idx == last + 1) spans.setLength(spans.size() - 1, spans.length(spans.size() - 1) + 1);
            else spans.add(idx - last - 1, 1);
            if (positive) h.addPositive(e.getValue()); else h.addNegative(e.getValue());
            last = idx;
        }
    }

    static void setSide(Histogram h, boolean positive, TreeMap<Integer, Long> side) {
        Spans spans = positive ? h.positiveSpans : h.negativeSpans;
        spans.clear();
        if (positive) h.positiveCount = 0; else h.negativeCount = 0;
        Integer last = null;
        long prev = 0;
        for (Map.Entry<Integer, Long> e : side.entrySet()) {
            int idx = e.getKey();
            if (last == null) spans.add(idx, 1);
            else if (idx == last + 1) spans.setLength(spans.size() - 1, spans.length(spans.size() - 1) + 1);
            else spans.add(idx - last - 1, 1);
            long c = e.getValue();
            if (positive) h.addPositiveDelta(c - prev); else h.addNegativeDelta(c - prev);
            prev = c;
            last = idx;
        }
    }

    /** index -> absolute count of one side, via the bucket iterator (optionally merged to a lower schema). */
    static TreeMap<Integer, Double> side(FloatHistogram h, boolean positive) {
        TreeMap<Integer, Double> m = new TreeMap<>();
        BucketIterator it = new BucketIterator().reset(h, positive);
        while (it.next()) m.put(it.index, it.count);
        return m;
    }

    static TreeMap<Integer, Double> side(Histogram h, boolean positive) {
        TreeMap<Integer, Double> m = new TreeMap<>();
        BucketIterator it = new BucketIterator().reset(h, positive);
        while (it.next()) m.put(it.index, it.count);
        return m;
    }

    /** Drops zero counts (absent and empty buckets mean the same). */
    static TreeMap<Integer, Double> nonZero(TreeMap<Integer, Double> m) {
        TreeMap<Integer, Double> r = new TreeMap<>();
        m.forEach((k, v) -> { if (v != 0) r.put(k, v); });
        return r;
    }

    /** Brute-force resolution reduction of index -> count. */
    static TreeMap<Integer, Double> reduce(TreeMap<Integer, Double> m, int from, int to) {
        TreeMap<Integer, Double> r = new TreeMap<>();
        m.forEach((k, v) -> r.merge(Schemas.targetIndex(k, from, to), v, Double::sum));
        return r;
    }

    /** Random integer counts on random sparse indexes (some empty buckets included). */
    static TreeMap<Integer, Long> randomSide(Random rnd, int maxBuckets) {
        TreeMap<Integer, Long> m = new TreeMap<>();
        int n = rnd.nextInt(maxBuckets + 1);
        int idx = rnd.nextInt(40) - 20;
        for (int i = 0; i < n; i++) {
            idx += 1 + (rnd.nextInt(4) == 0 ? rnd.nextInt(6) : 0);
            m.put(idx, rnd.nextInt(5) == 0 ? 0L : (long) rnd.nextInt(1000));
        }
        return m;
    }

    /** A valid random integer histogram (count = zero count + buckets, or larger with a NaN sum). */
    static Histogram randomHistogram(Random rnd, int schema) {
        Histogram h = new Histogram();
        h.schema = schema;
        h.zeroThreshold = rnd.nextBoolean() ? 0 : Math.scalb(1.0, -10 - rnd.nextInt(5));
        h.zeroCount = rnd.nextInt(50);
        TreeMap<Integer, Long> p = randomSide(rnd, 20), n = randomSide(rnd, 8);
        setSide(h, true, p);
        setSide(h, false, n);
        long total = h.zeroCount;
        for (long v : p.values()) total += v;
        for (long v : n.values()) total += v;
        h.count = total;
        h.sum = rnd.nextDouble() * 1000;
        return h;
    }

    static TreeMap<Integer, Double> toDouble(TreeMap<Integer, Long> m) {
        TreeMap<Integer, Double> r = new TreeMap<>();
        m.forEach((k, v) -> r.put(k, (double) v));
        return r;
    }
}
