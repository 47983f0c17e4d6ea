package io.tsdb.core.chunk;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.management.ManagementFactory;

import org.agrona.ExpandableArrayBuffer;
import org.junit.jupiter.api.Test;

import io.tsdb.core.histogram.BucketIterator;
import io.tsdb.core.histogram.CounterResets;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.histogram.Histogram;

/**
 * The hot paths allocate nothing per sample once warmed up: chunk append and decode into reused holders, float
 * histogram addition, counter reset detection and bucket iteration. Measured with the JVM's per-thread allocation
 * counter over many samples; the bound allows a few hundred bytes of noise, far below one small array per sample.
 */
class HistogramAllocationTest {
    private static final com.sun.management.ThreadMXBean MX = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private static long allocated() { return MX.getThreadAllocatedBytes(Thread.currentThread().getId()); }

    private static Histogram fixedLayout(long step) {
        Histogram h = new Histogram();
        h.schema = 3;
        h.zeroThreshold = Math.scalb(1.0, -128);
        h.positiveSpans.add(-5, 12).add(3, 8);
        h.negativeSpans.add(0, 4);
        fill(h, step);
        return h;
    }

    private static void fill(Histogram h, long step) {
        h.positiveCount = h.negativeCount = 0;
        long total = 0, prev = 0;
        for (int i = 0; i < 20; i++) { long c = step * (i % 7 + 1) + i; h.addPositiveDelta(c - prev); prev = c; total += c; }
        prev = 0;
        for (int i = 0; i < 4; i++) { long c = step * 2 + i; h.addNegativeDelta(c - prev); prev = c; total += c; }
        h.zeroCount = step;
        h.count = total + step;
        h.sum = step * 1.5;
    }

    @Test
    void chunkAppendAndDecodeAllocateNothingPerSample() {
        assertTrue(MX.isThreadAllocatedMemorySupported());
        ExpandableArrayBuffer buf = new ExpandableArrayBuffer(1 << 20);
        HistogramChunkAppender app = new HistogramChunkAppender();
        HistogramChunkIterator it = new HistogramChunkIterator();
        Histogram h = fixedLayout(1), out = new Histogram();
        FloatHistogram f = new FloatHistogram();
        long sink = 0;
        for (int round = 0; round < 3; round++) {
            long before = allocated();
            for (int c = 0; c < 50; c++) {
                app.reset(buf, 0, HistogramChunkFormat.ENC_HISTOGRAM);
                for (int i = 0; i < 120; i++) {
                    fill(h, c * 1000L + i * 3L);
                    assertEquals(HistogramChunkFormat.APPENDED, app.append(15_000L * i, h));
                }
                it.reset(buf, 0, app.sizeInBytes());
                while (it.next()) sink += it.histogram(out).count + (long) it.floatHistogram(f).count;
            }
            long bytes = allocated() - before;
            if (round == 2) assertTrue(bytes < 2048, "allocated " + bytes + " bytes for 6,000 samples appended and decoded");
        }
        assertTrue(sink > 0);
    }

    @Test
    void arithmeticResetDetectionAndIterationAllocateNothingPerCall() {
        FloatHistogram a = fixedLayout(5).toFloat(new FloatHistogram()), b = fixedLayout(3).toFloat(new FloatHistogram());
        FloatHistogram acc = new FloatHistogram();
        CounterResets cr = new CounterResets();
        BucketIterator it = new BucketIterator();
        double sink = 0;
        for (int round = 0; round < 3; round++) {
            long before = allocated();
            for (int i = 0; i < 5000; i++) {
                acc.copyFrom(a);
                acc.add(b);
                acc.sub(b);
                if (cr.detect(b, a)) sink++;
                it.reset(acc, true, 1, 0);
                while (it.next()) sink += it.count;
            }
            long bytes = allocated() - before;
            if (round == 2) assertTrue(bytes < 2048, "allocated " + bytes + " bytes for 5,000 add+sub+detect+iterate");
        }
        assertTrue(sink > 0);
    }
}
