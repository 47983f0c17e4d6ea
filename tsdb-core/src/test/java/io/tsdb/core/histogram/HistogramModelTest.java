package io.tsdb.core.histogram;

import static io.tsdb.core.histogram.HistogramTestUtil.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

import io.tsdb.core.StaleNaN;
import io.tsdb.core.histogram.InvalidHistogramException.Rule;

class HistogramModelTest {

    @Test
    void exponentialBoundsFollowTheSchema() {
        assertEquals(1.0, Schemas.upperBound(0, 0, null));
        assertEquals(2.0, Schemas.upperBound(1, 0, null));
        assertEquals(0.5, Schemas.upperBound(-1, 0, null));
        assertEquals(4.0, Schemas.upperBound(1, -1, null));
        assertEquals(65536.0, Schemas.upperBound(1, -4, null));
        assertEquals(Math.sqrt(2), Schemas.upperBound(1, 1, null), Math.ulp(Math.sqrt(2)));
        // the bucket that would end just above MAX_VALUE ends at MAX_VALUE; the next one counts +Inf
        assertEquals(Double.MAX_VALUE, Schemas.upperBound(1024, 0, null));
        assertEquals(Double.POSITIVE_INFINITY, Schemas.upperBound(1025, 0, null));
        assertEquals(Double.MAX_VALUE, Schemas.upperBound(1024 << 8, 8, null));
        assertEquals(Double.MAX_VALUE, Schemas.upperBound(256, -2, null));
        // Prometheus's table of schema-8 bounds (model/histogram/generic.go) is within a few ulps of ours
        double[][] upstream = {{128, 0.7071067811865475}, {255, 0.9972960560854698}, {1, 0.5013556375251013}, {200, 0.8593096490612387}};
        for (double[] u : upstream) {
            double ours = Schemas.upperBound((int) u[0], 8, null) / 2;
            assertEquals(u[1], ours, 4 * Math.ulp(u[1]), "schema 8 bound " + (int) u[0]);
        }
        // every schema's bounds are a subset of schema 8's (1 is a boundary everywhere)
        for (int s = -4; s <= 8; s++) {
            for (int i = -300; i < 300; i++) {
                if (s >= 0) assertEquals(Schemas.upperBound(i << (8 - s), 8, null), Schemas.upperBound(i, s, null), "schema " + s + " idx " + i);
            }
        }
    }

    @Test
    void bucketIndexOfPutsValuesInsideTheirBucket() {
        Random rnd = new Random(42);
        for (int s = -4; s <= 8; s++) {
            for (int k = 0; k < 2000; k++) {
                double v = Math.scalb(1 + rnd.nextDouble(), rnd.nextInt(200) - 100);
                if (k % 10 == 0) v = Math.scalb(1.0, rnd.nextInt(200) - 100); // exact powers of two are upper bounds
                int idx = Schemas.bucketIndexOf(v, s);
                assertTrue(Schemas.lowerBound(idx, s, null) < v && v <= Schemas.upperBound(idx, s, null),
                        "schema " + s + " v " + v + " idx " + idx);
            }
        }
        assertEquals(1025, Schemas.bucketIndexOf(Double.POSITIVE_INFINITY, 0));
        assertEquals(1024, Schemas.bucketIndexOf(Double.MAX_VALUE, 0));
        assertEquals(-1074, Schemas.bucketIndexOf(Double.MIN_VALUE, 0)); // 2^-1074 is the upper bound of bucket -1074
    }

    @Test
    void customBucketBoundsAndInclusiveness() {
        FloatHistogram h = nhcb(new double[] {1, 5, 10}, new double[] {1, 2, 3, 4});
        BucketIterator it = new BucketIterator().reset(h, true);
        double[][] expect = {{Double.NEGATIVE_INFINITY, 1, 1}, {1, 5, 2}, {5, 10, 3}, {10, Double.POSITIVE_INFINITY, 4}};
        for (double[] e : expect) {
            assertTrue(it.next());
            assertEquals(e[0], it.lower());
            assertEquals(e[1], it.upper());
            assertEquals(e[2], it.count);
            assertTrue(it.upperInclusive());
            assertEquals(it.index == 0, it.lowerInclusive());
        }
        assertFalse(it.next());
        // exponential: positive buckets (lower, upper], negative [lower, upper)
        FloatHistogram e = new FloatHistogram();
        setSide(e, true, map(0, 1.0));
        setSide(e, false, map(0, 1.0));
        it.reset(e, true);
        assertTrue(it.next());
        assertFalse(it.lowerInclusive());
        assertTrue(it.upperInclusive());
        it.reset(e, false);
        assertTrue(it.next());
        assertEquals(-1.0, it.lower());
        assertEquals(-0.5, it.upper());
        assertTrue(it.lowerInclusive());
        assertFalse(it.upperInclusive());
    }

    static FloatHistogram nhcb(double[] bounds, double[] counts) {
        FloatHistogram h = new FloatHistogram();
        h.schema = Schemas.CUSTOM_BUCKETS;
        h.customValues = bounds;
        TreeMap<Integer, Double> m = new TreeMap<>();
        double total = 0;
        for (int i = 0; i < counts.length; i++) { m.put(i, counts[i]); total += counts[i]; }
        setSide(h, true, m);
        h.count = total;
        return h;
    }

    static TreeMap<Integer, Double> map(double... kv) {
        TreeMap<Integer, Double> m = new TreeMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((int) kv[i], kv[i + 1]);
        return m;
    }

    static TreeMap<Integer, Long> lmap(long... kv) {
        TreeMap<Integer, Long> m = new TreeMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((int) kv[i], kv[i + 1]);
        return m;
    }

    private static Histogram valid() {
        Histogram h = new Histogram();
        h.schema = 1;
        h.zeroThreshold = 0.001;
        h.zeroCount = 2;
        setSide(h, true, lmap(-2, 3, -1, 5, 3, 1));
        setSide(h, false, lmap(0, 4));
        h.count = 15;
        h.sum = 12.5;
        return h;
    }

    private static InvalidHistogramException invalid(Histogram h) {
        return assertThrows(InvalidHistogramException.class, () -> HistogramValidator.validate(h));
    }

    @Test
    void validationAcceptsValidAndStale() {
        HistogramValidator.validate(valid());
        Histogram nanSum = valid();
        nanSum.sum = Double.NaN;
        nanSum.count = 20; // NaN observations count but land in no bucket
        HistogramValidator.validate(nanSum);
        Histogram stale = valid();
        stale.sum = StaleNaN.VALUE;
        stale.count = 0;
        HistogramValidator.validate(stale);
        HistogramValidator.validate(valid().toFloat(new FloatHistogram()));
    }

    @Test
    void validationNamesTheRuleBroken() {
        Histogram h = valid();
        h.schema = 9;
        InvalidHistogramException e = invalid(h);
        assertEquals(Rule.INVALID_SCHEMA, e.rule());
        assertTrue(e.getMessage().contains("got schema 9"), e.getMessage());

        h = valid();
        h.positiveBuckets[1] = -10; // 3 - 10 = -7
        e = invalid(h);
        assertEquals(Rule.NEGATIVE_BUCKET_COUNT, e.rule());
        assertEquals("positive side: bucket number 2 has observation count of -7: histogram has a bucket whose observation count is negative", e.getMessage());

        h = valid();
        h.positiveCount = 2; // spans still describe 3
        e = invalid(h);
        assertEquals(Rule.SPANS_BUCKETS_MISMATCH, e.rule());
        assertTrue(e.getMessage().startsWith("positive side: spans need 3 buckets, have 2 buckets"), e.getMessage());

        h = valid();
        h.negativeSpans.add(-1, 0);
        e = invalid(h);
        assertEquals(Rule.SPAN_NEGATIVE_OFFSET, e.rule());
        assertTrue(e.getMessage().startsWith("negative side: span number 2 with offset -1"), e.getMessage());

        h = valid();
        h.count = 14;
        e = invalid(h);
        assertEquals(Rule.COUNT_MISMATCH, e.rule());
        assertTrue(e.getMessage().startsWith("15 observations found in buckets, but the Count field is 14"), e.getMessage());

        h = valid();
        h.sum = Double.NaN;
        h.count = 14;
        assertEquals(Rule.COUNT_NOT_BIG_ENOUGH, invalid(h).rule());

        h = valid();
        h.customValues = new double[] {1};
        assertEquals(Rule.EXPONENTIAL_WITH_CUSTOM_BOUNDS, invalid(h).rule());

        h = valid();
        h.count = -1;
        assertEquals(Rule.NEGATIVE_COUNT, invalid(h).rule());
    }

    @Test
    void validationOfCustomBuckets() {
        FloatHistogram f = nhcb(new double[] {1, 5, 10}, new double[] {1, 2, 3, 4});
        HistogramValidator.validate(f);
        Histogram h = new Histogram();
        h.schema = Schemas.CUSTOM_BUCKETS;
        h.customValues = new double[] {1, 5, 5};
        setSide(h, true, lmap(0, 1, 1, 1));
        h.count = 2;
        InvalidHistogramException e = invalid(h);
        assertEquals(Rule.CUSTOM_BOUNDS_NOT_INCREASING, e.rule());
        assertTrue(e.getMessage().contains("bound number 2 is 5.0 and bound number 3 is 5.0"), e.getMessage());
        h.customValues = new double[] {1, Double.NaN};
        assertEquals(Rule.CUSTOM_BOUNDS_NAN, invalid(h).rule());
        h.customValues = new double[] {1, Double.POSITIVE_INFINITY};
        assertEquals(Rule.CUSTOM_BOUNDS_INFINITE, invalid(h).rule());
        h.customValues = new double[] {1};
        setSide(h, true, lmap(0, 1, 5, 1));
        e = invalid(h);
        assertEquals(Rule.CUSTOM_BOUNDS_TOO_FEW, e.rule());
        h.customValues = new double[] {1, 2, 3, 4, 5};
        HistogramValidator.validate(h);
        h.zeroCount = 1;
        h.count = 3;
        assertEquals(Rule.CUSTOM_BUCKETS_ZERO_COUNT, invalid(h).rule());
        h.zeroCount = 0;
        h.count = 2;
        h.zeroThreshold = 0.1;
        assertEquals(Rule.CUSTOM_BUCKETS_ZERO_THRESHOLD, invalid(h).rule());
        h.zeroThreshold = 0;
        setSide(h, false, lmap(0, 0));
        assertEquals(Rule.CUSTOM_BUCKETS_NEGATIVE_SPANS, invalid(h).rule());
        FloatHistogram neg = nhcb(new double[] {1}, new double[] {1, -1});
        assertEquals(Rule.NEGATIVE_BUCKET_COUNT, assertThrows(InvalidHistogramException.class, () -> HistogramValidator.validate(neg)).rule());
    }

    @Test
    void toFloatCumulatesDeltas() {
        Histogram h = valid();
        FloatHistogram f = h.toFloat(new FloatHistogram());
        assertEquals(toDouble(lmap(-2, 3, -1, 5, 3, 1)), side(f, true));
        assertEquals(toDouble(lmap(0, 4)), side(f, false));
        assertEquals(15.0, f.count);
        assertEquals(2.0, f.zeroCount);
        assertEquals(0.001, f.zeroThreshold);
        assertEquals(side(h, true), side(f, true));
    }

    @Test
    void reduceResolutionMatchesBruteForce() {
        Random rnd = new Random(7);
        for (int k = 0; k < 500; k++) {
            int from = rnd.nextInt(13) - 4;
            int to = from - rnd.nextInt(from + 5);
            Histogram h = randomHistogram(rnd, from);
            TreeMap<Integer, Double> p = side(h, true), n = side(h, false);
            FloatHistogram f = h.toFloat(new FloatHistogram());
            h.reduceResolution(to);
            f.reduceResolution(to);
            assertEquals(to, h.schema);
            assertEquals(reduce(p, from, to), side(h, true), "int positive " + from + "->" + to);
            assertEquals(reduce(n, from, to), side(h, false));
            assertEquals(reduce(p, from, to), side(f, true), "float positive " + from + "->" + to);
            assertEquals(reduce(n, from, to), side(f, false));
            HistogramValidator.validate(h);
            HistogramValidator.validate(f);
        }
    }

    @Test
    void compactionGivesTheNormalForm() {
        Random rnd = new Random(11);
        for (int k = 0; k < 500; k++) {
            Histogram h = randomHistogram(rnd, 0);
            // add empty and zero-length spans
            if (rnd.nextBoolean()) h.positiveSpans.add(3, 0);
            int max = rnd.nextInt(4);
            TreeMap<Integer, Double> p = nonZero(side(h, true)), n = nonZero(side(h, false));
            FloatHistogram f = h.toFloat(new FloatHistogram());
            h.compact(max);
            f.compact(max);
            for (Object o : new Object[] {h, f}) {
                Spans s = o == h ? h.positiveSpans : f.positiveSpans;
                TreeMap<Integer, Double> got = o == h ? side(h, true) : side(f, true);
                assertEquals(p, nonZero(got));
                // no empty span, no empty bucket at a span edge, gaps between spans > max
                int i0 = 0;
                for (int i = 0; i < s.size(); i++) {
                    assertTrue(s.length(i) > 0);
                    if (i > 0) assertTrue(s.offset(i) > max, "gap " + s.offset(i) + " <= " + max);
                }
                for (var e : got.entrySet()) if (e.getValue() == 0) {
                    assertTrue(got.containsKey(e.getKey() - 1) && got.containsKey(e.getKey() + 1) || i0 > 0);
                }
            }
            assertEquals(n, nonZero(side(h, false)));
            assertEquals(n, nonZero(side(f, false)));
            HistogramValidator.validate(h);
        }
        Histogram h = new Histogram();
        setSide(h, true, lmap(0, 5, 1, 0, 2, 0, 3, 2, 10, 0));
        h.compact(1);
        assertEquals("[0:1, 2:1]", h.positiveSpans.toString());
        h.compact(2);
        assertEquals("[0:4]", h.positiveSpans.toString());
        assertEquals(side(h, true), toDouble(lmap(0, 5, 1, 0, 2, 0, 3, 2)));
    }
}
