package io.tsdb.server.ingest.proto;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The server's one protobuf wire-format writer, {@link ProtoReader}'s counterpart: remote-read answers, native
 * histogram messages, the federation protobuf exposition, OTLP's google.rpc.Status, the launcher's training requests.
 * A growable byte array; a nested message is written into its own (reused) writer and copied in with
 * {@link #message}, so its length is known:
 * <pre>
 *   tmp.reset(); tmp.string(1, name); tmp.string(2, value);
 *   series.message(1, tmp);
 * </pre>
 * Fields are written as given (zero values too); {@link #toByteArray} or {@link #buffer}/{@link #length} give the bytes.
 * Not thread-safe.
 */
public final class ProtoWriter {
    private byte[] buf = new byte[256];
    private int len;

    public void reset() { len = 0; }

    /** The backing array: its first {@link #length} bytes are the message. */
    public byte[] buffer() { return buf; }

    public int length() { return len; }

    public byte[] toByteArray() { return Arrays.copyOf(buf, len); }

    private void ensure(int n) { if (len + n > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n)); }

    /** A varint without a tag. */
    public void varint(long v) {
        ensure(10);
        while ((v & ~0x7FL) != 0) {
            buf[len++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        buf[len++] = (byte) v;
    }

    public void tag(int field, int wireType) { varint(((long) field << 3) | wireType); }

    /** An int64/uint64/int32/enum/bool field (varint). */
    public void int64(int field, long v) { tag(field, ProtoReader.VARINT); varint(v); }

    /** A sint32/sint64 field (zigzag varint). */
    public void sint64(int field, long v) { int64(field, zigzag(v)); }

    public static long zigzag(long v) { return (v << 1) ^ (v >> 63); }

    /** A double field (fixed64). */
    public void fixed64(int field, double d) {
        tag(field, ProtoReader.FIXED64);
        rawDouble(d);
    }

    /** A fixed64 field of these bits (a fixed64/sfixed64 number, or a double's exact bit pattern). */
    public void fixed64Bits(int field, long bits) {
        tag(field, ProtoReader.FIXED64);
        ensure(8);
        for (int i = 0; i < 8; i++) buf[len++] = (byte) (bits >>> (8 * i));
    }

    /** A double without a tag (an element of a packed repeated double). */
    public void rawDouble(double d) {
        ensure(8);
        long v = Double.doubleToRawLongBits(d);
        for (int i = 0; i < 8; i++) buf[len++] = (byte) (v >>> (8 * i));
    }

    /** Bytes without a tag or length. */
    public void rawBytes(byte[] b, int n) {
        ensure(n);
        System.arraycopy(b, 0, buf, len, n);
        len += n;
    }

    public void string(int field, String s) { bytes(field, s.getBytes(StandardCharsets.UTF_8), 0, -1); }

    /** A length-delimited field of {@code n} bytes of {@code b} from {@code off} ({@code n < 0}: to the end). */
    public void bytes(int field, byte[] b, int off, int n) {
        if (n < 0) n = b.length - off;
        tag(field, ProtoReader.LEN);
        varint(n);
        ensure(n);
        System.arraycopy(b, off, buf, len, n);
        len += n;
    }

    /** A nested message: the bytes written to {@code w}. */
    public void message(int field, ProtoWriter w) { bytes(field, w.buf, 0, w.len); }

    /** A varint length prefix and the message (the delimited stream format of the protobuf exposition). */
    public void delimited(ProtoWriter msg) {
        varint(msg.len);
        rawBytes(msg.buf, msg.len);
    }

    /** A packed repeated double of the first {@code n} values; nothing when {@code n} is 0. */
    public void packedDoubles(int field, double[] d, int n) {
        if (n == 0) return;
        tag(field, ProtoReader.LEN);
        varint(8L * n);
        for (int i = 0; i < n; i++) rawDouble(d[i]);
    }

    /** A packed repeated sint64 of the first {@code n} values; nothing when {@code n} is 0. */
    public void packedSint64(int field, long[] d, int n) {
        if (n == 0) return;
        long size = 0;
        for (int i = 0; i < n; i++) size += varintSize(zigzag(d[i]));
        tag(field, ProtoReader.LEN);
        varint(size);
        for (int i = 0; i < n; i++) varint(zigzag(d[i]));
    }

    static int varintSize(long v) { return v == 0 ? 1 : (70 - Long.numberOfLeadingZeros(v)) / 7; }
}
