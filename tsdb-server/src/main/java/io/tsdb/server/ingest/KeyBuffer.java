package io.tsdb.server.ingest;

import io.netty.buffer.ByteBuf;
import io.tsdb.server.ingest.proto.ProtoReader;

import java.util.Arrays;

/** A reusable growable byte key (raw series bytes as received) for {@link LabelCache} lookups without allocation. */
public final class KeyBuffer {
    /**
     * 1 KiB from the start (one buffer per parser, i.e. per worker thread): a remote-write series key (label bytes with
     * length prefixes) of the harness's TSBS data is over 256 bytes, and the growth branch, first taken after the
     * decoder was compiled, deoptimised it (twice in the harness's first seconds).
     */
    byte[] bytes = new byte[1024];
    int len;

    public KeyBuffer reset() { len = 0; markLen = -1; return this; }

    private void ensure(int more) {
        if (len + more > bytes.length) bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, len + more));
    }

    public KeyBuffer put(ByteBuf buf, int index, int length) {
        ensure(length);
        buf.getBytes(index, bytes, len, length);
        len += length;
        return this;
    }

    /** Appends bytes of the message a protobuf reader reads, at an absolute index within its limit. */
    public KeyBuffer put(ProtoReader r, int index, int length) {
        ensure(length);
        r.getBytes(index, bytes, len, length);
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

    private static final java.lang.invoke.VarHandle LONGS =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final long M = 0x9E3779B97F4A7C15L;
    private int markLen = -1;
    private long markState;

    /**
     * Remembers the current content as a prefix (padded with zeros to 8 bytes) whose hash state is kept, so
     * that {@link #rewind()} plus a few more bytes (e.g. one Influx field key after the line's series bytes)
     * hash without re-reading the prefix.
     */
    public KeyBuffer mark() {
        while ((len & 7) != 0) put(0);
        markState = blocks(0x243F6A8885A308D3L, 0, len);
        markLen = len;
        return this;
    }

    /** Truncates back to the {@link #mark()}ed prefix. */
    public KeyBuffer rewind() {
        len = markLen;
        return this;
    }

    private long blocks(long h, int from, int to) {
        byte[] b = bytes;
        for (int i = from; i < to; i += 8) {
            h = (h ^ (long) LONGS.get(b, i)) * M;
            h ^= h >>> 29;
        }
        return h;
    }

    int hash() {
        int from = 0;
        long h = 0x243F6A8885A308D3L;
        if (markLen >= 0 && len >= markLen) { from = markLen; h = markState; }
        int full = from + ((len - from) & ~7);
        h = blocks(h, from, full);
        long tail = 0;
        for (int i = len - 1; i >= full; i--) tail = (tail << 8) | (bytes[i] & 0xff);
        h = (h ^ tail ^ ((long) len << 56)) * M;
        h ^= h >>> 32;
        h *= 0xD6E8FEB86659FD93L;
        h ^= h >>> 32;
        return (int) h;
    }

    private int lookupHash;

    /** Computes and remembers the hash of the current bytes, for {@link LabelCache} lookups; returns it. */
    int prepareLookup() { return lookupHash = hash(); }

    /** The hash remembered by {@link #prepareLookup()} (a probe key of {@link LabelCache}'s map). */
    @Override public int hashCode() { return lookupHash; }

    /** Equal to a stored {@link LabelCache.Entry} with the same bytes (the cache's map probes with this buffer). */
    @Override public boolean equals(Object o) {
        return o instanceof LabelCache.Entry k && sameBytes(k.bytes, k.hash);
    }

    boolean sameBytes(byte[] other, int otherHash) {
        return otherHash == lookupHash && Arrays.equals(bytes, 0, len, other, 0, other.length);
    }
}
