package io.tsdb.server.ingest;

import io.netty.buffer.ByteBuf;

import java.util.Arrays;

/** A reusable growable byte key (raw series bytes as received) for {@link LabelCache} lookups without allocation. */
public final class KeyBuffer {
    byte[] bytes = new byte[256];
    int len;

    public KeyBuffer reset() { len = 0; return this; }

    private void ensure(int more) {
        if (len + more > bytes.length) bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, len + more));
    }

    public KeyBuffer put(ByteBuf buf, int index, int length) {
        ensure(length);
        buf.getBytes(index, bytes, len, length);
        len += length;
        return this;
    }

    public KeyBuffer put(int b) {
        ensure(1);
        bytes[len++] = (byte) b;
        return this;
    }

    /** Appends a string, length-prefixed (so concatenations are unambiguous); used for request context such as a db name. */
    public KeyBuffer put(String s) {
        ensure(s.length() * 2 + 4);
        int n = s.length();
        bytes[len++] = (byte) n; bytes[len++] = (byte) (n >>> 8); bytes[len++] = (byte) (n >>> 16); bytes[len++] = (byte) (n >>> 24);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            bytes[len++] = (byte) (c >>> 8);
            bytes[len++] = (byte) c;
        }
        return this;
    }

    public KeyBuffer putLong(long v) {
        ensure(8);
        for (int i = 0; i < 8; i++) bytes[len++] = (byte) (v >>> (i * 8));
        return this;
    }

    public int length() { return len; }

    int hash() {
        int h = 0x9747b28c;
        byte[] b = bytes;
        int n = len;
        int i = 0;
        for (; i + 4 <= n; i += 4) {
            int k = (b[i] & 0xff) | (b[i + 1] & 0xff) << 8 | (b[i + 2] & 0xff) << 16 | (b[i + 3] & 0xff) << 24;
            k *= 0xcc9e2d51;
            k = Integer.rotateLeft(k, 15);
            k *= 0x1b873593;
            h ^= k;
            h = Integer.rotateLeft(h, 13);
            h = h * 5 + 0xe6546b64;
        }
        for (; i < n; i++) {
            h ^= (b[i] & 0xff) * 0x1b873593;
            h = Integer.rotateLeft(h, 11) * 0x9e3779b1;
        }
        h ^= n;
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return h;
    }
}
