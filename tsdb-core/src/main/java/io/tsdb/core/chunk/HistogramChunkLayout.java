package io.tsdb.core.chunk;

import java.util.Arrays;

import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.histogram.Histogram;
import io.tsdb.core.histogram.Schemas;
import io.tsdb.core.histogram.Spans;

/**
 * The bucket layout shared by every sample of a histogram chunk: schema, zero threshold, custom bounds and the
 * positive and negative spans (the union of the samples' buckets). Layout position p in [0, nPos) is a positive
 * bucket, [nPos, nPos + nNeg) a negative one; {@link #index} gives its bucket index. Byte layout in
 * docs/format/histogram-chunks.md ("layout"). Reused; grows, never shrinks.
 */
final class HistogramChunkLayout {
    /** Bucket count a layout may declare at most (a corrupt chunk cannot make a decoder allocate more). */
    static final int MAX_BUCKETS = 1 << 16;

    int schema;
    double zeroThreshold;
    double[] custom;
    final Spans pos = new Spans();
    final Spans neg = new Spans();
    int nPos, nNeg;
    int[] index = new int[16];

    int total() { return nPos + nNeg; }

    boolean sameBase(int schema, double zeroThreshold, double[] custom) {
        return this.schema == schema && Double.doubleToRawLongBits(this.zeroThreshold) == Double.doubleToRawLongBits(zeroThreshold)
                && Arrays.equals(this.custom, custom);
    }

    void set(int schema, double zeroThreshold, double[] custom, Spans p, Spans n) {
        this.schema = schema;
        this.zeroThreshold = zeroThreshold;
        this.custom = custom;
        pos.copyFrom(p);
        neg.copyFrom(n);
        computeIndexes();
    }

    void copyFrom(HistogramChunkLayout o) { set(o.schema, o.zeroThreshold, o.custom, o.pos, o.neg); }

    private void computeIndexes() {
        long np = pos.bucketCount(), nn = neg.bucketCount();
        if (np + nn > MAX_BUCKETS) throw new ChunkFormatException("histogram layout with " + (np + nn) + " buckets, max " + MAX_BUCKETS);
        nPos = (int) np;
        nNeg = (int) nn;
        if (index.length < nPos + nNeg) index = new int[Math.max(nPos + nNeg, index.length * 2)];
        fill(pos, 0);
        fill(neg, nPos);
    }

    private void fill(Spans s, int at) {
        long idx = 0;
        for (int i = 0; i < s.size(); i++) {
            idx = i == 0 ? s.offset(0) : idx + s.offset(i);
            for (int j = 0; j < s.length(i); j++) index[at++] = (int) idx++;
        }
    }

    /**
     * Absolute counts of h's buckets at the layout positions into row[0, total()) (0 where h lacks a bucket).
     * Returns false when h has buckets (even empty ones) outside the layout; those are left out of row.
     *
     * @throws IllegalArgumentException when h's spans and bucket count disagree
     */
    boolean map(Histogram h, long[] row) {
        boolean a = mapSide(h.positiveSpans, h.positiveBuckets, null, h.positiveCount, 0, nPos, row, null);
        return mapSide(h.negativeSpans, h.negativeBuckets, null, h.negativeCount, nPos, nNeg, row, null) && a;
    }

    boolean map(FloatHistogram h, double[] row) {
        boolean a = mapSide(h.positiveSpans, null, h.positiveBuckets, h.positiveCount, 0, nPos, null, row);
        return mapSide(h.negativeSpans, null, h.negativeBuckets, h.negativeCount, nPos, nNeg, null, row) && a;
    }

    private boolean mapSide(Spans s, long[] deltas, double[] abs, int n, int at, int len, long[] lrow, double[] drow) {
        int p = at, end = at + len, read = 0;
        long idx = 0, c = 0;
        boolean inside = true;
        for (int i = 0; i < s.size(); i++) {
            idx = i == 0 ? s.offset(0) : idx + s.offset(i);
            for (int j = 0; j < s.length(i); j++, idx++) {
                if (read >= n) throw new IllegalArgumentException("histogram spans need more than its " + n + " buckets");
                if (deltas != null) c += deltas[read];
                while (p < end && index[p] < idx) { if (lrow != null) lrow[p] = 0; else drow[p] = 0; p++; }
                if (p == end || index[p] != idx) {
                    inside = false;
                } else {
                    if (lrow != null) lrow[p] = c; else drow[p] = abs[read];
                    p++;
                }
                read++;
            }
        }
        if (read != n) throw new IllegalArgumentException("histogram spans need " + read + " buckets, it has " + n);
        for (; p < end; p++) { if (lrow != null) lrow[p] = 0; else drow[p] = 0; }
        return inside;
    }

    /**
     * Widens this layout to also hold every bucket of the given side spans; remap[p] receives the new position of
     * old position p. Returns the new total.
     */
    int expand(Spans hp, Spans hn, int[] remap, int[] scratch) {
        int oldPos = nPos, oldTotal = total();
        int[] old = Arrays.copyOf(index, oldTotal); // rare path (a new bucket appeared): allocation is fine
        Spans np = union(old, 0, oldPos, hp);
        Spans nn = union(old, oldPos, oldTotal, hn);
        pos.copyFrom(np);
        neg.copyFrom(nn);
        computeIndexes();
        int q = 0;
        for (int p = 0; p < oldPos; p++) { while (index[q] != old[p]) q++; remap[p] = q++; }
        q = nPos;
        for (int p = oldPos; p < oldTotal; p++) { while (index[q] != old[p]) q++; remap[p] = q++; }
        return total();
    }

    /** Spans of the sorted union of old[from, to) and the bucket indexes of add (a merge of two ascending runs). */
    private static Spans union(int[] old, int from, int to, Spans add) {
        Spans s = new Spans();
        int p = from, i = 0, j = 0;
        long idx = add.size() > 0 ? add.offset(0) : 0;
        boolean first = true;
        long last = 0;
        while (true) {
            while (i < add.size() && j >= add.length(i)) { i++; j = 0; if (i < add.size()) idx += add.offset(i); }
            boolean hasAdd = i < add.size(), hasOld = p < to;
            if (!hasAdd && !hasOld) break;
            long v;
            if (hasAdd && (!hasOld || idx <= old[p])) {
                v = idx;
                if (hasOld && old[p] == idx) p++;
                idx++;
                j++;
            } else {
                v = old[p++];
            }
            if (first) s.add((int) v, 1);
            else if (v == last + 1) s.extendLast(1);
            else s.add((int) (v - last - 1), 1);
            first = false;
            last = v;
        }
        return s;
    }

    // ---- bits ----

    /** Writes the layout into the bitstream. */
    void write(HistogramBits.Out o) {
        int code = zeroThresholdCode(zeroThreshold);
        o.write(code, 8);
        if (code == HistogramChunkFormat.ZT_RAW) o.write(Double.doubleToRawLongBits(zeroThreshold), 64);
        o.uvarbit(Bits.zigzag(schema));
        writeSpans(o, pos);
        writeSpans(o, neg);
        if (schema == Schemas.CUSTOM_BUCKETS) {
            int n = custom == null ? 0 : custom.length;
            o.uvarbit(n);
            for (int i = 0; i < n; i++) {
                double x = custom[i];
                long y = customMillis(x);
                if (y >= 0) o.uvarbit(y + 1);
                else { o.write(0, 1); o.write(Double.doubleToRawLongBits(x), 64); }
            }
        }
    }

    /** Upper bound of the bytes {@link #write} takes. */
    int maxBytes() {
        return 10 + 9 + 2 * 9 + 18 * (pos.size() + neg.size()) + (custom == null ? 0 : 9 + 9 * custom.length);
    }

    private static void writeSpans(HistogramBits.Out o, Spans s) {
        o.uvarbit(s.size());
        for (int i = 0; i < s.size(); i++) {
            o.uvarbit(s.length(i) & 0xffffffffL);
            o.uvarbit(Bits.zigzag(s.offset(i)));
        }
    }

    /** x * 1000 when that is an integer in [0, 2^40) giving back x exactly, else -1. */
    static long customMillis(double x) {
        double y = x * 1000;
        if (!(y >= 0 && y < 0x1p40) || y != Math.rint(y)) return -1;
        long l = (long) y;
        return (double) l / 1000 == x ? l : -1;
    }

    static int zeroThresholdCode(double zt) {
        if (zt == 0 && Double.doubleToRawLongBits(zt) == 0) return 0;
        if (zt > 0 && Math.getExponent(zt) >= Double.MIN_EXPONENT && zt == Math.scalb(1.0, Math.getExponent(zt))) {
            int code = Math.getExponent(zt) + HistogramChunkFormat.ZT_POWER_BIAS;
            if (code >= 1 && code <= 254) return code;
        }
        return HistogramChunkFormat.ZT_RAW;
    }

    /** Reads a layout from the bitstream (limitBits: the bits the chunk holds after its header). */
    void read(HistogramBits.In in, long limitBits) {
        int code = (int) in.read(8);
        if (code == 0) zeroThreshold = 0;
        else if (code == HistogramChunkFormat.ZT_RAW) zeroThreshold = Double.longBitsToDouble(in.read(64));
        else zeroThreshold = Math.scalb(1.0, code - HistogramChunkFormat.ZT_POWER_BIAS);
        long s = Bits.unzigzag(in.uvarbit());
        if (s != (int) s || !Schemas.isValid((int) s)) throw new ChunkFormatException("histogram chunk: invalid schema " + s);
        schema = (int) s;
        readSpans(in, pos, "positive", limitBits);
        readSpans(in, neg, "negative", limitBits);
        if (schema == Schemas.CUSTOM_BUCKETS) {
            long n = in.uvarbit();
            if (n < 0 || n > MAX_BUCKETS || n > limitBits) throw new ChunkFormatException("histogram chunk: " + n + " custom bounds, max " + MAX_BUCKETS);
            double[] fresh = new double[(int) n];
            for (int i = 0; i < n; i++) {
                long w = in.peek();
                if (w >= 0) { in.pos++; fresh[i] = Double.longBitsToDouble(in.read(64)); }
                else fresh[i] = (double) (in.uvarbit() - 1) / 1000;
                if (in.pos > limitBits) throw new ChunkFormatException("histogram chunk: truncated in its custom bounds");
            }
            custom = custom != null && Arrays.equals(custom, fresh) ? custom : fresh; // keep the shared array when unchanged
        } else {
            custom = null;
        }
        if (in.pos > limitBits) throw new ChunkFormatException("histogram chunk: truncated in its layout");
        computeIndexes();
    }

    private static void readSpans(HistogramBits.In in, Spans s, String side, long limitBits) {
        long n = in.uvarbit();
        if (n < 0 || n > MAX_BUCKETS || n > limitBits) throw new ChunkFormatException("histogram chunk: " + n + " " + side + " spans, max " + MAX_BUCKETS);
        s.clear();
        for (int i = 0; i < n; i++) {
            long len = in.uvarbit();
            long off = Bits.unzigzag(in.uvarbit());
            if (in.pos > limitBits) throw new ChunkFormatException("histogram chunk: truncated in its " + side + " spans");
            if (off != (int) off || len < 0 || len > MAX_BUCKETS) {
                throw new ChunkFormatException("histogram chunk: " + side + " span " + (i + 1) + " has offset " + off + " and length " + len);
            }
            if (i > 0 && off < 0) throw new ChunkFormatException("histogram chunk: " + side + " span " + (i + 1) + " has negative offset " + off);
            s.add((int) off, (int) len);
        }
    }
}
