package io.tsdb.core.chunk;

import org.agrona.DirectBuffer;

import io.tsdb.core.SampleCursor;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.histogram.Histogram;

/**
 * A reusable {@link SampleCursor} over one histogram chunk: samples are decoded one at a time
 * ({@link HistogramChunkIterator}); {@link #histogram} / {@link #floatHistogram} copy the current one into the
 * caller's holder. {@link #value()} throws: callers check {@link #sampleType()}. Seek walks forward (histogram
 * chunks are small). Nothing is allocated per sample. Not thread-safe.
 */
public final class HistogramChunkCursor implements SampleCursor {
    private final HistogramChunkIterator it = new HistogramChunkIterator();
    private boolean positioned, done;

    /** Positions the cursor before the first sample of the histogram chunk at buf[off, off+len). */
    public HistogramChunkCursor reset(DirectBuffer buf, int off, int len) {
        it.reset(buf, off, len);
        positioned = false;
        done = false;
        return this;
    }

    @Override
    public boolean next() {
        if (done) return false;
        if (it.next()) { positioned = true; return true; }
        done = true;
        positioned = false;
        return false;
    }

    @Override
    public boolean seek(long t) {
        if (done) return false;
        if (positioned && it.timestamp() >= t) return true;
        while (next()) if (it.timestamp() >= t) return true;
        return false;
    }

    @Override
    public long timestamp() { return it.timestamp(); }

    @Override
    public double value() {
        throw new IllegalStateException("the current sample is a native histogram: check sampleType() and read it with histogram()/floatHistogram()");
    }

    @Override
    public int sampleType() { return it.encoding() == HistogramChunkFormat.ENC_HISTOGRAM ? HISTOGRAM : FLOAT_HISTOGRAM; }

    @Override
    public Histogram histogram(Histogram into) { return it.histogram(into); }

    @Override
    public FloatHistogram floatHistogram(FloatHistogram into) { return it.floatHistogram(into); }

    /** Number of samples in the chunk. */
    public int size() { return it.size(); }
}
