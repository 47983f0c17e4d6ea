package io.tsdb.core.histogram;

import static io.tsdb.core.histogram.HistogramModelTest.map;
import static io.tsdb.core.histogram.HistogramModelTest.nhcb;
import static io.tsdb.core.histogram.HistogramTestUtil.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

class HistogramArithmeticTest {

    private static FloatHistogram exp(int schema, double zt, double zc, TreeMap<Integer, Double> pos, TreeMap<Integer, Double> neg) {
        FloatHistogram h = new FloatHistogram();
        h.schema = schema;
        h.zeroThreshold = zt;
        h.zeroCount = zc;
        setSide(h, true, pos);
        setSide(h, false, neg);
        double c = zc;
        for (double v : pos.values()) c += v;
        for (double v : neg.values()) c += v;
        h.count = c;
        h.sum = c * 1.5;
        return h;
    }

    @Test
    void addMatchesBruteForceAcrossSchemas() {
        Random rnd = new Random(3);
        for (int k = 0; k < 500; k++) {
            int sa = rnd.nextInt(13) - 4, sb = rnd.nextInt(13) - 4;
            Histogram a = randomHistogram(rnd, sa), b = randomHistogram(rnd, sb);
            a.zeroThreshold = b.zeroThreshold = 0; // zero bucket reconciliation is tested below
            FloatHistogram fa = a.toFloat(new FloatHistogram()), fb = b.toFloat(new FloatHistogram());
            int low = Math.min(sa, sb);
            TreeMap<Integer, Double> expectP = reduce(side(fa, true), sa, low);
            reduce(side(fb, true), sb, low).forEach((i, c) -> expectP.merge(i, c, Double::sum));
            TreeMap<Integer, Double> expectN = reduce(side(fa, false), sa, low);
            reduce(side(fb, false), sb, low).forEach((i, c) -> expectN.merge(i, c, Double::sum));
            double count = fa.count + fb.count, sum = fa.sum + fb.sum, zc = fa.zeroCount + fb.zeroCount;
            FloatHistogram before = new FloatHistogram().copyFrom(fb);
            assertEquals(0, fa.add(fb));
            assertTrue(before.sameData(fb), "the operand is not modified");
            assertEquals(low, fa.schema);
            assertEquals(expectP, side(fa, true));
            assertEquals(expectN, side(fa, false));
            assertEquals(count, fa.count);
            assertEquals(sum, fa.sum);
            assertEquals(zc, fa.zeroCount);
            HistogramValidator.validate(fa);
            // subtracting again gives back a's buckets (at the lower schema)
            fa.sub(fb);
            TreeMap<Integer, Double> back = reduce(side(a.toFloat(new FloatHistogram()), true), sa, low);
            assertEquals(nonZero(back), nonZero(side(fa, true)));
        }
    }

    @Test
    void zeroBucketsAreReconciledToTheWiderThreshold() {
        // a: zero bucket [-0.5, 0.5], buckets (0.5,1]:2 (1,2]:3; b: zero bucket [-1, 1]
        FloatHistogram a = exp(0, 0.5, 1, map(0, 2, 1, 3), map());
        FloatHistogram b = exp(0, 1, 4, map(1, 5), map());
        a.add(b);
        assertEquals(1.0, a.zeroThreshold);
        assertEquals(7.0, a.zeroCount); // 1 + 2 (absorbed bucket) + 4
        assertEquals(map(1, 8), nonZero(side(a, true)));
        // a threshold cutting through a populated bucket is raised to that bucket's upper bound
        FloatHistogram c = exp(0, 0.5, 1, map(0, 2, 1, 3), map(0, 1));
        FloatHistogram d = exp(0, 0.7, 0, map(2, 1), map());
        c.add(d);
        assertEquals(1.0, c.zeroThreshold);
        assertEquals(4.0, c.zeroCount); // 1 + positive (0.5,1]:2 + negative [-1,-0.5):1
        assertEquals(map(1, 3, 2, 1), nonZero(side(c, true)));
        assertEquals(map(), nonZero(side(c, false)));
        // the other way round: the receiver's zero bucket is the wider one; buckets of the operand inside it go to the zero count
        FloatHistogram e = exp(0, 1, 4, map(1, 5), map());
        e.add(exp(0, 0.5, 1, map(0, 2, 1, 3), map()));
        assertEquals(1.0, e.zeroThreshold);
        assertEquals(7.0, e.zeroCount);
        assertEquals(map(1, 8), nonZero(side(e, true)));
    }

    @Test
    void counterResetHintsAndIncompatibleSchemas() {
        FloatHistogram a = exp(0, 0, 0, map(0, 1), map()), b = exp(0, 0, 0, map(0, 1), map());
        a.hint = CounterResetHint.COUNTER_RESET;
        b.hint = CounterResetHint.NOT_COUNTER_RESET;
        assertEquals(HistogramArithmetic.COUNTER_RESET_COLLISION, a.add(b));
        assertEquals(CounterResetHint.UNKNOWN, a.hint);
        a.hint = CounterResetHint.NOT_COUNTER_RESET;
        b.hint = CounterResetHint.GAUGE;
        assertEquals(0, a.add(b));
        assertEquals(CounterResetHint.GAUGE, a.hint);
        FloatHistogram custom = nhcb(new double[] {1}, new double[] {1, 1});
        assertThrows(IncompatibleHistogramsException.class, () -> a.add(custom));
    }

    @Test
    void customBucketsWithDifferentBoundsMapOntoTheSharedBounds() {
        FloatHistogram a = nhcb(new double[] {1, 2, 5}, new double[] {1, 2, 3, 4});
        FloatHistogram b = nhcb(new double[] {1, 5, 10}, new double[] {10, 20, 30, 40});
        assertEquals(0, nhcb(new double[] {1, 2, 5}, new double[] {1, 1, 1, 1}).add(nhcb(new double[] {1, 2, 5}, new double[] {1, 1, 1, 1})));
        assertEquals(HistogramArithmetic.NHCB_BOUNDS_RECONCILED, a.add(b));
        assertArrayEquals(new double[] {1, 5}, a.customValues);
        // (-Inf,1]: 1+10; (1,5]: 2+3+20; (5,+Inf): 4+30+40
        assertEquals(map(0, 11, 1, 25, 2, 74), side(a, true));
        assertEquals(110.0, a.count);
        HistogramValidator.validate(a);
    }

    @Test
    void detectsCounterResetsAsUpstreamDefinesThem() {
        CounterResets cr = new CounterResets();
        FloatHistogram prev = exp(1, 0.001, 2, map(0, 3, 1, 4, 5, 1), map(0, 2));
        // growth everywhere: no reset
        assertFalse(cr.detect(exp(1, 0.001, 2, map(0, 3, 1, 5, 5, 1, 7, 1), map(0, 2)), prev));
        // one bucket decreased
        assertTrue(cr.detect(exp(1, 0.001, 2, map(0, 3, 1, 3, 5, 9), map(0, 2)), prev));
        // a populated bucket disappeared
        assertTrue(cr.detect(exp(1, 0.001, 2, map(0, 3, 1, 10), map(0, 2)), prev));
        // an empty bucket disappearing is no reset
        FloatHistogram prevEmpty = exp(1, 0.001, 2, map(0, 3, 1, 0), map());
        assertFalse(cr.detect(exp(1, 0.001, 2, map(0, 3), map()), prevEmpty));
        // zero count decreased
        assertTrue(cr.detect(exp(1, 0.001, 1, map(0, 3, 1, 5, 5, 2), map(0, 2)), prev));
        // negative side decreased
        assertTrue(cr.detect(exp(1, 0.001, 2, map(0, 3, 1, 5, 5, 2), map(0, 1, 1, 1)), prev));
        // finer schema than before: reset; coarser schema with merged buckets that grew: no reset
        assertTrue(cr.detect(exp(2, 0.001, 2, map(0, 30), map(0, 30)), prev));
        assertFalse(cr.detect(exp(0, 0.001, 2, map(0, 3, 1, 4, 3, 1), map(0, 2)), prev));
        // a wider zero bucket that absorbs populated buckets exactly at their bounds: no reset when it grew
        assertFalse(cr.detect(exp(1, 1, 2 + 3 + 2, map(1, 4, 5, 1), map()), prev));
        // a smaller zero bucket than before: reset
        assertTrue(cr.detect(exp(1, 0.0001, 2, map(0, 3, 1, 5, 5, 1), map(0, 2)), prev));
        // a wider zero bucket cutting through a populated bucket of the previous histogram: reset
        assertTrue(cr.detect(exp(1, 1.2, 20, map(5, 1), map()), prev));
        // lower count
        FloatHistogram lower = exp(1, 0.001, 2, map(0, 3, 1, 5, 5, 1), map(0, 2));
        lower.count = 1;
        assertTrue(cr.detect(lower, prev));
        // hints decide first
        FloatHistogram grown = exp(1, 0.001, 2, map(0, 3, 1, 5, 5, 1), map(0, 2));
        grown.hint = CounterResetHint.COUNTER_RESET;
        assertTrue(cr.detect(grown, prev));
        FloatHistogram shrunk = exp(1, 0.001, 0, map(), map());
        shrunk.hint = CounterResetHint.NOT_COUNTER_RESET;
        assertFalse(cr.detect(shrunk, prev));
        // custom buckets: switching to them, or a shared range that decreased, is a reset
        assertTrue(cr.detect(nhcb(new double[] {1}, new double[] {100, 100}), prev));
        FloatHistogram c1 = nhcb(new double[] {1, 2, 5}, new double[] {1, 2, 3, 4});
        assertFalse(cr.detect(nhcb(new double[] {1, 5}, new double[] {1, 5, 4}), c1));
        assertTrue(cr.detect(nhcb(new double[] {1, 5}, new double[] {1, 4, 5}), c1));
        // integer histograms
        Histogram ip = new Histogram(), ic = new Histogram();
        setSide(ip, true, HistogramModelTest.lmap(0, 5, 1, 5));
        ip.count = 10;
        setSide(ic, true, HistogramModelTest.lmap(0, 6, 1, 4));
        ic.count = 10;
        assertTrue(cr.detect(ic, ip));
        assertFalse(cr.detect(ip, ip));
    }
}
