package io.tsdb.core.chunk;

import java.util.Arrays;

/**
 * Integer sequence codec used by the timestamp column and by decimal mantissas (docs/format/chunks.md,
 * "int-seq"). A sequence of n longs is differenced {@code order} times (0, 1 or 2; wrapping arithmetic,
 * so any 64-bit input round-trips); the residuals are mapped to unsigned either by subtracting their
 * minimum (frame of reference) or by zig-zag, then stored either bit-packed with a common width w
 * (residuals wider than w patched from an exception list) or Rice-coded with parameter k (small,
 * skewed residuals: unary quotient, k-bit remainder, escape for outliers). The encoder tries the
 * caller's candidate (order, mapping) pairs and keeps the smallest result. Instances hold scratch
 * arrays and are not thread-safe; nothing is allocated per sample.
 */
final class IntSeqCodec {
    static final int MODE_ZIGZAG = 4;
    static final int MODE_RICE = 8;
    /** Rice quotients >= this are stored as exceptions (quotient 0, remainder 0, full value in the list). */
    static final int RICE_ESCAPE = 24;
    static final int RICE_MAX_K = 7;
    /** Residuals examined per candidate when ranking candidates (larger sequences are sampled). */
    static final int SAMPLE = 128;

    /** Candidates for timestamps: order 1 frame of reference (jitter), order 2 zig-zag (drift). */
    static final int[] TS_CANDIDATES = {1, 2 | MODE_ZIGZAG};
    /** Candidates for integer values: bounded gauges, random walks, counters, smooth counters. */
    static final int[] VALUE_CANDIDATES = {0, 1 | MODE_ZIGZAG, 1, 2 | MODE_ZIGZAG};

    private long[] d1 = new long[0];
    private long[] d2 = new long[0];
    private long[] best = new long[0];
    private final int[] hist = new int[65];
    private final int[] hist2 = new int[65];
    private final int[] present = new int[65];
    private int bwWidth;
    private int estK;
    private int np; // entries of present[] filled by the last bestWidth call
    private final long[] riceCost = new long[RICE_MAX_K + 1];

    /** Encodes v[0, n) (n >= 1) into out, trying the given candidates (order | MODE_ZIGZAG bits). */
    void encode(long[] v, int n, Bits.Sink out, int[] candidates) {
        if (n < 1) throw new IllegalArgumentException("n must be >= 1");
        if (best.length < n) {
            int cap = Math.max(n, 64);
            d1 = new long[cap]; d2 = new long[cap]; best = new long[cap];
        }
        int maxOrder = 0;
        for (int c : candidates) maxOrder = Math.max(maxOrder, c & 3);
        maxOrder = Math.min(maxOrder, n - 1);
        long[] a1 = d1, a2 = d2;
        if (maxOrder >= 1) {
            long prev = v[0];
            for (int i = 1; i < n; i++) { long x = v[i]; a1[i] = x - prev; prev = x; }
        }
        if (maxOrder >= 1 && constantFrom(a1, 1, n)) {
            // every delta equal (regular scrape interval, linear counter): order 1, no residual bits
            out.putByte(1);
            out.putVarLong(Bits.zigzag(v[0]));
            out.putVarLong(Bits.zigzag(n > 1 ? a1[1] : 0));
            out.putByte(0);
            out.putVarLong(0);
            return;
        }
        long bestCost = Long.MAX_VALUE;
        int bestMode = 0, bestK = 0;
        boolean riceLikely = false;
        int bestWs = 0;
        long bestBase = 0;
        for (int ci = 0; ci <= candidates.length; ci++) {
            int mode;
            if (ci < candidates.length) {
                mode = candidates[ci];
                if ((mode & 3) > n - 1) continue;
            } else {
                if (bestCost != Long.MAX_VALUE) break;
                mode = 0; // fallback for sequences too short for every candidate
            }
            int order = mode & 3;
            boolean zz = (mode & MODE_ZIGZAG) != 0;
            int m = n - order;
            // rank candidates on a sample of at most ~SAMPLE residuals; the winner is then sized exactly
            int stride = Math.max(1, m / SAMPLE);
            long base = zz ? 0 : sampleMin(v, a1, order, n, stride);
            int ms = sampleHistogram(v, a1, order, n, zz, base, stride);
            long packedEst = bestWidth(ms), riceEst = riceEstimate();
            long c = (Math.min(packedEst, riceEst) * m) / ms + 8L * Bits.varLongSize(Bits.zigzag(base));
            if (order >= 1) c += 8L * Bits.varLongSize(Bits.zigzag(v[0]));
            if (order == 2) c += 8L * Bits.varLongSize(Bits.zigzag(a1[1]));
            if (c < bestCost) { bestCost = c; bestMode = mode; bestBase = base; bestK = estK; bestWs = bwWidth; riceLikely = riceEst < packedEst + packedEst / 8; }
        }
        {
            int order = bestMode & 3;
            if (order == 2) {
                long prev = a1[1];
                for (int i = 2; i < n; i++) { long x = a1[i]; a2[i] = x - prev; prev = x; }
            }
            long[] d = order == 0 ? v : order == 1 ? a1 : a2;
            if ((bestMode & MODE_ZIGZAG) == 0) {
                long min = d[order];
                for (int i = order + 1; i < n; i++) min = Math.min(min, d[i]);
                // a minimum far below the sample's (e.g. a counter reset) would widen every residual:
                // keep the sampled base then, and the few values below it become exceptions
                long gap = bestBase - min;
                if (gap >= 0 && Bits.bitLength(gap) <= bestWs) bestBase = min;
            }
            residuals(d, order, n, (bestMode & MODE_ZIGZAG) != 0, bestBase, best);
        }
        long packedBits = bestWidth(n - (bestMode & 3));
        int bestW = bwWidth;
        int maxBits = 64;
        while (maxBits > 0 && hist[maxBits] == 0) maxBits--;
        int order = bestMode & 3;
        int m = n - order;
        long[] r = best;
        // Rice coding pays off for small, skewed residuals
        int riceK = -1;
        long riceBits = 0;
        if (bestW > 0 && riceLikely) {
            int kMin = Math.max(0, bestK - 1), kMax = Math.min(RICE_MAX_K, bestK + 1);
            riceCosts(r, m, kMin, kMax, maxBits);
            for (int k = kMin; k <= kMax; k++) {
                long bits = riceCost[k];
                long total = bits + 8;
                if (total < packedBits + 8 && (riceK < 0 || bits < riceBits)) { riceK = k; riceBits = bits; }
            }
        }
        out.putByte(bestMode | (riceK >= 0 ? MODE_RICE : 0));
        if (order >= 1) out.putVarLong(Bits.zigzag(v[0]));
        if (order == 2) out.putVarLong(Bits.zigzag(v[1] - v[0]));
        out.putVarLong(Bits.zigzag(bestBase));
        if (riceK >= 0) {
            boolean noEscapes = maxBits < 63 && ((1L << maxBits) - 1) >>> riceK < RICE_ESCAPE;
            writeRice(r, m, riceK, noEscapes, out);
        } else {
            int exc = 0;
            for (int b = bestW + 1; b <= 64; b++) exc += hist[b];
            writePacked(r, m, bestW, exc, out);
        }
    }

    private static boolean constantFrom(long[] a, int from, int n) {
        if (from >= n) return true;
        long x = a[from];
        for (int i = from + 1; i < n; i++) if (a[i] != x) return false;
        return true;
    }

    /** The order-th difference at index i (order 2 computed on the fly from the first differences). */
    private static long diff(long[] v, long[] a1, int order, int i) {
        return order == 0 ? v[i] : order == 1 ? a1[i] : a1[i] - a1[i - 1];
    }

    private static long sampleMin(long[] v, long[] a1, int order, int n, int stride) {
        long min = Long.MAX_VALUE;
        for (int i = order; i < n; i += stride) min = Math.min(min, diff(v, a1, order, i));
        return min;
    }

    /** Bit-length histogram of every stride-th residual into hist; returns how many were counted. */
    private int sampleHistogram(long[] v, long[] a1, int order, int n, boolean zz, long base, int stride) {
        int[] h = hist;
        Arrays.fill(h, 0);
        int c = 0;
        for (int i = order; i < n; i += stride, c++) {
            long d = diff(v, a1, order, i) - base;
            h[Bits.bitLength(zz ? Bits.zigzag(d) : d)]++;
        }
        return c;
    }

    private void residuals(long[] d, int order, int n, boolean zz, long base, long[] dst) {
        int[] h0 = hist, h1 = hist2;
        Arrays.fill(h0, 0);
        Arrays.fill(h1, 0);
        int j = 0;
        int i = order;
        // two interleaved histograms break the store-to-load dependency on repeated buckets
        if (zz) {
            for (; i + 1 < n; i += 2, j += 2) {
                long x = Bits.zigzag(d[i] - base), y = Bits.zigzag(d[i + 1] - base);
                dst[j] = x; dst[j + 1] = y;
                h0[Bits.bitLength(x)]++; h1[Bits.bitLength(y)]++;
            }
            if (i < n) { long x = Bits.zigzag(d[i] - base); dst[j] = x; h0[Bits.bitLength(x)]++; }
        } else {
            for (; i + 1 < n; i += 2, j += 2) {
                long x = d[i] - base, y = d[i + 1] - base;
                dst[j] = x; dst[j + 1] = y;
                h0[Bits.bitLength(x)]++; h1[Bits.bitLength(y)]++;
            }
            if (i < n) { long x = d[i] - base; dst[j] = x; h0[Bits.bitLength(x)]++; }
        }
        for (int b = 0; b <= 64; b++) h0[b] += h1[b];
    }

    /** Cost in bits of packing the residual histogram with the best width; sets bwWidth. */
    private long bestWidth(int m) {
        int np = 0;
        this.np = 0;
        for (int b = 0; b <= 64; b++) if (hist[b] != 0) present[np++] = b;
        this.np = np;
        int maxB = present[np - 1];
        long best = (long) m * maxB;
        int bw = maxB;
        for (int w = 0; w < maxB; w++) {
            long c = (long) m * w;
            for (int k = np - 1; k >= 0; k--) {
                int b = present[k];
                if (b <= w) break;
                c += (long) hist[b] * (8 + 8 * ((b - w + 6) / 7)); // index gap (~1 byte) + high bits
            }
            if (c < best) { best = c; bw = w; }
        }
        bwWidth = bw;
        return best;
    }

    /** Estimated bits of the best Rice code for the residual bit-length histogram (escapes ignored: upper bound by 2^b). */
    private long riceEstimate() {
        // uses present[0, np) as left by the bestWidth call on the same histogram
        long best = Long.MAX_VALUE;
        int np = this.np;
        int kMax = Math.min(RICE_MAX_K, present[np - 1]);
        for (int k = 0; k <= kMax; k++) {
            long c = 0;
            for (int j = 0; j < np; j++) {
                int b = present[j];
                long q = b <= k ? 0 : b - k > 6 ? RICE_ESCAPE + 5 + b : ((3L << (b - 1 - k)) - 1) / 2;
                c += hist[b] * (1 + k + Math.min(q, RICE_ESCAPE + 5 + b));
            }
            if (c < best) { best = c; estK = k; }
        }
        return best;
    }

    /** Exact Rice stream size in bits for k = kMin..kMax (at most 3 values) into riceCost, in one pass. */
    private void riceCosts(long[] r, int m, int kMin, int kMax, int maxBits) {
        int k0 = kMin, k1 = Math.min(kMin + 1, kMax), k2 = Math.min(kMin + 2, kMax);
        long c0 = 0, c1 = 0, c2 = 0;
        if (maxBits < 63 && ((1L << maxBits) - 1) >>> k0 < RICE_ESCAPE) {
            // no escapes possible: plain sums of quotients (branch-free, vectorisable)
            for (int i = 0; i < m; i++) {
                long x = r[i];
                c0 += x >>> k0;
                c1 += x >>> k1;
                c2 += x >>> k2;
            }
            c0 += (long) m * (1 + k0);
            c1 += (long) m * (1 + k1);
            c2 += (long) m * (1 + k2);
        } else {
            for (int i = 0; i < m; i++) {
                long x = r[i];
                c0 += riceLen(x, k0);
                c1 += riceLen(x, k1);
                c2 += riceLen(x, k2);
            }
        }
        riceCost[k0] = c0;
        riceCost[k1] = c1;
        riceCost[k2] = c2;
    }

    /** Bits of one Rice code word (escape included). */
    private static long riceLen(long x, int k) {
        long q = x >>> k;
        return (q >= 0 && q < RICE_ESCAPE) ? q + 1 + k : 1 + k + 8 + 8 * Bits.varLongSize(x);
    }

    private static void writePacked(long[] r, int m, int w, int exc, Bits.Sink out) {
        out.putByte(w);
        long mask = Bits.mask(w);
        out.putVarLong(exc);
        int packedBytes = (int) (((long) m * w + 7) >>> 3);
        out.ensure(packedBytes + 8);
        byte[] b = out.buf;
        int p = out.pos;
        if (w > 0) {
            long acc = 0;
            int accBits = 0;
            for (int i = 0; i < m; i++) {
                long x = r[i] & mask;
                acc |= x << accBits;
                int nb = accBits + w;
                if (nb >= 64) {
                    Bits.putLongLE(b, p, acc);
                    p += 8;
                    acc = accBits == 0 ? 0 : x >>> (64 - accBits);
                    nb -= 64;
                }
                accBits = nb;
            }
            Bits.putLongLE(b, p, acc); // partial word; only ceil(accBits/8) bytes count
        }
        out.pos += packedBytes;
        if (exc > 0) {
            int last = 0;
            for (int i = 0; i < m; i++) {
                if ((r[i] & ~mask) != 0) {
                    out.putVarLong(i - last);
                    out.putVarLong(r[i] >>> w);
                    last = i;
                }
            }
        }
    }

    private static void writeRice(long[] r, int m, int k, boolean noEscapes, Bits.Sink out) {
        out.putByte(k);
        int exc = 0;
        if (!noEscapes) for (int i = 0; i < m; i++) { long q = r[i] >>> k; if (q < 0 || q >= RICE_ESCAPE) exc++; }
        out.putVarLong(exc);
        // unary quotients: q one bits then a zero bit, LSB-first in little-endian words
        out.ensure(m * (RICE_ESCAPE + 1) / 8 + 16);
        byte[] b = out.buf;
        int p = out.pos;
        long acc = 0;
        int accBits = 0;
        for (int i = 0; i < m; i++) {
            long q = r[i] >>> k;
            if (q < 0 || q >= RICE_ESCAPE) q = 0;
            acc |= ((1L << q) - 1) << accBits;
            accBits += (int) q + 1;
            if (accBits >= 32) { Bits.LE_INT.set(b, p, (int) acc); p += 4; acc >>>= 32; accBits -= 32; }
        }
        Bits.putLongLE(b, p, acc);
        out.pos = p + ((accBits + 7) >>> 3);
        if (k > 0) {
            long kmask = Bits.mask(k);
            int packedBytes = (m * k + 7) >>> 3;
            out.ensure(packedBytes + 8);
            b = out.buf;
            p = out.pos;
            acc = 0;
            accBits = 0;
            for (int i = 0; i < m; i++) {
                long x = r[i];
                long q = x >>> k;
                long rem = (q < 0 || q >= RICE_ESCAPE) ? 0 : x & kmask;
                acc |= rem << accBits;
                accBits += k;
                if (accBits >= 32) { Bits.LE_INT.set(b, p, (int) acc); p += 4; acc >>>= 32; accBits -= 32; }
            }
            Bits.putLongLE(b, p, acc);
            out.pos += packedBytes;
        }
        if (exc > 0) {
            int last = 0;
            for (int i = 0; i < m; i++) {
                long q = r[i] >>> k;
                if (q < 0 || q >= RICE_ESCAPE) {
                    out.putVarLong(i - last);
                    out.putVarLong(r[i]);
                    last = i;
                }
            }
        }
    }

    /** Decodes n values (as written by encode) from s into dst[off, off+n). */
    static void decode(Bits.Source s, int n, long[] dst, int off) {
        decode(s, n, dst, off, null);
    }

    /**
     * Like {@link #decode(Bits.Source, int, long[], int)}, but when {@code out} is non-null the decoded
     * integers go to out[off, off+n) as doubles ({@code (double) x}) in the same pass, and dst is scratch.
     */
    static void decode(Bits.Source s, int n, long[] dst, int off, double[] out) {
        int mode = s.u8("int-seq mode");
        int order = mode & 3;
        boolean zz = (mode & MODE_ZIGZAG) != 0;
        if (order > 2 || (mode & ~15) != 0) throw new ChunkFormatException("int-seq: bad mode byte " + mode + " at offset " + (s.pos - 1));
        if (order > n - 1) throw new ChunkFormatException("int-seq: order " + order + " for only " + n + " values");
        long v0 = 0, first = 0;
        if (order >= 1) v0 = Bits.unzigzag(s.varLong("int-seq first value"));
        if (order == 2) first = Bits.unzigzag(s.varLong("int-seq first delta"));
        long base = Bits.unzigzag(s.varLong("int-seq base"));
        int m = n - order;
        if ((mode & MODE_RICE) != 0) {
            int k = s.u8("int-seq rice parameter");
            if (k > RICE_MAX_K) throw new ChunkFormatException("int-seq: rice parameter " + k + " > " + RICE_MAX_K);
            long excL = s.varLong("int-seq exception count");
            if (excL > m) throw new ChunkFormatException("int-seq: " + excL + " exceptions for " + m + " residuals");
            s.need(1, "int-seq rice quotients");
            s.pos += unary(s.buf, s.pos, s.limit, dst, off + order, m);
            if (k > 0) {
                int packedBytes = (m * k + 7) >>> 3;
                s.need(packedBytes, "int-seq rice remainders");
                unpackShiftOr(s.buf, s.pos, k, dst, off + order, m);
                s.pos += packedBytes;
            }
            int idx = 0;
            for (int e = 0; e < excL; e++) {
                idx += (int) s.varLong("int-seq exception index");
                long val = s.varLong("int-seq exception value");
                if (idx < 0 || idx >= m) throw new ChunkFormatException("int-seq: exception index " + idx + " out of " + m);
                dst[off + order + idx] = val;
            }
        } else {
            int w = s.u8("int-seq width");
            if (w > 64) throw new ChunkFormatException("int-seq: bit width " + w + " > 64 at offset " + (s.pos - 1));
            long excL = s.varLong("int-seq exception count");
            if (excL > m || (w == 64 && excL > 0)) throw new ChunkFormatException("int-seq: " + excL + " exceptions for " + m + " residuals of width " + w);
            int packedBytes = (int) (((long) m * w + 7) >>> 3);
            s.need(packedBytes, "int-seq packed residuals");
            unpack(s.buf, s.pos, w, dst, off + order, m);
            s.pos += packedBytes;
            int idx = 0;
            for (int e = 0; e < excL; e++) {
                idx += (int) s.varLong("int-seq exception index");
                long high = s.varLong("int-seq exception value");
                if (idx < 0 || idx >= m) throw new ChunkFormatException("int-seq: exception index " + idx + " out of " + m);
                dst[off + order + idx] |= high << w;
            }
        }
        int end = off + n;
        if (out != null) {
            integrateToDoubles(dst, off, end, order, zz, v0, first, base, out);
            return;
        }
        switch (order) {
            case 0:
                if (zz) { for (int i = off; i < end; i++) dst[i] = base + Bits.unzigzag(dst[i]); }
                else if (base != 0) { for (int i = off; i < end; i++) dst[i] = base + dst[i]; }
                break;
            case 1: {
                long prev = v0;
                dst[off] = v0;
                if (zz) { for (int i = off + 1; i < end; i++) { prev += base + Bits.unzigzag(dst[i]); dst[i] = prev; } }
                else { for (int i = off + 1; i < end; i++) { prev += base + dst[i]; dst[i] = prev; } }
                break;
            }
            default: {
                long prev = v0 + first, delta = first;
                dst[off] = v0;
                dst[off + 1] = prev;
                if (zz) { for (int i = off + 2; i < end; i++) { delta += base + Bits.unzigzag(dst[i]); prev += delta; dst[i] = prev; } }
                else { for (int i = off + 2; i < end; i++) { delta += base + dst[i]; prev += delta; dst[i] = prev; } }
            }
        }
    }

    private static void integrateToDoubles(long[] r, int off, int end, int order, boolean zz, long v0, long first, long base, double[] out) {
        switch (order) {
            case 0:
                if (zz) { for (int i = off; i < end; i++) out[i] = (double) (base + Bits.unzigzag(r[i])); }
                else { for (int i = off; i < end; i++) out[i] = (double) (base + r[i]); }
                break;
            case 1: {
                long prev = v0;
                out[off] = (double) v0;
                if (zz) { for (int i = off + 1; i < end; i++) { prev += base + Bits.unzigzag(r[i]); out[i] = (double) prev; } }
                else { for (int i = off + 1; i < end; i++) { prev += base + r[i]; out[i] = (double) prev; } }
                break;
            }
            default: {
                long prev = v0 + first, delta = first;
                out[off] = (double) v0;
                out[off + 1] = (double) prev;
                if (zz) { for (int i = off + 2; i < end; i++) { delta += base + Bits.unzigzag(r[i]); prev += delta; out[i] = (double) prev; } }
                else { for (int i = off + 2; i < end; i++) { delta += base + r[i]; prev += delta; out[i] = (double) prev; } }
            }
        }
    }

    /** Unpacks m residuals of width w starting at byte base (array padded by >= 9 bytes past the data). */
    static void unpack(byte[] b, int base, int w, long[] dst, int off, int m) {
        if (w == 0) { Arrays.fill(dst, off, off + m, 0L); return; }
        long mask = Bits.mask(w);
        int end = off + m;
        if (w <= 57) {
            int bit = 0;
            for (int i = off; i < end; i++, bit += w) {
                dst[i] = (Bits.getLongLE(b, base + (bit >>> 3)) >>> (bit & 7)) & mask;
            }
        } else {
            int bit = 0;
            for (int i = off; i < end; i++, bit += w) {
                int p = base + (bit >>> 3);
                int sh = bit & 7;
                long r = Bits.getLongLE(b, p) >>> sh;
                if (sh != 0) r |= (long) (b[p + 8] & 0xff) << (64 - sh);
                dst[i] = r & mask;
            }
        }
    }

    /**
     * Decodes m unary quotients (q one bits then a zero bit, LSB-first in little-endian words) starting at
     * byte base into dst[off, off+m); returns the bytes consumed. Zero bits are found with
     * trailing-zero counts, so the cost is a few instructions per value with no per-bit loop.
     */
    static int unary(byte[] b, int base, int limit, long[] dst, int off, int m) {
        int i = off, end = off + m;
        int wb = base;
        long carry = 0;
        int last = -1;
        while (true) {
            if (wb >= limit) throw new ChunkFormatException("int-seq: rice quotients overrun the column after " + (i - off) + " of " + m + " values");
            long z = ~Bits.getLongLE(b, wb);
            last = -1;
            while (z != 0) {
                int p = Long.numberOfTrailingZeros(z);
                dst[i++] = carry + (p - last - 1);
                carry = 0;
                last = p;
                if (i == end) {
                    int used = wb - base + ((last + 8) >>> 3);
                    if (base + used > limit) throw new ChunkFormatException("int-seq: rice quotients overrun the column");
                    return used;
                }
                z &= z - 1;
            }
            carry += 63 - last;
            wb += 8;
        }
    }

    /** dst[i] = dst[i] << w | (next w-bit field), for m fields packed LSB-first at byte base (w <= 57). */
    static void unpackShiftOr(byte[] b, int base, int w, long[] dst, int off, int m) {
        long mask = Bits.mask(w);
        int end = off + m;
        int bit = 0;
        for (int i = off; i < end; i++, bit += w) {
            dst[i] = (dst[i] << w) | ((Bits.getLongLE(b, base + (bit >>> 3)) >>> (bit & 7)) & mask);
        }
    }
}
