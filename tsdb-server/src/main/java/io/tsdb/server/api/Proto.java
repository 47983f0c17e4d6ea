package io.tsdb.server.api;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Minimal hand-written protobuf wire-format reading and writing for the remote-read messages. */
final class Proto {
    private Proto() {}

    static final int VARINT = 0, FIXED64 = 1, LEN = 2, FIXED32 = 5;

    /** Thrown for malformed input; the message says what and where. */
    static final class Malformed extends RuntimeException {
        Malformed(String m) { super(m); }
    }

    static final class Reader {
        final byte[] buf;
        int pos;
        final int end;

        Reader(byte[] buf, int off, int len) {
            this.buf = buf;
            this.pos = off;
            this.end = off + len;
        }

        boolean more() { return pos < end; }

        long varint() {
            long r = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (pos >= end) throw new Malformed("truncated varint at byte " + pos);
                byte b = buf[pos++];
                r |= (long) (b & 0x7f) << shift;
                if (b >= 0) return r;
            }
            throw new Malformed("varint longer than 10 bytes at byte " + pos);
        }

        double fixed64Double() {
            if (end - pos < 8) throw new Malformed("truncated fixed64 at byte " + pos);
            long v = 0;
            for (int i = 7; i >= 0; i--) v = (v << 8) | (buf[pos + i] & 0xffL);
            pos += 8;
            return Double.longBitsToDouble(v);
        }

        /** Length of a length-delimited field; pos then points at its first byte. */
        int length() {
            long n = varint();
            if (n < 0 || n > end - pos) throw new Malformed("length " + n + " at byte " + pos + " exceeds the remaining " + (end - pos) + " bytes");
            return (int) n;
        }

        Reader sub() {
            int n = length();
            Reader r = new Reader(buf, pos, n);
            pos += n;
            return r;
        }

        String string() {
            int n = length();
            String s = new String(buf, pos, n, StandardCharsets.UTF_8);
            pos += n;
            return s;
        }

        void skip(int wireType) {
            switch (wireType) {
                case VARINT -> varint();
                case FIXED64 -> { if (end - pos < 8) throw new Malformed("truncated fixed64"); pos += 8; }
                case LEN -> {
                    int n = length(); // (not "pos += length()": that would add to the pos read before the length)
                    pos += n;
                }
                case FIXED32 -> { if (end - pos < 4) throw new Malformed("truncated fixed32"); pos += 4; }
                default -> throw new Malformed("unsupported wire type " + wireType + " at byte " + pos);
            }
        }
    }

    static final class Writer {
        byte[] buf = new byte[256];
        int len;

        void reset() { len = 0; }

        private void ensure(int n) { if (len + n > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n)); }

        void varint(long v) {
            ensure(10);
            while ((v & ~0x7FL) != 0) {
                buf[len++] = (byte) ((v & 0x7F) | 0x80);
                v >>>= 7;
            }
            buf[len++] = (byte) v;
        }

        void tag(int field, int wireType) { varint(((long) field << 3) | wireType); }

        void fixed64(int field, double d) {
            tag(field, FIXED64);
            ensure(8);
            long v = Double.doubleToRawLongBits(d);
            for (int i = 0; i < 8; i++) buf[len++] = (byte) (v >>> (8 * i));
        }

        void int64(int field, long v) { tag(field, VARINT); varint(v); }

        /** Bytes without a tag or length. */
        void rawBytes(byte[] b, int n) {
            ensure(n);
            System.arraycopy(b, 0, buf, len, n);
            len += n;
        }

        /** A double without a tag (an element of a packed repeated double). */
        void rawDouble(double d) {
            ensure(8);
            long v = Double.doubleToRawLongBits(d);
            for (int i = 0; i < 8; i++) buf[len++] = (byte) (v >>> (8 * i));
        }

        void string(int field, String s) { bytes(field, s.getBytes(StandardCharsets.UTF_8), 0, -1); }

        void bytes(int field, byte[] b, int off, int n) {
            if (n < 0) n = b.length - off;
            tag(field, LEN);
            varint(n);
            ensure(n);
            System.arraycopy(b, off, buf, len, n);
            len += n;
        }

        void message(int field, Writer w) { bytes(field, w.buf, 0, w.len); }
    }
}
