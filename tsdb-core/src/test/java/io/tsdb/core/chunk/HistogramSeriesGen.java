package io.tsdb.core.chunk;

import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import io.tsdb.core.histogram.Histogram;
import io.tsdb.core.histogram.Schemas;
import io.tsdb.core.histogram.Spans;

/**
 * Generates what a client library's native histogram exposes scrape after scrape: observations of a latency-like
 * (log-normal) distribution accumulated into an exponential histogram (default schema 3 and zero threshold 2^-128
 * of the Prometheus clients), so buckets fill in over time. Deterministic per seed. Public for the storage tests
 * (head, WAL, blocks) in other packages.
 */
public final class HistogramSeriesGen {
    final Random rnd;
    final int schema;
    final double zeroThreshold;
    final double median;
    final double sigma;
    final int perScrape;
    final boolean withNegatives;
    final TreeMap<Integer, Long> pos = new TreeMap<>(), neg = new TreeMap<>();
    long zeroCount, count;
    double sum;

    public HistogramSeriesGen(long seed, int schema, double zeroThreshold, double median, double sigma, int perScrape, boolean withNegatives) {
        this.rnd = new Random(seed);
        this.schema = schema;
        this.zeroThreshold = zeroThreshold;
        this.median = median;
        this.sigma = sigma;
        this.perScrape = perScrape;
        this.withNegatives = withNegatives;
    }

    /** Default client settings: schema 3, zero threshold 2^-128, latencies around 50 ms. */
    public static HistogramSeriesGen latency(long seed, int perScrape) {
        return new HistogramSeriesGen(seed, 3, Math.scalb(1.0, -128), 0.05, 1.0, perScrape, false);
    }

    void observe(double v) {
        count++;
        sum += v;
        double a = Math.abs(v);
        if (a <= zeroThreshold) { zeroCount++; return; }
        int idx = Schemas.bucketIndexOf(a, schema);
        (v > 0 ? pos : neg).merge(idx, 1L, Long::sum);
    }

    /** One scrape interval's observations (Poisson-like count around perScrape). */
    public void step() {
        int k = perScrape <= 0 ? 0 : Math.max(0, (int) Math.round(perScrape + Math.sqrt(perScrape) * rnd.nextGaussian()));
        for (int i = 0; i < k; i++) {
            double v = median * Math.exp(sigma * rnd.nextGaussian());
            if (withNegatives && rnd.nextInt(5) == 0) v = -v;
            if (rnd.nextInt(1000) == 0) v = 0;
            observe(v);
        }
    }

    /** The current state as an integer histogram in h. */
    public Histogram current(Histogram h) {
        h.clear();
        h.schema = schema;
        h.zeroThreshold = zeroThreshold;
        h.zeroCount = zeroCount;
        h.count = count;
        h.sum = sum;
        side(h, true, pos);
        side(h, false, neg);
        return h;
    }

    static void side(Histogram h, boolean positive, TreeMap<Integer, Long> side) {
        Spans spans = positive ? h.positiveSpans : h.negativeSpans;
        Integer last = null;
        long prev = 0;
        for (Map.Entry<Integer, Long> e : side.entrySet()) {
            int idx = e.getKey();
            if (last == null) spans.add(idx, 1);
            else if (idx == last + 1) spans.extendLast(1);
            else spans.add(idx - last - 1, 1);
            if (positive) h.addPositiveDelta(e.getValue() - prev); else h.addNegativeDelta(e.getValue() - prev);
            prev = e.getValue();
            last = idx;
        }
    }
}
