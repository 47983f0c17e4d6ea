package io.tsdb.server.ingest;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;

/** Strict UTF-8 decoding (invalid sequences are rejected, not replaced). */
public final class Utf8 {
    private Utf8() {}

    /** Whether bytes [index, index+len) are well-formed UTF-8 (no overlongs, surrogates, or > U+10FFFF). */
    public static boolean valid(ByteBuf b, int index, int len) {
        int i = index, end = index + len;
        while (i < end) {
            int c = b.getByte(i) & 0xff;
            if (c < 0x80) { i++; continue; }
            int n;
            int min;
            if (c >= 0xC2 && c <= 0xDF) { n = 1; min = 0x80; }
            else if (c >= 0xE0 && c <= 0xEF) { n = 2; min = 0x800; }
            else if (c >= 0xF0 && c <= 0xF4) { n = 3; min = 0x10000; }
            else return false;
            if (i + n >= end) return false;
            int cp = c & (0x3F >> n);
            for (int k = 1; k <= n; k++) {
                int cc = b.getByte(i + k) & 0xff;
                if ((cc & 0xC0) != 0x80) return false;
                cp = (cp << 6) | (cc & 0x3F);
            }
            if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
            i += n + 1;
        }
        return true;
    }

    /** Whether bytes [off, off+len) of an array are well-formed UTF-8. */
    public static boolean valid(byte[] b, int off, int len) {
        return valid(io.netty.buffer.Unpooled.wrappedBuffer(b, off, len), off - off, len);
    }

    /** Decodes strictly; null when not valid UTF-8. */
    public static String decode(ByteBuf b, int index, int len) {
        if (!valid(b, index, len)) return null;
        return b.toString(index, len, StandardCharsets.UTF_8);
    }
}
