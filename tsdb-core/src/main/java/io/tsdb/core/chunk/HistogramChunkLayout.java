package io.tsdb.core.chunk;

import java.nio.ByteOrder;
import java.util.Arrays;

import org.agrona.MutableDirectBuffer;

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

    private static Spans union(int[] old, int from, int to, Spans add) {
        java.util.TreeSet<Integer> all = new java.util.TreeSet<>();
        for (int p = from; p < to; p++) all.add(old[p]);
        long idx = 0;
        for (int i = 0; i < add.size(); i++) {
            idx = i == 0 ? add.offset(0) : idx + add.offset(i);
            for (int j = 0; j < add.length(i); j++) all.add((int) idx++);
        }
        Spans s = new Spans();
        Integer last = null;
        for (int v : all) {
            if (last == null) s.add(v, 1);
            else if (v == last + 1) s.extendLast(1);
            else s.add(v - last - 1, 1);
            last = v;
        }
        return s;
    }

    // ---- bytes ----

    /** Writes the layout at buf[p]; returns the position after it. */
    int write(MutableDirectBuffer buf, int p) {
        p = putVar(buf, p, Bits.zigzag(schema));
        int code = zeroThresholdCode(zeroThreshold);
        buf.putByte(p++, (byte) code);
        if (code == HistogramChunkFormat.ZT_RAW) { buf.putLong(p, Double.doubleToRawLongBits(zeroThreshold), ByteOrder.LITTLE_ENDIAN); p += 8; }
        p = writeSpans(buf, p, pos);
        p = writeSpans(buf, p, neg);
        if (schema == Schemas.CUSTOM_BUCKETS) {
            int n = custom == null ? 0 : custom.length;
            p = putVar(buf, p, n);
            for (int i = 0; i < n; i++) {
                double x = custom[i];
                long y = customMillis(x);
                if (y >= 0) p = putVar(buf, p, y + 1);
                else { buf.putByte(p++, (byte) 0); buf.putLong(p, Double.doubleToRawLongBits(x), ByteOrder.LITTLE_ENDIAN); p += 8; }
            }
        }
        return p;
    }

    /** Upper bound of the bytes {@link #write} takes. */
    int maxBytes() {
        return 10 + 9 + 2 * 5 + 15 * (pos.size() + neg.size()) + (custom == null ? 0 : 5 + 9 * custom.length);
    }

    private static int writeSpans(MutableDirectBuffer buf, int p, Spans s) {
        p = putVar(buf, p, s.size());
        for (int i = 0; i < s.size(); i++) {
            p = putVar(buf, p, Bits.zigzag(s.offset(i)));
            p = putVar(buf, p, s.length(i) & 0xffffffffL);
        }
        return p;
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

    private static int putVar(MutableDirectBuffer buf, int p, long v) {
        while ((v & ~0x7fL) != 0) {
            buf.putByte(p++, (byte) ((v & 0x7f) | 0x80));
            v >>>= 7;
        }
        buf.putByte(p++, (byte) v);
        return p;
    }

    /** Reads a layout from src (positioned after the header); leaves src after it. */
    void read(Bits.Source src) {
        long z = src.varLong("histogram schema");
        long s = Bits.unzigzag(z);
        if (s != (int) s || !Schemas.isValid((int) s)) throw new ChunkFormatException("histogram chunk: invalid schema " + s);
        schema = (int) s;
        int code = src.u8("zero threshold");
        if (code == 0) zeroThreshold = 0;
        else if (code == HistogramChunkFormat.ZT_RAW) zeroThreshold = Double.longBitsToDouble(src.longLE("zero threshold"));
        else zeroThreshold = Math.scalb(1.0, code - HistogramChunkFormat.ZT_POWER_BIAS);
        readSpans(src, pos, "positive");
        readSpans(src, neg, "negative");
        if (schema == Schemas.CUSTOM_BUCKETS) {
            long n = src.varLong("custom bound count");
            if (n < 0 || n > MAX_BUCKETS) throw new ChunkFormatException("histogram chunk: " + n + " custom bounds, max " + MAX_BUCKETS);
            double[] c = custom != null && custom.length == n ? custom : null;
            double[] fresh = new double[(int) n];
            for (int i = 0; i < n; i++) {
                long v = src.varLong("custom bound");
                fresh[i] = v == 0 ? Double.longBitsToDouble(src.longLE("custom bound")) : (double) (v - 1) / 1000;
            }
            custom = c != null && Arrays.equals(c, fresh) ? c : fresh; // keep the shared array when unchanged
        } else {
            custom = null;
        }
        computeIndexes();
    }

    private static void readSpans(Bits.Source src, Spans s, String side) {
        long n = src.varLong(side + " span count");
        if (n < 0 || n > MAX_BUCKETS) throw new ChunkFormatException("histogram chunk: " + n + " " + side + " spans, max " + MAX_BUCKETS);
        s.clear();
        for (int i = 0; i < n; i++) {
            long off = Bits.unzigzag(src.varLong(side + " span offset"));
            long len = src.varLong(side + " span length");
            if (off != (int) off || len < 0 || len > MAX_BUCKETS) {
                throw new ChunkFormatException("histogram chunk: " + side + " span " + (i + 1) + " has offset " + off + " and length " + len);
            }
            if (i > 0 && off < 0) throw new ChunkFormatException("histogram chunk: " + side + " span " + (i + 1) + " has negative offset " + off);
            s.add((int) off, (int) len);
        }
    }
}
