package io.tsdb.core.block;

import io.tsdb.core.Labels;
import io.tsdb.core.SampleCursor;
import io.tsdb.core.chunk.HistogramChunkAppender;
import io.tsdb.core.chunk.HistogramChunkFormat;
import io.tsdb.core.histogram.CounterResetHint;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.histogram.Histogram;
import org.agrona.ExpandableArrayBuffer;

import java.io.IOException;
import java.util.Arrays;

/**
 * Cuts the samples of one series, read from a {@link SampleCursor} in time order, into the chunks of a block: runs
 * of float samples into chunks of the block's codec (balanced below the writer's samples-per-chunk limit, as
 * before histograms existed), native histograms into histogram chunks stored as they are with their encoding byte
 * ({@code 0x03} integer, {@code 0x04} float; docs/format/histogram-chunks.md). A switch between floats and
 * histograms, or between integer and float histograms, ends the chunk. A histogram chunk is also cut where the
 * chunk appender asks (new schema, zero threshold or custom bounds, a counter reset, gauge versus counter) and at
 * {@link #HISTOGRAM_CHUNK_SAMPLES} samples or {@link #HISTOGRAM_CHUNK_BYTES}; a chunk cut for a counter reset
 * records the COUNTER_RESET hint for its first sample, and each chunk otherwise starts from the previous chunk's
 * bucket layout (fewer re-encodings when buckets appear). On equal timestamps the later sample wins, of either kind.
 *
 * <p>One instance per block write, reused across series; nothing is allocated per sample.
 */
final class SeriesChunker {
    /** Most samples of one histogram chunk in a block (a chunk is decoded whole by a reader, into one holder per sample). */
    static final int HISTOGRAM_CHUNK_SAMPLES = 1024;
    /** A histogram chunk is cut once it reaches this many bytes. */
    static final int HISTOGRAM_CHUNK_BYTES = 32 << 10;

    private final ChunksWriter chunks;
    private final BlockChunkCodec codec;
    private final int maxSamplesPerChunk;
    private final ByteOut enc = new ByteOut(1 << 14);
    private long[] ts = new long[1024];
    private double[] vs = new double[1024];
    private int n;

    private final HistogramChunkAppender[] apps = {new HistogramChunkAppender(), new HistogramChunkAppender()};
    private int cur;
    private final ExpandableArrayBuffer hbuf = new ExpandableArrayBuffer(4096);
    private boolean histOpen;
    private long histMin;
    /** The histogram sample not yet appended (a later one at the same timestamp replaces it): 0 none, else its kind. */
    private int pendKind;
    private long pendT;
    private final Histogram pendH = new Histogram();
    private final FloatHistogram pendF = new FloatHistogram();
    /** The previous chunk can seed the next one's layout (no counter reset and same encoding in between). */
    private boolean canSeed;

    private ChunkMetas metas;
    private long lastT;
    private boolean any;

    SeriesChunker(ChunksWriter chunks, BlockChunkCodec codec, int maxSamplesPerChunk) {
        this.chunks = chunks;
        this.codec = codec;
        this.maxSamplesPerChunk = maxSamplesPerChunk;
    }

    /**
     * Writes the samples of {@code c} with timestamps in [mint, maxt] as chunks, adding them to {@code out}
     * (cleared first). Returns the number of samples written.
     *
     * @throws IllegalArgumentException when timestamps decrease
     */
    long write(Labels labels, SampleCursor c, long mint, long maxt, ChunkMetas out) throws IOException {
        metas = out;
        metas.clear();
        n = 0;
        pendKind = 0;
        histOpen = false;
        canSeed = false;
        any = false;
        long written = 0;
        if (c.seek(mint)) {
            do {
                long t = c.timestamp();
                if (t > maxt) break;
                int type = c.sampleType();
                if (any && t <= lastT) {
                    if (t < lastT) throw new IllegalArgumentException("timestamps decrease in series " + labels + ": " + t + " after " + lastT);
                    // the same timestamp again: the later sample replaces the pending one
                    if (pendKind != 0) pendKind = 0;
                    else n--;
                    written--;
                }
                any = true;
                lastT = t;
                written++;
                if (type == SampleCursor.FLOAT) {
                    double v = c.value();
                    flushPendingHistogram();
                    closeHistogramChunk();
                    if (n == ts.length) { ts = Arrays.copyOf(ts, n * 2); vs = Arrays.copyOf(vs, n * 2); }
                    ts[n] = t;
                    vs[n] = v;
                    n++;
                } else {
                    flushPendingHistogram();
                    flushFloats();
                    pendT = t;
                    if (type == SampleCursor.HISTOGRAM) {
                        c.histogram(pendH);
                        pendKind = SampleCursor.HISTOGRAM;
                    } else {
                        c.floatHistogram(pendF);
                        pendKind = SampleCursor.FLOAT_HISTOGRAM;
                    }
                }
            } while (c.next());
        }
        flushPendingHistogram();
        closeHistogramChunk();
        flushFloats();
        return written;
    }

    private void flushFloats() throws IOException {
        if (n == 0) return;
        int parts = (n + maxSamplesPerChunk - 1) / maxSamplesPerChunk;
        int per = (n + parts - 1) / parts;
        for (int off = 0; off < n; off += per) {
            int k = Math.min(per, n - off);
            enc.reset();
            codec.encode(ts, vs, off, k, enc);
            long ref = chunks.write(codec.id(), enc.array(), enc.length());
            metas.add(ts[off], ts[off + k - 1], k, ref);
        }
        n = 0;
    }

    private void flushPendingHistogram() throws IOException {
        if (pendKind == 0) return;
        int kind = pendKind;
        pendKind = 0;
        byte encoding = kind == SampleCursor.HISTOGRAM ? HistogramChunkFormat.ENC_HISTOGRAM : HistogramChunkFormat.ENC_FLOAT_HISTOGRAM;
        if (histOpen && apps[cur].encoding() != encoding) {
            closeHistogramChunk();
            canSeed = false;
        }
        if (!histOpen) openHistogramChunk(encoding, null);
        int r = append(kind);
        if (r != HistogramChunkFormat.APPENDED) {
            closeHistogramChunk();
            boolean reset = r == HistogramChunkFormat.CUT_COUNTER_RESET;
            if (reset) canSeed = false;
            openHistogramChunk(encoding, reset ? CounterResetHint.COUNTER_RESET : null);
            r = append(kind);
            if (r != HistogramChunkFormat.APPENDED) throw new IllegalStateException("empty histogram chunk refused a sample: " + HistogramChunkFormat.cutReason(r));
        }
        HistogramChunkAppender a = apps[cur];
        if (a.numSamples() == 1) histMin = pendT;
        if (a.numSamples() >= Math.min(maxSamplesPerChunk, HISTOGRAM_CHUNK_SAMPLES) || a.sizeInBytes() >= HISTOGRAM_CHUNK_BYTES) {
            closeHistogramChunk();
            canSeed = true;
        }
    }

    private int append(int kind) {
        HistogramChunkAppender a = apps[cur];
        return kind == SampleCursor.HISTOGRAM ? a.append(pendT, pendH) : a.append(pendT, pendF);
    }

    private void openHistogramChunk(byte encoding, CounterResetHint firstHint) {
        HistogramChunkAppender prev = apps[cur];
        cur ^= 1;
        HistogramChunkAppender a = apps[cur].reset(hbuf, 0, encoding);
        if (firstHint != null) a.firstSampleHint(firstHint);
        else if (canSeed && prev.encoding() == encoding) a.seedLayout(prev);
        histOpen = true;
    }

    private void closeHistogramChunk() throws IOException {
        if (!histOpen) return;
        histOpen = false;
        HistogramChunkAppender a = apps[cur];
        int k = a.numSamples();
        if (k == 0) return;
        long ref = chunks.write(a.encoding(), hbuf.byteArray(), a.sizeInBytes());
        metas.add(histMin, a.maxTime(), k, ref);
        canSeed = true;
    }
}
