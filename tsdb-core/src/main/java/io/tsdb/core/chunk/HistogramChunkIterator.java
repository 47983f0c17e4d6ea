package io.tsdb.core.chunk;

import java.util.Arrays;

import org.agrona.DirectBuffer;

import io.tsdb.core.histogram.CounterResetHint;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.histogram.Histogram;

/**
 * Reads the samples of a histogram chunk ({@link HistogramChunkFormat#ENC_HISTOGRAM} or
 * {@link HistogramChunkFormat#ENC_FLOAT_HISTOGRAM}) one at a time into caller-owned holders. {@link #reset} copies
 * the chunk into a padded scratch array and parses its layout; {@link #next} decodes one sample; {@link #histogram}
 * / {@link #floatHistogram} fill a holder with it (every layout bucket, zero counts included). Nothing is allocated
 * per sample. Corrupt input raises {@link ChunkFormatException}. Not thread-safe; reuse one per cursor.
 *
 * <p>Counter-reset hints: the first sample of a counter chunk reads as UNKNOWN (the header's hint is {@link #chunkHint()}); later ones NOT_COUNTER_RESET
 * (a reset always starts a new chunk), or GAUGE in a gauge chunk.
 */
public final class HistogramChunkIterator {
    private byte[] scratch = new byte[256];
    private final HistogramBits.In in = new HistogramBits.In();
    final HistogramChunkLayout layout = new HistogramChunkLayout();

    private byte encoding;
    private CounterResetHint hint;
    private int n, i;
    private long limitBits;

    private long t, tDelta;
    // integer chunks
    private long[] abs = new long[16], delta = new long[16];
    private long excess, excessPrev, zc, zcDelta;
    // float chunks: 0 count, 1 zero count, 2 sum, 3.. buckets (raw bits)
    private long[] bits = new long[16];
    private byte[] lead = new byte[16], trail = new byte[16];
    private long sumBits;

    /** Positions before the first sample of the histogram chunk at buf[off, off+len). */
    public HistogramChunkIterator reset(DirectBuffer buf, int off, int len) {
        if (len < HistogramChunkFormat.HEADER_SIZE) throw new ChunkFormatException("histogram chunk shorter than its header: " + len + " bytes");
        if (scratch.length < len + Bits.PAD) scratch = new byte[Math.max(len + Bits.PAD, scratch.length * 2)];
        buf.getBytes(off, scratch, 0, len);
        Arrays.fill(scratch, len, len + Bits.PAD, (byte) 0);
        return parse(len);
    }

    private HistogramChunkIterator parse(int len) {
        byte[] b = scratch;
        encoding = b[0];
        if (!HistogramChunkFormat.isHistogramEncoding(encoding)) {
            throw new ChunkFormatException("not a histogram chunk: encoding " + ChunkFormat.encodingName(encoding));
        }
        int v = (b[HistogramChunkFormat.OFF_COUNT] & 0xff) | (b[HistogramChunkFormat.OFF_COUNT + 1] & 0xff) << 8;
        hint = CounterResetHint.ofCode(v >>> HistogramChunkFormat.HINT_SHIFT);
        n = v & HistogramChunkFormat.COUNT_MASK;
        i = 0;
        if (n == 0) return this;
        limitBits = (long) (len - HistogramChunkFormat.OFF_BITS) * 8;
        in.reset(b, HistogramChunkFormat.OFF_BITS);
        try {
            layout.read(in, limitBits);
        } catch (IndexOutOfBoundsException e) {
            throw new ChunkFormatException("histogram chunk: truncated in its layout");
        }
        int total = layout.total();
        // every field of the first sample takes at least one bit
        if (in.pos + total + 4 > limitBits) throw new ChunkFormatException("histogram chunk: layout of " + total + " buckets does not fit the " + len + " bytes");
        ensure(total);
        return this;
    }

    private void ensure(int total) {
        if (abs.length < total) { abs = new long[total]; delta = new long[total]; }
        if (bits.length < total + 3) { bits = new long[total + 3]; lead = new byte[total + 3]; trail = new byte[total + 3]; }
    }

    public byte encoding() { return encoding; }

    /** Number of samples in the chunk. */
    public int size() { return n; }

    /** Hint of the chunk's first sample. */
    public CounterResetHint chunkHint() { return hint; }

    /** Decodes the next sample; false at the end. */
    public boolean next() {
        if (i >= n) return false;
        int total = layout.total();
        try {
            if (encoding == HistogramChunkFormat.ENC_HISTOGRAM) nextInt(total); else nextFloat(total);
        } catch (IndexOutOfBoundsException e) {
            throw new ChunkFormatException("histogram chunk with " + n + " samples is truncated (sample " + i + ")");
        }
        if (in.pos > limitBits) throw new ChunkFormatException("histogram chunk with " + n + " samples is truncated: sample " + i + " needs bit " + in.pos + " of " + limitBits);
        i++;
        return true;
    }

    private void nextInt(int total) {
        if (i == 0) {
            t = in.read(64);
            tDelta = 0;
            excess = in.varbit();
            excessPrev = excess;
            zc = in.varbit();
            zcDelta = 0;
            sumBits = in.read(64);
            lead[2] = -1;
            for (int p = 0; p < total; p++) { abs[p] = in.varbit(); delta[p] = 0; }
            return;
        }
        tDelta += in.tsDod();
        t += tDelta;
        excess = excessPrev + in.varbit();
        excessPrev = excess;
        zcDelta += in.varbit();
        zc += zcDelta;
        sumBits = in.xor(sumBits, lead, trail, 2);
        for (int p = 0; p < total; p++) { delta[p] += in.varbit(); abs[p] += delta[p]; }
    }

    private void nextFloat(int total) {
        if (i == 0) {
            t = in.read(64);
            tDelta = 0;
            for (int f = 0; f < total + 3; f++) { bits[f] = in.read(64); lead[f] = -1; }
            return;
        }
        tDelta += in.tsDod();
        t += tDelta;
        for (int f = 0; f < total + 3; f++) bits[f] = in.xor(bits[f], lead, trail, f);
    }

    public long timestamp() { return t; }

    /**
     * The hint a reader sees: GAUGE in a gauge chunk; in a counter chunk UNKNOWN for the first sample, whatever the
     * header says (a chunk read may not follow the chunk it was cut after: a backfill, out-of-order samples or a merge
     * of blocks; the reader detects a reset by comparing, as upstream since prometheus#15343), NOT_COUNTER_RESET after.
     * The header's own hint stays available to the storage as {@link #chunkHint()}.
     */
    private CounterResetHint sampleHint() {
        if (hint == CounterResetHint.GAUGE) return CounterResetHint.GAUGE;
        return i == 1 ? CounterResetHint.UNKNOWN : CounterResetHint.NOT_COUNTER_RESET;
    }

    /** The current sample of an integer chunk into out. */
    public Histogram histogram(Histogram out) {
        if (encoding != HistogramChunkFormat.ENC_HISTOGRAM) throw new IllegalStateException("float histogram chunk: use floatHistogram()");
        HistogramChunkLayout l = layout;
        out.hint = sampleHint();
        out.schema = l.schema;
        out.zeroThreshold = l.zeroThreshold;
        out.customValues = l.custom;
        out.zeroCount = zc;
        out.sum = Double.longBitsToDouble(sumBits);
        out.positiveSpans.copyFrom(l.pos);
        out.negativeSpans.copyFrom(l.neg);
        out.ensureCapacity(l.nPos, l.nNeg);
        long total = zc + excess, prev = 0;
        for (int p = 0; p < l.nPos; p++) { out.positiveBuckets[p] = abs[p] - prev; prev = abs[p]; total += abs[p]; }
        prev = 0;
        for (int p = 0; p < l.nNeg; p++) { long a = abs[l.nPos + p]; out.negativeBuckets[p] = a - prev; prev = a; total += a; }
        out.positiveCount = l.nPos;
        out.negativeCount = l.nNeg;
        out.count = total;
        return out;
    }

    /** The current sample into out (integer chunks are converted). */
    public FloatHistogram floatHistogram(FloatHistogram out) {
        HistogramChunkLayout l = layout;
        out.hint = sampleHint();
        out.schema = l.schema;
        out.zeroThreshold = l.zeroThreshold;
        out.customValues = l.custom;
        out.positiveSpans.copyFrom(l.pos);
        out.negativeSpans.copyFrom(l.neg);
        out.ensureCapacity(l.nPos, l.nNeg);
        out.positiveCount = l.nPos;
        out.negativeCount = l.nNeg;
        if (encoding == HistogramChunkFormat.ENC_HISTOGRAM) {
            long total = zc + excess;
            for (int p = 0; p < l.nPos; p++) { out.positiveBuckets[p] = abs[p]; total += abs[p]; }
            for (int p = 0; p < l.nNeg; p++) { out.negativeBuckets[p] = abs[l.nPos + p]; total += abs[l.nPos + p]; }
            out.count = total;
            out.zeroCount = zc;
            out.sum = Double.longBitsToDouble(sumBits);
        } else {
            out.count = Double.longBitsToDouble(bits[0]);
            out.zeroCount = Double.longBitsToDouble(bits[1]);
            out.sum = Double.longBitsToDouble(bits[2]);
            for (int p = 0; p < l.nPos; p++) out.positiveBuckets[p] = Double.longBitsToDouble(bits[3 + p]);
            for (int p = 0; p < l.nNeg; p++) out.negativeBuckets[p] = Double.longBitsToDouble(bits[3 + l.nPos + p]);
        }
        return out;
    }

    // ---- state for HistogramChunkAppender (re-encoding a chunk) ----

    long intBucket(int p) { return abs[p]; }

    long intCount() {
        long total = zc + excess;
        for (int p = 0; p < layout.total(); p++) total += abs[p];
        return total;
    }

    long intZeroCount() { return zc; }

    long floatField(int f) { return bits[f]; }

    long sumBits() { return encoding == HistogramChunkFormat.ENC_HISTOGRAM ? sumBits : bits[2]; }
}
