package io.tsdb.core.block;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Bounds-checked sequential reader over a region [start, end) of a (memory-mapped) buffer. Every overrun
 * becomes a {@link CorruptBlockException} naming the file and section, never an IndexOutOfBounds.
 */
final class DecBuf {
    private final ByteBuffer buf;
    private final Path file;
    private final String section;
    private int pos;
    private int end;

    DecBuf(ByteBuffer buf, int start, int end, Path file, String section) {
        this.buf = buf;
        this.pos = start;
        this.end = end;
        this.file = file;
        this.section = section;
    }

    void reset(int start, int end) { this.pos = start; this.end = end; }

    int position() { return pos; }
    int remaining() { return end - pos; }

    CorruptBlockException corrupt(String what) { return new CorruptBlockException(file, section, what + " at offset " + pos); }

    private void need(int n) {
        if (n < 0 || pos + n > end) throw corrupt("truncated: need " + n + " bytes, " + (end - pos) + " left");
    }

    int u8() { need(1); return buf.get(pos++) & 0xFF; }

    int u32() { need(4); int v = buf.getInt(pos); pos += 4; return v; }

    long u64() { need(8); long v = buf.getLong(pos); pos += 8; return v; }

    long uvarint() {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= end) throw corrupt("truncated varint");
            int b = buf.get(pos++);
            v |= (long) (b & 0x7F) << shift;
            if (b >= 0) return v;
        }
        throw corrupt("varint longer than 10 bytes");
    }

    long varint() { long u = uvarint(); return (u >>> 1) ^ -(u & 1); }

    /** An unsigned varint that must fit in [0, max]. */
    int uvarintInt(long max, String what) {
        long v = uvarint();
        if (v < 0 || v > max) throw corrupt(what + " out of range: " + v + " (max " + max + ")");
        return (int) v;
    }

    String str() {
        int n = uvarintInt(Integer.MAX_VALUE, "string length");
        need(n);
        byte[] b = new byte[n];
        buf.get(pos, b, 0, n);
        pos += n;
        return new String(b, StandardCharsets.UTF_8);
    }

    void skip(int n) { need(n); pos += n; }
}
