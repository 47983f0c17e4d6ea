package io.tsdb.query.engine.eval;

import io.tsdb.core.Labels;

import java.nio.charset.StandardCharsets;

/**
 * XXH64 (seed 0) of a label set in Prometheus' {@code labels.Hash()} byte layout
 * ({@code name 0xff value 0xff ...}), so limit_ratio selects the same series as Prometheus; {@link #hash} is
 * also what the rule engine spreads group evaluation offsets with (one XXH64 in the project).
 */
public final class XxHash64 {
    private XxHash64() {}

    private static final long P1 = 0x9E3779B185EBCA87L, P2 = 0xC2B2AE3D27D4EB4FL, P3 = 0x165667B19E3779F9L,
            P4 = 0x85EBCA77C2B2AE63L, P5 = 0x27D4EB2F165667C5L;

    static long labelsHash(Labels l) {
        int len = 0;
        byte[][] parts = new byte[l.size() * 2][];
        for (int i = 0; i < l.size(); i++) {
            parts[2 * i] = l.name(i).getBytes(StandardCharsets.UTF_8);
            parts[2 * i + 1] = l.value(i).getBytes(StandardCharsets.UTF_8);
            len += parts[2 * i].length + parts[2 * i + 1].length + 2;
        }
        byte[] b = new byte[len];
        int p = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, b, p, part.length);
            p += part.length;
            b[p++] = (byte) 0xff;
        }
        return hash(b);
    }

    private static long le64(byte[] b, int i) {
        return (b[i] & 0xffL) | (b[i + 1] & 0xffL) << 8 | (b[i + 2] & 0xffL) << 16 | (b[i + 3] & 0xffL) << 24
                | (b[i + 4] & 0xffL) << 32 | (b[i + 5] & 0xffL) << 40 | (b[i + 6] & 0xffL) << 48 | (b[i + 7] & 0xffL) << 56;
    }

    private static long le32(byte[] b, int i) {
        return (b[i] & 0xffL) | (b[i + 1] & 0xffL) << 8 | (b[i + 2] & 0xffL) << 16 | (b[i + 3] & 0xffL) << 24;
    }

    private static long round(long acc, long input) {
        acc += input * P2;
        acc = Long.rotateLeft(acc, 31);
        return acc * P1;
    }

    private static long merge(long acc, long val) {
        acc ^= round(0, val);
        return acc * P1 + P4;
    }

    public static long hash(byte[] b) {
        int n = b.length, i = 0;
        long h;
        if (n >= 32) {
            long v1 = P1 + P2, v2 = P2, v3 = 0, v4 = -P1;
            for (; i + 32 <= n; i += 32) {
                v1 = round(v1, le64(b, i));
                v2 = round(v2, le64(b, i + 8));
                v3 = round(v3, le64(b, i + 16));
                v4 = round(v4, le64(b, i + 24));
            }
            h = Long.rotateLeft(v1, 1) + Long.rotateLeft(v2, 7) + Long.rotateLeft(v3, 12) + Long.rotateLeft(v4, 18);
            h = merge(h, v1);
            h = merge(h, v2);
            h = merge(h, v3);
            h = merge(h, v4);
        } else {
            h = P5;
        }
        h += n;
        for (; i + 8 <= n; i += 8) {
            h ^= round(0, le64(b, i));
            h = Long.rotateLeft(h, 27) * P1 + P4;
        }
        if (i + 4 <= n) {
            h ^= le32(b, i) * P1;
            h = Long.rotateLeft(h, 23) * P2 + P3;
            i += 4;
        }
        for (; i < n; i++) {
            h ^= (b[i] & 0xffL) * P5;
            h = Long.rotateLeft(h, 11) * P1;
        }
        h ^= h >>> 33;
        h *= P2;
        h ^= h >>> 29;
        h *= P3;
        h ^= h >>> 32;
        return h;
    }

    /** The hash as a fraction of the largest uint64 (Prometheus' sample offset for limit_ratio). */
    static double offset(Labels l) {
        long h = labelsHash(l);
        double u = (double) (h >>> 1) * 2.0 + (h & 1);
        return u / 18446744073709551615.0;
    }
}
