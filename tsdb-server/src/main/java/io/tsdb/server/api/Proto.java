package io.tsdb.server.api;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Minimal hand-written protobuf wire-format writing (remote-read answers, native histogram messages, the federation
 * protobuf exposition). Reading is {@link io.tsdb.server.ingest.proto.ProtoReader}'s job, the server's one reader.
 */
final class Proto {
    private Proto() {}

    static final int VARINT = 0, FIXED64 = 1, LEN = 2, FIXED32 = 5;

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
