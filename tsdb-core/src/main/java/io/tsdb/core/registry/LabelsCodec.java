package io.tsdb.core.registry;

import io.tsdb.core.Labels;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Canonical binary form of a label set, shared by the series registry keys and the WAL series records:
 * {@code varint pairs, then per pair varint nameLen, name UTF-8, varint valueLen, value UTF-8}, pairs
 * sorted by name (the order of {@link Labels}). Equal label sets always encode to equal bytes.
 */
public final class LabelsCodec {
    private LabelsCodec() {}

    public static byte[] encode(Labels labels) {
        byte[][] parts = new byte[labels.size() * 2][];
        int len = varintSize(labels.size());
        for (int i = 0; i < labels.size(); i++) {
            parts[2 * i] = labels.name(i).getBytes(StandardCharsets.UTF_8);
            parts[2 * i + 1] = labels.value(i).getBytes(StandardCharsets.UTF_8);
            len += varintSize(parts[2 * i].length) + parts[2 * i].length + varintSize(parts[2 * i + 1].length) + parts[2 * i + 1].length;
        }
        byte[] out = new byte[len];
        int p = putVarint(out, 0, labels.size());
        for (byte[] b : parts) {
            p = putVarint(out, p, b.length);
            System.arraycopy(b, 0, out, p, b.length);
            p += b.length;
        }
        return out;
    }

    /** Decodes; throws IllegalArgumentException on malformed input. */
    public static Labels decode(byte[] in, int off, int len) {
        int[] pos = {off};
        int end = off + len;
        int n = getVarint(in, pos, end);
        if (n < 0 || n > 10_000) throw new IllegalArgumentException("bad label count " + n);
        String[] kv = new String[2 * n];
        for (int i = 0; i < 2 * n; i++) {
            int l = getVarint(in, pos, end);
            if (l < 0 || pos[0] + l > end) throw new IllegalArgumentException("label string overruns record");
            kv[i] = new String(in, pos[0], l, StandardCharsets.UTF_8);
            pos[0] += l;
        }
        if (pos[0] != end) throw new IllegalArgumentException("trailing bytes after labels");
        for (int i = 2; i < kv.length; i += 2)
            if (kv[i - 2].compareTo(kv[i]) >= 0) throw new IllegalArgumentException("labels not sorted: " + Arrays.toString(kv));
        return Labels.fromSortedUnsafe(kv);
    }

    public static Labels decode(byte[] in) { return decode(in, 0, in.length); }

    static int varintSize(int v) {
        int n = 1;
        while ((v & ~0x7F) != 0) { v >>>= 7; n++; }
        return n;
    }

    static int putVarint(byte[] b, int p, int v) {
        while ((v & ~0x7F) != 0) { b[p++] = (byte) ((v & 0x7F) | 0x80); v >>>= 7; }
        b[p++] = (byte) v;
        return p;
    }

    static int getVarint(byte[] b, int[] pos, int end) {
        int v = 0, shift = 0;
        while (true) {
            if (pos[0] >= end || shift > 28) throw new IllegalArgumentException("truncated varint");
            int x = b[pos[0]++];
            v |= (x & 0x7F) << shift;
            if ((x & 0x80) == 0) return v;
            shift += 7;
        }
    }
}
