package io.tsdb.core.chunk;

import java.nio.ByteOrder;
import java.util.Arrays;

import org.agrona.MutableDirectBuffer;

import io.tsdb.core.histogram.CounterResetHint;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.histogram.Histogram;

/**
 * Appends histogram samples to a chunk in {@link HistogramChunkFormat#ENC_HISTOGRAM} (integer histograms) or
 * {@link HistogramChunkFormat#ENC_FLOAT_HISTOGRAM} (float histograms), compressing as it goes (layout in
 * docs/format/histogram-chunks.md). After every append the bytes [offset, offset+sizeInBytes()) are a complete
 * chunk; up to 8 scratch bytes after them may be written.
 *
 * <p>All samples of a chunk share one layout (schema, zero threshold, custom bounds, spans). A sample with a bucket
 * the layout lacks widens the layout and the chunk is re-encoded in place (rare: a new bucket became populated);
 * buckets a sample lacks are stored as 0. {@link #append} answers {@link HistogramChunkFormat#APPENDED} or why the
 * caller must cut the chunk and append the sample to a new one: full, different schema / zero threshold / custom
 * bounds, a counter reset (the sample's hint, or any count lower than the previous sample's in a counter chunk),
 * or a switch between gauge and counter histograms. The chunk is unchanged when the answer is not APPENDED.
 *
 * <p>Contract as {@link XorChunkAppender}: non-decreasing timestamps (a decrease throws IllegalArgumentException),
 * single writer, no allocation per sample (only when the layout widens).
 */
public final class HistogramChunkAppender {
    private MutableDirectBuffer buf;
    private int off, limit;
    private byte encoding;
    private final HistogramChunkLayout layout = new HistogramChunkLayout();
    private final HistogramBits.Out out = new HistogramBits.Out();
    private int n;
    private int bitsStart;
    private CounterResetHint chunkHint = CounterResetHint.UNKNOWN;
    private CounterResetHint headerHintOverride;
    private HistogramChunkLayout seed;
    private boolean seeded;

    private long tPrev, tDelta;
    // integer state
    private long[] row = new long[16], prevAbs = new long[16], prevDelta = new long[16];
    private long prevExcess, prevZc, prevZcDelta, prevCount;
    // float state: 0 count, 1 zero count, 2 sum, 3.. buckets
    private double[] frow = new double[16];
    private long[] prevBits = new long[19];
    private byte[] lead = new byte[19], trail = new byte[19];
    private long sumBits;

    private HistogramChunkIterator recodeIt;
    private int[] remap = new int[16];
    private org.agrona.ExpandableArrayBuffer recodeBuf;

    /** Starts an empty chunk of the given encoding at buf[off]; an expandable buffer grows, a fixed one ends at its capacity. */
    public HistogramChunkAppender reset(MutableDirectBuffer buf, int off, byte encoding) {
        return reset(buf, off, buf.isExpandable() ? Integer.MAX_VALUE - off : buf.capacity() - off, encoding);
    }

    /** Starts an empty chunk at buf[off] that never extends beyond buf[off + len]. */
    public HistogramChunkAppender reset(MutableDirectBuffer buf, int off, int len, byte encoding) {
        if (!HistogramChunkFormat.isHistogramEncoding(encoding)) throw new IllegalArgumentException("not a histogram encoding: " + encoding);
        int end = off + len;
        if (len < HistogramChunkFormat.HEADER_SIZE + 8 || (!buf.isExpandable() && end > buf.capacity())) {
            throw new IllegalArgumentException("region [" + off + ", " + end + ") too small for a chunk header or beyond the buffer (capacity " + buf.capacity() + ")");
        }
        this.buf = buf;
        this.off = off;
        this.limit = end;
        this.encoding = encoding;
        n = 0;
        headerHintOverride = null;
        seeded = false;
        buf.putByte(off, encoding);
        buf.putShort(off + HistogramChunkFormat.OFF_COUNT, (short) 0, ByteOrder.LITTLE_ENDIAN);
        bitsStart = off + HistogramChunkFormat.OFF_BITS;
        return this;
    }

    public byte encoding() { return encoding; }

    /**
     * Starts the (still empty) chunk's layout from the buckets of {@code previous}'s layout (the chunk this one
     * follows in the same series), merged with its first sample's, when schema, zero threshold and custom bounds
     * agree. A counter histogram's buckets rarely disappear, so the new chunk then needs no re-encoding for buckets
     * the previous chunk already saw appear one by one (each costs a re-encode of the chunk so far). Do not seed
     * after a counter reset. Call after {@code reset}, before the first append.
     */
    public HistogramChunkAppender seedLayout(HistogramChunkAppender previous) {
        if (n != 0) throw new IllegalStateException("the chunk already holds " + n + " samples");
        if (previous != null && previous.n > 0) {
            if (seed == null) seed = new HistogramChunkLayout();
            seed.copyFrom(previous.layout);
            seeded = true;
        }
        return this;
    }

    /**
     * Sets the counter-reset hint the chunk header records for its first sample, overriding that sample's own hint
     * (call after {@code reset}, before the first append): after {@link HistogramChunkFormat#CUT_COUNTER_RESET} the
     * caller starts the new chunk with COUNTER_RESET even when the sample itself said UNKNOWN.
     */
    public HistogramChunkAppender firstSampleHint(CounterResetHint hint) {
        if (n != 0) throw new IllegalStateException("the chunk already holds " + n + " samples");
        headerHintOverride = hint;
        return this;
    }

    public int numSamples() { return n; }

    /** Bytes of the chunk so far, header included. */
    public int sizeInBytes() { return n == 0 ? HistogramChunkFormat.HEADER_SIZE : out.endByte() - off; }

    public long maxTime() { return tPrev; }

    public MutableDirectBuffer buffer() { return buf; }

    public int offset() { return off; }

    /** Appends an integer histogram (chunk encoding ENC_HISTOGRAM); see the class comment for the answers. */
    public int append(long t, Histogram h) {
        if (encoding != HistogramChunkFormat.ENC_HISTOGRAM) throw new IllegalStateException("integer histogram appended to a " + ChunkFormat.encodingName(encoding) + " chunk");
        if (n == 0) {
            firstLayout(h.schema, h.zeroThreshold, h.customValues, h.positiveSpans, h.negativeSpans, h.isStale());
            if (!start(h.hint)) return HistogramChunkFormat.CUT_FULL;
            ensure(layout.total());
            layout.map(h, row);
            writeInt(t, h.zeroCount, h.count, h.sum, row);
            return HistogramChunkFormat.APPENDED;
        }
        if (h.isStale()) return appendStale(t, h.sum);
        int pre = precheck(t, h.schema, h.zeroThreshold, h.customValues, h.hint);
        if (pre != HistogramChunkFormat.APPENDED) return pre;
        boolean inside = layout.map(h, row);
        int total = layout.total();
        if (chunkHint != CounterResetHint.GAUGE) {
            if (h.count < prevCount || h.zeroCount < prevZc) return HistogramChunkFormat.CUT_COUNTER_RESET;
            for (int p = 0; p < total; p++) if (row[p] < prevAbs[p]) return HistogramChunkFormat.CUT_COUNTER_RESET;
        }
        if (!inside) {
            if (!widen(h.positiveSpans, h.negativeSpans, t, h, null)) return HistogramChunkFormat.CUT_FULL;
            layout.map(h, row);
            total = layout.total();
        }
        if (!room(total) && !fits(intSampleBits(t, h.zeroCount, h.count, h.sum, row))) return HistogramChunkFormat.CUT_FULL;
        writeInt(t, h.zeroCount, h.count, h.sum, row);
        return HistogramChunkFormat.APPENDED;
    }

    /** Appends a float histogram (chunk encoding ENC_FLOAT_HISTOGRAM). */
    public int append(long t, FloatHistogram h) {
        if (encoding != HistogramChunkFormat.ENC_FLOAT_HISTOGRAM) throw new IllegalStateException("float histogram appended to a " + ChunkFormat.encodingName(encoding) + " chunk");
        if (n == 0) {
            firstLayout(h.schema, h.zeroThreshold, h.customValues, h.positiveSpans, h.negativeSpans, h.isStale());
            if (!start(h.hint)) return HistogramChunkFormat.CUT_FULL;
            ensure(layout.total());
            layout.map(h, frow);
            writeFloat(t, h.count, h.zeroCount, h.sum, frow);
            return HistogramChunkFormat.APPENDED;
        }
        if (h.isStale()) return appendStale(t, h.sum);
        int pre = precheck(t, h.schema, h.zeroThreshold, h.customValues, h.hint);
        if (pre != HistogramChunkFormat.APPENDED) return pre;
        boolean inside = layout.map(h, frow);
        int total = layout.total();
        if (chunkHint != CounterResetHint.GAUGE) {
            if (h.count < Double.longBitsToDouble(prevBits[0]) || h.zeroCount < Double.longBitsToDouble(prevBits[1])) return HistogramChunkFormat.CUT_COUNTER_RESET;
            for (int p = 0; p < total; p++) if (frow[p] < Double.longBitsToDouble(prevBits[3 + p])) return HistogramChunkFormat.CUT_COUNTER_RESET;
        }
        if (!inside) {
            if (!widen(h.positiveSpans, h.negativeSpans, t, null, h)) return HistogramChunkFormat.CUT_FULL;
            layout.map(h, frow);
            total = layout.total();
        }
        if (!room(total) && !fits(floatSampleBits(t, h.count, h.zeroCount, h.sum, frow))) return HistogramChunkFormat.CUT_FULL;
        writeFloat(t, h.count, h.zeroCount, h.sum, frow);
        return HistogramChunkFormat.APPENDED;
    }

    /**
     * A stale marker (sum with the StaleNaN bits) fits any chunk whatever its layout: it is stored with the chunk's
     * layout and zero counts (so the next sample is never taken for a counter reset of it).
     */
    private int appendStale(long t, double staleSum) {
        if (t < tPrev) throw new IllegalArgumentException("out-of-order timestamp " + t + " < previous " + tPrev + " in histogram chunk");
        int total = layout.total();
        if (n >= HistogramChunkFormat.MAX_SAMPLES || !room(total)) return HistogramChunkFormat.CUT_FULL;
        if (encoding == HistogramChunkFormat.ENC_HISTOGRAM) {
            Arrays.fill(row, 0, total, 0L);
            writeInt(t, 0, 0, staleSum, row);
        } else {
            Arrays.fill(frow, 0, total, 0.0);
            writeFloat(t, 0, 0, staleSum, frow);
        }
        return HistogramChunkFormat.APPENDED;
    }

    private void firstLayout(int schema, double zt, double[] custom, io.tsdb.core.histogram.Spans p, io.tsdb.core.histogram.Spans ng, boolean stale) {
        if (seeded && !stale && seed.sameBase(schema, zt, custom)) {
            layout.copyFrom(seed);
            if (remap.length < layout.total()) remap = new int[Math.max(layout.total(), remap.length * 2)];
            layout.expand(p, ng, remap, null);
        } else {
            layout.set(schema, zt, custom, p, ng);
        }
        seeded = false;
    }

    private int precheck(long t, int schema, double zt, double[] custom, CounterResetHint hint) {
        if (t < tPrev) throw new IllegalArgumentException("out-of-order timestamp " + t + " < previous " + tPrev + " in histogram chunk");
        if (n >= HistogramChunkFormat.MAX_SAMPLES) return HistogramChunkFormat.CUT_FULL;
        if (!layout.sameBase(schema, zt, custom)) return HistogramChunkFormat.CUT_LAYOUT;
        if ((hint == CounterResetHint.GAUGE) != (chunkHint == CounterResetHint.GAUGE)) return HistogramChunkFormat.CUT_KIND;
        if (hint == CounterResetHint.COUNTER_RESET) return HistogramChunkFormat.CUT_COUNTER_RESET;
        return HistogramChunkFormat.APPENDED;
    }

    /** Writes header flags and layout for a first sample; false when the region cannot hold them plus one sample. */
    private boolean start(CounterResetHint hint) {
        int need = HistogramChunkFormat.HEADER_SIZE + layout.maxBytes() + 16 + maxSampleBytes(layout.total());
        if ((long) off + need > limit) return false;
        chunkHint = headerHintOverride != null ? headerHintOverride : hint;
        bitsStart = off + HistogramChunkFormat.OFF_BITS;
        out.reset(buf, bitsStart);
        layout.write(out);
        return true;
    }

    private static int maxSampleBytes(int total) {
        return (HistogramBits.MAX_TS_BITS + (total + 3) * HistogramBits.MAX_XOR_BITS) / 8 + 16;
    }

    private boolean room(int total) { return (long) out.wordPos() + 8 + maxSampleBytes(total) <= limit; }

    private boolean fits(long bits) { return (long) out.wordPos() + 8 + (bits + 7) / 8 + 8 <= limit; }

    /** Exact bits the next integer sample (n >= 1) takes, computed without writing (near the end of a fixed region). */
    private long intSampleBits(long t, long zc, long count, double sum, long[] r) {
        int total = layout.total();
        long excess = count - zc;
        for (int p = 0; p < total; p++) excess -= r[p];
        long bits = tsBits((t - tPrev) - tDelta) + HistogramBits.varbitSize(excess - prevExcess)
                + HistogramBits.varbitSize((zc - prevZc) - prevZcDelta) + xorBits(Double.doubleToRawLongBits(sum), sumBits, 2);
        for (int p = 0; p < total; p++) bits += HistogramBits.varbitSize((r[p] - prevAbs[p]) - prevDelta[p]);
        return bits;
    }

    private long floatSampleBits(long t, double count, double zc, double sum, double[] r) {
        int total = layout.total();
        long bits = tsBits((t - tPrev) - tDelta) + xorBits(Double.doubleToRawLongBits(count), prevBits[0], 0)
                + xorBits(Double.doubleToRawLongBits(zc), prevBits[1], 1) + xorBits(Double.doubleToRawLongBits(sum), prevBits[2], 2);
        for (int p = 0; p < total; p++) bits += xorBits(Double.doubleToRawLongBits(r[p]), prevBits[3 + p], 3 + p);
        return bits;
    }

    private static int tsBits(long dod) {
        if (dod == 0) return 1;
        if (dod >= -128 && dod <= 127) return 10;
        if (dod >= -8192 && dod <= 8191) return 17;
        if (dod >= -524288 && dod <= 524287) return 24;
        return 68;
    }

    private int xorBits(long bits, long prev, int f) {
        long x = bits ^ prev;
        if (x == 0) return 1;
        int l = Math.min(Long.numberOfLeadingZeros(x), 31), r = Long.numberOfTrailingZeros(x);
        if (lead[f] >= 0 && l >= lead[f] && r >= trail[f]) return 2 + 64 - lead[f] - trail[f];
        return 13 + 64 - l - r;
    }

    private void ensure(int total) {
        if (row.length < total) {
            int cap = Math.max(total, row.length * 2);
            row = Arrays.copyOf(row, cap);
            prevAbs = Arrays.copyOf(prevAbs, cap);
            prevDelta = Arrays.copyOf(prevDelta, cap);
            frow = Arrays.copyOf(frow, cap);
        }
        if (prevBits.length < total + 3) {
            int cap = Math.max(total + 3, prevBits.length * 2);
            prevBits = Arrays.copyOf(prevBits, cap);
            lead = Arrays.copyOf(lead, cap);
            trail = Arrays.copyOf(trail, cap);
        }
    }

    private void writeInt(long t, long zc, long count, double sum, long[] r) {
        int total = layout.total();
        long excess = count - zc;
        for (int p = 0; p < total; p++) excess -= r[p];
        long sb = Double.doubleToRawLongBits(sum);
        if (n == 0) {
            out.write(t, 64);
            out.varbit(excess);
            out.varbit(zc);
            out.write(sb, 64);
            for (int p = 0; p < total; p++) { out.varbit(r[p]); prevAbs[p] = r[p]; prevDelta[p] = 0; }
            tDelta = 0;
            prevZcDelta = 0;
            lead[2] = -1;
            trail[2] = 0;
        } else {
            long d = t - tPrev;
            out.tsDod(d - tDelta);
            tDelta = d;
            out.varbit(excess - prevExcess);
            long zd = zc - prevZc;
            out.varbit(zd - prevZcDelta);
            prevZcDelta = zd;
            out.xor(sb, sumBits, lead, trail, 2);
            for (int p = 0; p < total; p++) {
                long bd = r[p] - prevAbs[p];
                out.varbit(bd - prevDelta[p]);
                prevDelta[p] = bd;
                prevAbs[p] = r[p];
            }
        }
        tPrev = t;
        prevExcess = excess;
        prevZc = zc;
        prevCount = count;
        sumBits = sb;
        finish();
    }

    private void writeFloat(long t, double count, double zc, double sum, double[] r) {
        int total = layout.total();
        if (n == 0) {
            out.write(t, 64);
            tDelta = 0;
            putFirst(0, count);
            putFirst(1, zc);
            putFirst(2, sum);
            for (int p = 0; p < total; p++) putFirst(3 + p, r[p]);
        } else {
            long d = t - tPrev;
            out.tsDod(d - tDelta);
            tDelta = d;
            putNext(0, count);
            putNext(1, zc);
            putNext(2, sum);
            for (int p = 0; p < total; p++) putNext(3 + p, r[p]);
        }
        tPrev = t;
        finish();
    }

    private void putFirst(int f, double v) {
        long b = Double.doubleToRawLongBits(v);
        out.write(b, 64);
        prevBits[f] = b;
        lead[f] = -1;
        trail[f] = 0;
    }

    private void putNext(int f, double v) {
        long b = Double.doubleToRawLongBits(v);
        out.xor(b, prevBits[f], lead, trail, f);
        prevBits[f] = b;
    }

    private void finish() {
        n++;
        out.flush();
        buf.putShort(off + HistogramChunkFormat.OFF_COUNT, (short) (n | chunkHint.code << HistogramChunkFormat.HINT_SHIFT), ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Widens the layout to hold the given spans' buckets and re-encodes the chunk's samples with it (zeros in the
     * new buckets), in a scratch buffer first: when the re-encoded chunk plus the sample (ih or fh, at t) would not
     * fit the region, the chunk stays as it was and the answer is false.
     */
    private boolean widen(io.tsdb.core.histogram.Spans hp, io.tsdb.core.histogram.Spans hn, long t, Histogram ih, FloatHistogram fh) {
        if (recodeIt == null) { recodeIt = new HistogramChunkIterator(); recodeBuf = new org.agrona.ExpandableArrayBuffer(1024); }
        HistogramChunkIterator it = recodeIt;
        int len = sizeInBytes();
        it.reset(buf, off, len);
        int oldTotal = layout.total();
        if (remap.length < oldTotal) remap = new int[Math.max(oldTotal, remap.length * 2)];
        HistogramChunkLayout wider = new HistogramChunkLayout(); // rare path: a new bucket appeared
        wider.copyFrom(layout);
        int total = wider.expand(hp, hn, remap, null);
        int count = n;
        long[] ts = new long[count];
        long[][] ints = encoding == HistogramChunkFormat.ENC_HISTOGRAM ? new long[count][total + 3] : null;
        double[][] floats = ints == null ? new double[count][total + 3] : null;
        for (int s = 0; s < count; s++) {
            if (!it.next()) throw new IllegalStateException("chunk holds fewer samples than its count");
            ts[s] = it.timestamp();
            if (ints != null) {
                ints[s][0] = it.intCount();
                ints[s][1] = it.intZeroCount();
                ints[s][2] = it.sumBits();
                for (int p = 0; p < oldTotal; p++) ints[s][3 + remap[p]] = it.intBucket(p);
            } else {
                for (int f = 0; f < 3; f++) floats[s][f] = Double.longBitsToDouble(it.floatField(f));
                for (int p = 0; p < oldTotal; p++) floats[s][3 + remap[p]] = Double.longBitsToDouble(it.floatField(3 + p));
            }
        }
        MutableDirectBuffer target = buf;
        int targetOff = off, targetLimit = limit;
        CounterResetHint hint = chunkHint;
        reset(recodeBuf, 0, Integer.MAX_VALUE - 16, encoding);
        layout.copyFrom(wider);
        start(hint);
        ensure(total);
        for (int s = 0; s < count; s++) {
            if (ints != null) {
                System.arraycopy(ints[s], 3, row, 0, total);
                writeInt(ts[s], ints[s][1], ints[s][0], Double.longBitsToDouble(ints[s][2]), row);
            } else {
                System.arraycopy(floats[s], 3, frow, 0, total);
                writeFloat(ts[s], floats[s][0], floats[s][1], floats[s][2], frow);
            }
        }
        long sampleBits;
        if (ih != null) { layout.map(ih, row); sampleBits = intSampleBits(t, ih.zeroCount, ih.count, ih.sum, row); }
        else { layout.map(fh, frow); sampleBits = floatSampleBits(t, fh.count, fh.zeroCount, fh.sum, frow); }
        int size = sizeInBytes();
        int bitsStartRel = bitsStart;
        long bitsWritten = out.bitsFrom(bitsStart);
        if ((long) targetOff + size + (sampleBits + 7) / 8 + 24 > targetLimit) {
            // does not fit: back to the chunk as it was (its bytes are untouched)
            reopenInto(target, targetOff, len, targetLimit - targetOff);
            return false;
        }
        target.putBytes(targetOff, recodeBuf, 0, size);
        buf = target;
        off = targetOff;
        limit = targetLimit;
        bitsStart = targetOff + bitsStartRel;
        out.resume(target, bitsStart, bitsWritten);
        return true;
    }

    /**
     * Re-opens the chunk at [off, off+len) (e.g. a head chunk restored from disk) so that appends continue it: the
     * samples are decoded once and re-encoded (same bytes).
     */
    public HistogramChunkAppender reopen(MutableDirectBuffer buf, int off, int len) {
        return reopenInto(buf, off, len, buf.isExpandable() ? Integer.MAX_VALUE - off : buf.capacity() - off);
    }

    private HistogramChunkAppender reopenInto(MutableDirectBuffer buf, int off, int len, int regionLen) {
        HistogramChunkIterator it = new HistogramChunkIterator().reset(buf, off, len);
        byte enc = it.encoding();
        int count = it.size();
        if (count == 0) return reset(buf, off, regionLen, enc);
        long[] ts = new long[count];
        Histogram[] hs = enc == HistogramChunkFormat.ENC_HISTOGRAM ? new Histogram[count] : null;
        FloatHistogram[] fs = hs == null ? new FloatHistogram[count] : null;
        for (int s = 0; it.next(); s++) {
            ts[s] = it.timestamp();
            if (hs != null) hs[s] = it.histogram(new Histogram()); else fs[s] = it.floatHistogram(new FloatHistogram());
        }
        reset(buf, off, regionLen, enc);
        for (int s = 0; s < count; s++) {
            int r = hs != null ? append(ts[s], hs[s]) : append(ts[s], fs[s]);
            if (r != HistogramChunkFormat.APPENDED) throw new ChunkFormatException("histogram chunk cannot be continued: sample " + s + ": " + HistogramChunkFormat.cutReason(r));
        }
        return this;
    }
}
