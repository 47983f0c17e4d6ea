package io.tsdb.bench.harness;

import io.airlift.compress.snappy.SnappyCompressor;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Encodes Prometheus remote-write 1.0 {@code WriteRequest} messages (protobuf, then snappy block
 * compression), written by hand: WriteRequest{1: repeated TimeSeries}, TimeSeries{1: repeated Label,
 * 2: repeated Sample}, Label{1: name, 2: value}, Sample{1: double value, 2: int64 timestamp}.
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
