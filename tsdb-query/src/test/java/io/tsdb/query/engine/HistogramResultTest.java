package io.tsdb.query.engine;

import io.tsdb.core.Labels;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.testing.MemStorage;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Native histogram samples in the engine's result types (what the HTTP API encodes). */
class HistogramResultTest {
    private static final Labels H = Labels.of("__name__", "lat_seconds", "job", "a");
    private static final Labels F = Labels.of("__name__", "lat_seconds", "job", "b");

    /** schema 0, zero bucket [-0.001, 0.001] with 1, positive buckets (0.5,1]:2 (1,2]:3, negative [-1,-0.5):4. */
    static FloatHistogram sample(double scale) {
        FloatHistogram h = new FloatHistogram();
        h.schema = 0;
        h.zeroThreshold = 0.001;
        h.zeroCount = 1 * scale;
        h.count = 10 * scale;
        h.sum = 7 * scale;
        h.positiveSpans.add(0, 2);
        h.addPositive(2 * scale);
        h.addPositive(3 * scale);
        h.negativeSpans.add(0, 1);
        h.addNegative(4 * scale);
        return h;
    }

    private static MemStorage storage() {
        MemStorage s = new MemStorage();
        for (int k = 0; k <= 4; k++) {
            s.addHistogram(H, k * 60_000L, sample(k + 1));
            s.add(F, k * 60_000L, k);
        }
        return s;
    }

    @Test
    void instantVectorCarriesHistogramSamples() {
        PromqlEngine e = new PromqlEngine(storage());
        Value.Vector v = (Value.Vector) e.instant("lat_seconds", 150_000, QueryOptions.DEFAULTS).value();
        assertEquals(2, v.samples().size());
        Sample h = v.samples().stream().filter(s -> s.labels().equals(H)).findFirst().orElseThrow();
        Sample f = v.samples().stream().filter(s -> s.labels().equals(F)).findFirst().orElseThrow();
        assertTrue(h.isHistogram());
        assertEquals(30, h.histogram().count);
        assertEquals(21, h.histogram().sum);
        assertFalse(f.isHistogram());
        assertNull(f.histogram());
        assertEquals(2, f.value());
    }

    @Test
    void rangeQuerySplitsFloatAndHistogramPoints() {
        PromqlEngine e = new PromqlEngine(storage());
        Value.Matrix m = (Value.Matrix) e.range("lat_seconds", 0, 240_000, 60_000, QueryOptions.DEFAULTS).value();
        assertEquals(2, m.series().size());
        Series h = m.series().stream().filter(s -> s.labels().equals(H)).findFirst().orElseThrow();
        Series f = m.series().stream().filter(s -> s.labels().equals(F)).findFirst().orElseThrow();
        assertEquals(0, h.count());
        assertEquals(5, h.histogramCount());
        assertTrue(h.hasHistograms());
        for (int i = 0; i < 5; i++) {
            assertEquals(i * 60_000L, h.histogramTimestamps()[i]);
            assertEquals(10.0 * (i + 1), h.histograms()[i].count);
        }
        assertEquals(5, f.count());
        assertEquals(0, f.histogramCount());
    }

    @Test
    void rangeVectorResultCarriesHistogramPoints() {
        PromqlEngine e = new PromqlEngine(storage());
        Value.Matrix m = (Value.Matrix) e.instant("lat_seconds{job=\"a\"}[3m]", 240_000, QueryOptions.DEFAULTS).value();
        Series h = m.series().get(0);
        assertEquals(3, h.histogramCount());
        assertEquals(120_000L, h.histogramTimestamps()[0]);
        assertEquals(50, h.histograms()[2].count);
    }

    @Test
    void bucketsInApiOrderWithBoundaryRules() {
        List<double[]> got = new ArrayList<>();
        HistogramBuckets.forEach(sample(1), (rule, lo, hi, c) -> got.add(new double[]{rule, lo, hi, c}));
        assertEquals(4, got.size());
        assertArrayEquals(new double[]{HistogramBuckets.OPEN_RIGHT, -1, -0.5, 4}, got.get(0));
        assertArrayEquals(new double[]{HistogramBuckets.CLOSED_BOTH, -0.001, 0.001, 1}, got.get(1));
        assertArrayEquals(new double[]{HistogramBuckets.OPEN_LEFT, 0.5, 1, 2}, got.get(2));
        assertArrayEquals(new double[]{HistogramBuckets.OPEN_LEFT, 1, 2, 3}, got.get(3));
    }

    @Test
    void customBucketsFirstBucketIsClosedAtMinusInfinity() {
        FloatHistogram h = new FloatHistogram();
        h.schema = -53;
        h.customValues = new double[]{1, 5};
        h.count = 6;
        h.sum = 10;
        h.positiveSpans.add(0, 3);
        h.addPositive(1);
        h.addPositive(0);
        h.addPositive(5);
        List<double[]> got = new ArrayList<>();
        HistogramBuckets.forEach(h, (rule, lo, hi, c) -> got.add(new double[]{rule, lo, hi, c}));
        assertEquals(2, got.size());
        assertArrayEquals(new double[]{HistogramBuckets.CLOSED_BOTH, Double.NEGATIVE_INFINITY, 1, 1}, got.get(0));
        assertArrayEquals(new double[]{HistogramBuckets.OPEN_LEFT, 5, Double.POSITIVE_INFINITY, 5}, got.get(1));
    }
}
