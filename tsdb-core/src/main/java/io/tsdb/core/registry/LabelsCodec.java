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

    /** The encoding of {@code labels}, in one array of exactly {@link #encodedLength} bytes. */
    public static byte[] encode(Labels labels) {
        byte[] out = new byte[encodedLength(labels)];
        encode(labels, out, 0);
        return out;
    }

    /**
     * Length of the encoding of {@code labels}. Series creation encodes a label set several times (registry lookup
     * and insert, WAL record, checkpoints): sizing first and writing in place costs one array instead of one per
     * name and value.
     */
    public static int encodedLength(Labels labels) {
        int n = labels.size();
        int len = varintSize(n);
        for (int i = 0; i < n; i++) {
            int a = utf8Length(labels.name(i)), b = utf8Length(labels.value(i));
            len += varintSize(a) + a + varintSize(b) + b;
        }
        return len;
    }

    /** Writes the encoding of {@code labels} at {@code out[off]}; returns the offset after it. */
    public static int encode(Labels labels, byte[] out, int off) {
        int n = labels.size();
        int p = putVarint(out, off, n);
        for (int i = 0; i < n; i++) {
            p = putString(out, p, labels.name(i));
            p = putString(out, p, labels.value(i));
        }
        return p;
    }

    static int putString(byte[] out, int p, String s) {
        p = putVarint(out, p, utf8Length(s));
        return putUtf8(out, p, s);
    }

    /**
     * Bytes of {@code s} in UTF-8 as {@link String#getBytes} with UTF-8 writes them (an unpaired surrogate becomes
     * {@code '?'}), so keys written before and after stay equal.
     */
    static int utf8Length(String s) {
        int n = 0;
        for (int i = 0, len = s.length(); i < len; i++) {
            char c = s.charAt(i);
            if (c < 0x80) n++;
            else if (c < 0x800) n += 2;
            else if (Character.isHighSurrogate(c) && i + 1 < len && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else if (Character.isSurrogate(c)) n++;
            else n += 3;
        }
        return n;
    }

    static int putUtf8(byte[] b, int p, String s) {
        for (int i = 0, len = s.length(); i < len; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                b[p++] = (byte) c;
            } else if (c < 0x800) {
                b[p++] = (byte) (0xC0 | c >> 6);
                b[p++] = (byte) (0x80 | c & 0x3F);
            } else if (Character.isHighSurrogate(c) && i + 1 < len && Character.isLowSurrogate(s.charAt(i + 1))) {
                int cp = Character.toCodePoint(c, s.charAt(++i));
                b[p++] = (byte) (0xF0 | cp >> 18);
                b[p++] = (byte) (0x80 | cp >> 12 & 0x3F);
                b[p++] = (byte) (0x80 | cp >> 6 & 0x3F);
                b[p++] = (byte) (0x80 | cp & 0x3F);
            } else if (Character.isSurrogate(c)) {
                b[p++] = '?';
            } else {
                b[p++] = (byte) (0xE0 | c >> 12);
                b[p++] = (byte) (0x80 | c >> 6 & 0x3F);
                b[p++] = (byte) (0x80 | c & 0x3F);
            }
        }
        return p;
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
        return sortedLabels(kv);
    }

    /** The label set of decoded names and values {@code kv} (name, value, ...); throws IllegalArgumentException unless sorted by name. */
    static Labels sortedLabels(String[] kv) {
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
