package io.tsdb.core.block;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A growable little helper for building binary sections: fixed-width big-endian ints and varints. */
final class ByteOut {
    private byte[] buf;
    private int len;

    ByteOut(int capacity) { buf = new byte[Math.max(16, capacity)]; }

    int length() { return len; }
    byte[] array() { return buf; }
    void reset() { len = 0; }

    private void ensure(int extra) {
        if (len + extra > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + extra));
    }

    void u8(int b) { ensure(1); buf[len++] = (byte) b; }

    void u32(int v) {
        ensure(4);
        buf[len++] = (byte) (v >>> 24); buf[len++] = (byte) (v >>> 16);
        buf[len++] = (byte) (v >>> 8); buf[len++] = (byte) v;
    }

    void u64(long v) { u32((int) (v >>> 32)); u32((int) v); }

    void uvarint(long v) {
        ensure(10);
        while ((v & ~0x7FL) != 0) { buf[len++] = (byte) ((v & 0x7F) | 0x80); v >>>= 7; }
        buf[len++] = (byte) v;
    }

    /** Zig-zag signed varint. */
    void varint(long v) { uvarint((v << 1) ^ (v >> 63)); }

    void bytes(byte[] b, int off, int n) { ensure(n); System.arraycopy(b, off, buf, len, n); len += n; }

    void str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        uvarint(b.length);
        bytes(b, 0, b.length);
    }

    /** Overwrites 4 bytes at a position already written. */
    void putU32At(int pos, int v) {
        buf[pos] = (byte) (v >>> 24); buf[pos + 1] = (byte) (v >>> 16);
        buf[pos + 2] = (byte) (v >>> 8); buf[pos + 3] = (byte) v;
    }

    static int uvarintSize(long v) {
        int n = 1;
        while ((v & ~0x7FL) != 0) { n++; v >>>= 7; }
        return n;
    }
}
