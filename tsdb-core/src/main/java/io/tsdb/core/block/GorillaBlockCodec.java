package io.tsdb.core.block;

import java.nio.ByteBuffer;

/**
 * Built-in block chunk codec (encoding id 1): columnar, timestamps first then values.
 *
 * <pre>
 * uvarint n | varint t0 | [varint delta1 if n &gt; 1] | u8 flags (bit0: regular timestamps, bit1: integer values)
 * | integer mode: varint v0 ; float mode: u64 bits of v0
 * | bit stream: timestamps (omitted when regular): delta-of-delta buckets
 *                 '0' | '10'+7 | '110'+12 | '1110'+20 | '1111'+64 bits (zig-zag)
 *               values, integer mode: zig-zag delta buckets
 *                 '0' | '10'+1 | '110'+2 | '1110'+5 | '11110'+12 | '11111'+64 bits
 *               values, float mode: Gorilla XOR ('0' same | '10' reuse window | '11' + 6 lead + 6 len + bits)
 * </pre>
 * Integer mode applies when every value is an exactly representable integer below 2^53 in magnitude and not
 * negative zero; NaN, infinities and stale markers force float mode so their bit patterns survive.
 */
public final class GorillaBlockCodec implements BlockChunkCodec {
    public static final int ID = 1;
    public static final GorillaBlockCodec INSTANCE = new GorillaBlockCodec();
    private static final long INT_LIMIT = 1L << 53;

    private final ThreadLocal<BitIn> bitIn = ThreadLocal.withInitial(BitIn::new);

    @Override public int id() { return ID; }
    @Override public String name() { return "gorilla-dod-xor-int"; }

    static boolean isInt(double v) {
        if (!(v > -INT_LIMIT && v < INT_LIMIT)) return false;
        long l = (long) v;
        return Double.doubleToRawLongBits((double) l) == Double.doubleToRawLongBits(v);
    }

    @Override public void encode(long[] ts, double[] vs, int off, int n, ByteOut out) {
        out.uvarint(n);
        out.varint(ts[off]);
        boolean regular = true;
        long d1 = 0;
        if (n > 1) {
            d1 = ts[off + 1] - ts[off];
            out.varint(d1);
            for (int i = off + 2; i < off + n; i++) if (ts[i] - ts[i - 1] != d1) { regular = false; break; }
        }
        boolean ints = true;
        for (int i = off; i < off + n; i++) if (!isInt(vs[i])) { ints = false; break; }
        out.u8((regular ? 1 : 0) | (ints ? 2 : 0));
        if (ints) out.varint((long) vs[off]); else out.u64(Double.doubleToRawLongBits(vs[off]));
        BitOut bits = new BitOut(out);
        if (!regular) {
            long prevDelta = d1;
            for (int i = off + 2; i < off + n; i++) {
                long delta = ts[i] - ts[i - 1];
                long dod = delta - prevDelta;
                prevDelta = delta;
                long z = (dod << 1) ^ (dod >> 63);
                if (z == 0) bits.write(0, 1);
                else if (z < (1L << 7)) { bits.write(0b10, 2); bits.write(z, 7); }
                else if (z < (1L << 12)) { bits.write(0b110, 3); bits.write(z, 12); }
                else if (z < (1L << 20)) { bits.write(0b1110, 4); bits.write(z, 20); }
                else { bits.write(0b1111, 4); bits.write(z, 64); }
            }
        }
        if (ints) {
            long prev = (long) vs[off];
            for (int i = off + 1; i < off + n; i++) {
                long cur = (long) vs[i];
                long d = cur - prev;
                prev = cur;
                long z = (d << 1) ^ (d >> 63);
                if (z == 0) bits.write(0, 1);
                else if (z <= 2) { bits.write(0b10, 2); bits.write(z - 1, 1); }
                else if (z <= 6) { bits.write(0b110, 3); bits.write(z - 3, 2); }
                else if (z <= 38) { bits.write(0b1110, 4); bits.write(z - 7, 5); }
                else if (z <= 38 + 4096) { bits.write(0b11110, 5); bits.write(z - 39, 12); }
                else { bits.write(0b11111, 5); bits.write(z, 64); }
            }
        } else {
            long prev = Double.doubleToRawLongBits(vs[off]);
            int prevLead = -1, prevTrail = 0;
            for (int i = off + 1; i < off + n; i++) {
                long cur = Double.doubleToRawLongBits(vs[i]);
                long x = cur ^ prev;
                prev = cur;
                if (x == 0) { bits.write(0, 1); continue; }
                int lead = Math.min(Long.numberOfLeadingZeros(x), 63);
                int trail = Long.numberOfTrailingZeros(x);
                if (prevLead >= 0 && lead >= prevLead && trail >= prevTrail) {
                    bits.write(0b10, 2);
                    bits.write(x >>> prevTrail, 64 - prevLead - prevTrail);
                } else {
                    int sig = 64 - lead - trail;
                    bits.write(0b11, 2);
                    bits.write(lead, 6);
                    bits.write(sig - 1, 6);
                    bits.write(x >>> trail, sig);
                    prevLead = lead;
                    prevTrail = trail;
                }
            }
        }
        bits.flush();
    }

    @Override public int decode(ByteBuffer src, int pos, int len, int expectedCount, long[] ts, double[] vs) {
        int end = pos + len;
        int[] p = {pos};
        long n = readUvarint(src, p, end);
        if (n < 1 || n > expectedCount) throw new IllegalStateException("chunk claims " + n + " samples, index says " + expectedCount);
        int cnt = (int) n;
        long t0 = readVarint(src, p, end);
        ts[0] = t0;
        long d1 = cnt > 1 ? readVarint(src, p, end) : 0;
        if (p[0] >= end) throw new IllegalStateException("chunk truncated");
        int flags = src.get(p[0]++) & 0xFF;
        if ((flags & ~3) != 0) throw new IllegalStateException("unknown chunk flags " + flags);
        boolean regular = (flags & 1) != 0, ints = (flags & 2) != 0;
        long v0;
        if (ints) v0 = readVarint(src, p, end);
        else {
            if (p[0] + 8 > end) throw new IllegalStateException("chunk truncated");
            v0 = src.getLong(p[0]);
            p[0] += 8;
        }
        BitIn bits = bitIn.get();
        bits.reset(src, p[0], end);
        if (cnt > 1) ts[1] = t0 + d1;
        if (regular) {
            for (int i = 2; i < cnt; i++) ts[i] = ts[i - 1] + d1;
        } else {
            long delta = d1;
            for (int i = 2; i < cnt; i++) {
                long z;
                if (!bits.bit()) z = 0;
                else if (!bits.bit()) z = bits.read(7);
                else if (!bits.bit()) z = bits.read(12);
                else if (!bits.bit()) z = bits.read(20);
                else z = bits.read(64);
                delta += (z >>> 1) ^ -(z & 1);
                ts[i] = ts[i - 1] + delta;
            }
        }
        if (ints) {
            long cur = v0;
            vs[0] = cur;
            for (int i = 1; i < cnt; i++) {
                long z;
                if (!bits.bit()) z = 0;
                else if (!bits.bit()) z = 1 + bits.read(1);
                else if (!bits.bit()) z = 3 + bits.read(2);
                else if (!bits.bit()) z = 7 + bits.read(5);
                else if (!bits.bit()) z = 39 + bits.read(12);
                else z = bits.read(64);
                cur += (z >>> 1) ^ -(z & 1);
                vs[i] = cur;
            }
        } else {
            long cur = v0;
            vs[0] = Double.longBitsToDouble(cur);
            int lead = 0, trail = 0;
            for (int i = 1; i < cnt; i++) {
                if (bits.bit()) {
                    if (bits.bit()) {
                        lead = (int) bits.read(6);
                        int sig = (int) bits.read(6) + 1;
                        trail = 64 - lead - sig;
                        if (trail < 0) throw new IllegalStateException("bad xor window");
                    }
                    cur ^= bits.read(64 - lead - trail) << trail;
                }
                vs[i] = Double.longBitsToDouble(cur);
            }
        }
        return cnt;
    }

    private static long readUvarint(ByteBuffer b, int[] p, int end) {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (p[0] >= end) throw new IllegalStateException("chunk truncated in varint");
            int x = b.get(p[0]++);
            v |= (long) (x & 0x7F) << shift;
            if (x >= 0) return v;
        }
        throw new IllegalStateException("varint too long");
    }

    private static long readVarint(ByteBuffer b, int[] p, int end) {
        long u = readUvarint(b, p, end);
        return (u >>> 1) ^ -(u & 1);
    }
}
