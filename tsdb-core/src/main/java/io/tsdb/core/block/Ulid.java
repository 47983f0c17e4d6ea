package io.tsdb.core.block;

import java.security.SecureRandom;

/**
 * ULID-style identifiers (26 Crockford base32 characters: 48-bit millisecond time + 80 random bits) for
 * block directories. They sort lexicographically by creation time.
 */
public final class Ulid {
    private static final char[] ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    private Ulid() {}

    public static String next() { return of(System.currentTimeMillis(), RANDOM); }

    static String of(long timeMs, java.util.Random random) {
        char[] out = new char[26];
        long t = timeMs;
        for (int i = 9; i >= 0; i--) { out[i] = ALPHABET[(int) (t & 31)]; t >>>= 5; }
        long hi = random.nextLong() & ((1L << 40) - 1), lo = random.nextLong() & ((1L << 40) - 1);
        for (int i = 17; i >= 10; i--) { out[i] = ALPHABET[(int) (hi & 31)]; hi >>>= 5; }
        for (int i = 25; i >= 18; i--) { out[i] = ALPHABET[(int) (lo & 31)]; lo >>>= 5; }
        return new String(out);
    }

    /** Whether {@code s} looks like a ULID (used to recognise block directories). */
    public static boolean isValid(String s) {
        if (s == null || s.length() != 26) return false;
        for (int i = 0; i < 26; i++) {
            char c = s.charAt(i);
            boolean ok = false;
            for (char a : ALPHABET) if (a == c) { ok = true; break; }
            if (!ok) return false;
        }
        return true;
    }
}
