package io.tsdb.bench.harness;

import io.airlift.compress.snappy.SnappyCompressor;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Encodes Prometheus remote-write 1.0 {@code WriteRequest} messages (protobuf, then snappy block
 * compression), written by hand: WriteRequest{1: repeated TimeSeries}, TimeSeries{1: repeated Label,
 * 2: repeated Sample, 4: repeated Histogram}, Label{1: name, 2: value}, Sample{1: double value, 2: int64 timestamp}.
 * Histogram (prompb/types.proto; integer histograms only here): 1 count_int uint64, 3 sum double, 4 schema sint32,
 * 5 zero_threshold double, 6 zero_count_int uint64, 8 negative_spans, 9 negative_deltas packed sint64,
 * 11 positive_spans, 12 positive_deltas packed sint64, 14 reset_hint enum, 15 timestamp int64;
 * BucketSpan{1: offset sint32, 2: length uint32}.
 */
final class RemoteWriteEncoder {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(1 << 20);
    private final ByteArrayOutputStream ts = new ByteArrayOutputStream(4096);
    private final ByteArrayOutputStream tmp = new ByteArrayOutputStream(64);

    /** Appends one TimeSeries with samples [from, to) of the given arrays. */
    void addSeries(String[] kv, long startMs, long intervalMs, double[] values, int from, int to) {
        ts.reset();
        for (int i = 0; i < kv.length; i += 2) {
            tmp.reset();
            writeString(tmp, 1, kv[i]);
            writeString(tmp, 2, kv[i + 1]);
            writeBytes(ts, 1, tmp.toByteArray());
        }
        for (int i = from; i < to; i++) {
            tmp.reset();
            writeTag(tmp, 1, 1);
            writeFixed64(tmp, Double.doubleToRawLongBits(values[i]));
            writeTag(tmp, 2, 0);
            writeVarint(tmp, startMs + i * intervalMs);
            writeBytes(ts, 2, tmp.toByteArray());
        }
        writeBytes(out, 1, ts.toByteArray());
    }

    /**
     * The label fields of a TimeSeries (repeated Label, field 1) for {@link #addSeries(byte[], long, double)}:
     * encode a series' labels once, then add one sample at a time without re-encoding them.
     */
    static byte[] encodeLabels(String[] kv) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(128), l = new ByteArrayOutputStream(64);
        for (int i = 0; i < kv.length; i += 2) {
            l.reset();
            writeString(l, 1, kv[i]);
            writeString(l, 2, kv[i + 1]);
            writeBytes(o, 1, l.toByteArray());
        }
        return o.toByteArray();
    }

    private final byte[] sample = new byte[32];

    /** Appends one TimeSeries of pre-encoded labels ({@link #encodeLabels}) and one sample. */
    void addSeries(byte[] encodedLabels, long t, double v) {
        int n = 0;
        sample[n++] = 0x09;   // field 1, fixed64: value
        long bits = Double.doubleToRawLongBits(v);
        for (int i = 0; i < 8; i++) sample[n++] = (byte) (bits >>> (8 * i));
        sample[n++] = 0x10;   // field 2, varint: timestamp
        long x = t;
        while ((x & ~0x7FL) != 0) { sample[n++] = (byte) ((x & 0x7F) | 0x80); x >>>= 7; }
        sample[n++] = (byte) x;
        int sampleMsg = n;
        int body = encodedLabels.length + 1 + varintSize(sampleMsg) + sampleMsg;
        out.write(0x0A);      // field 1, length-delimited: TimeSeries
        writeVarint(out, body);
        out.writeBytes(encodedLabels);
        out.write(0x12);      // field 2, length-delimited: Sample
        writeVarint(out, sampleMsg);
        out.write(sample, 0, sampleMsg);
    }

    /** Appends one TimeSeries of pre-encoded labels ({@link #encodeLabels}) and one integer native histogram. */
    void addHistogramSeries(byte[] encodedLabels, long t, io.tsdb.core.histogram.Histogram h) {
        ByteArrayOutputStream m = new ByteArrayOutputStream(64 + 2 * (h.positiveCount + h.negativeCount));
        writeTag(m, 1, 0);
        writeVarint(m, h.count);
        writeTag(m, 3, 1);
        writeFixed64(m, Double.doubleToRawLongBits(h.sum));
        writeTag(m, 4, 0);
        writeVarint(m, zigzag(h.schema));
        writeTag(m, 5, 1);
        writeFixed64(m, Double.doubleToRawLongBits(h.zeroThreshold));
        writeTag(m, 6, 0);
        writeVarint(m, h.zeroCount);
        spans(m, 8, h.negativeSpans);
        deltas(m, 9, h.negativeBuckets, h.negativeCount);
        spans(m, 11, h.positiveSpans);
        deltas(m, 12, h.positiveBuckets, h.positiveCount);
        if (h.hint.code != 0) {
            writeTag(m, 14, 0);
            writeVarint(m, h.hint.code);
        }
        writeTag(m, 15, 0);
        writeVarint(m, t);
        byte[] hist = m.toByteArray();
        int body = encodedLabels.length + 1 + varintSize(hist.length) + hist.length;
        out.write(0x0A);      // field 1, length-delimited: TimeSeries
        writeVarint(out, body);
        out.writeBytes(encodedLabels);
        writeBytes(out, 4, hist);
    }

    private static long zigzag(long v) { return (v << 1) ^ (v >> 63); }

    private static void spans(ByteArrayOutputStream o, int field, io.tsdb.core.histogram.Spans spans) {
        ByteArrayOutputStream s = new ByteArrayOutputStream(16);
        for (int i = 0; i < spans.size(); i++) {
            s.reset();
            writeTag(s, 1, 0);
            writeVarint(s, zigzag(spans.offset(i)) & 0xffffffffL);
            writeTag(s, 2, 0);
            writeVarint(s, spans.length(i) & 0xffffffffL);
            writeBytes(o, field, s.toByteArray());
        }
    }

    private static void deltas(ByteArrayOutputStream o, int field, long[] d, int n) {
        if (n == 0) return;
        ByteArrayOutputStream p = new ByteArrayOutputStream(2 * n);
        for (int i = 0; i < n; i++) writeVarint(p, zigzag(d[i]));
        writeBytes(o, field, p.toByteArray());
    }

    private static int varintSize(long v) {
        int n = 1;
        while ((v & ~0x7FL) != 0) { v >>>= 7; n++; }
        return n;
    }

    /** The snappy-compressed request body; resets the encoder. */
    byte[] finish() {
        byte[] raw = out.toByteArray();
        out.reset();
        SnappyCompressor c = new SnappyCompressor();
        byte[] buf = new byte[c.maxCompressedLength(raw.length)];
        int n = c.compress(raw, 0, raw.length, buf, 0, buf.length);
        return Arrays.copyOf(buf, n);
    }

    private static void writeString(ByteArrayOutputStream o, int field, String s) {
        writeBytes(o, field, s.getBytes(StandardCharsets.UTF_8));
    }

    private static void writeBytes(ByteArrayOutputStream o, int field, byte[] b) {
        writeTag(o, field, 2);
        writeVarint(o, b.length);
        o.writeBytes(b);
    }

    private static void writeTag(ByteArrayOutputStream o, int field, int wire) { writeVarint(o, (long) field << 3 | wire); }

    private static void writeVarint(ByteArrayOutputStream o, long v) {
        while ((v & ~0x7FL) != 0) {
            o.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        o.write((int) v);
    }

    private static void writeFixed64(ByteArrayOutputStream o, long v) {
        for (int i = 0; i < 8; i++) o.write((int) (v >>> (8 * i)));
    }
}
