package io.tsdb.core.chunk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdb.core.StaleNaN;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/** Round trips of every encoding over generated series, compared bit for bit. */
class ChunkRoundTripProperties {

    record Series(long[] ts, double[] vs) {
        int n() { return ts.length; }
        Series sorted() {
            long[] t = ts.clone();
            Arrays.sort(t);
            return new Series(t, vs);
        }
        @Override public String toString() { return "Series" + Arrays.toString(ts) + Arrays.toString(vs); }
    }

    static final double[] SPECIAL = {
        Double.NaN, StaleNaN.VALUE, Double.longBitsToDouble(0x7ff8000000000001L), Double.longBitsToDouble(0xfff0000000000001L),
        Double.longBitsToDouble(0x7ff0000000000001L), Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0.0, -0.0,
        Double.MIN_VALUE, -Double.MIN_VALUE, Double.MAX_VALUE, -Double.MAX_VALUE, Double.MIN_NORMAL, 1e300, -1e-300,
        9007199254740992.0, 9007199254740993.0, -9007199254740992.0, 0.1, 0.2, 0.30000000000000004, 1e15, 123456789.123
    };

    @Provide
    Arbitrary<Series> series() {
        return Arbitraries.integers().between(0, 300).flatMap(n -> Combinators.combine(timestamps(n), values(n)).as(Series::new));
    }

    static Arbitrary<long[]> timestamps(int n) {
        Arbitrary<Long> start = Arbitraries.oneOf(Arbitraries.longs(), Arbitraries.of(0L, 1_700_000_000_000L, Long.MIN_VALUE, Long.MAX_VALUE, -1L));
        Arbitrary<Long> delta = Arbitraries.oneOf(
            Arbitraries.just(10_000L),
            Arbitraries.longs().between(9_990, 10_010),
            Arbitraries.longs().between(-3, 3),
            Arbitraries.longs(),
            Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(20, Arbitraries.just(15_000L)), net.jqwik.api.Tuple.of(1, Arbitraries.longs().between(0, 1L << 40))),
            Arbitraries.of(0L, Long.MAX_VALUE, Long.MIN_VALUE, 1L));
        return Combinators.combine(start, delta.list().ofSize(Math.max(0, n - 1))).as((s, ds) -> {
            long[] t = new long[n];
            long cur = s;
            for (int i = 0; i < n; i++) {
                if (i > 0) cur += ds.get(i - 1);
                t[i] = cur;
            }
            return t;
        });
    }

    static Arbitrary<double[]> values(int n) {
        Arbitrary<Double> special = Arbitraries.of(Arrays.stream(SPECIAL).boxed().toArray(Double[]::new));
        Arbitrary<Double> anyBits = Arbitraries.longs().map(Double::longBitsToDouble);
        Arbitrary<Double> smallInts = Arbitraries.longs().between(-1000, 1000).map(l -> (double) l);
        Arbitrary<Double> bigInts = Arbitraries.longs().between(-(1L << 53), 1L << 53).map(l -> (double) l);
        Arbitrary<Double> floats = Arbitraries.doubles();
        Arbitrary<Double> mixed = Arbitraries.oneOf(special, anyBits, smallInts, bigInts, floats);
        Arbitrary<double[]> decimals = Arbitraries.integers().between(0, 17).flatMap(scale ->
            Arbitraries.longs().between(-100_000_000L, 100_000_000L).list().ofSize(n).map(ms -> {
                double[] v = new double[n];
                for (int i = 0; i < n; i++) v[i] = ms.get(i) / Math.pow(10, scale);
                return v;
            }));
        Arbitrary<double[]> intWalk = Arbitraries.longs().between(-3, 3).list().ofSize(n).map(steps -> {
            double[] v = new double[n];
            long cur = 50;
            for (int i = 0; i < n; i++) { cur = Math.max(0, Math.min(100, cur + steps.get(i))); v[i] = cur; }
            return v;
        });
        Arbitrary<double[]> counter = Arbitraries.longs().between(0, 200).list().ofSize(n).map(incs -> {
            double[] v = new double[n];
            long cur = 0;
            for (int i = 0; i < n; i++) { cur = incs.get(i) == 0 ? 0 : cur + incs.get(i); v[i] = cur; }
            return v;
        });
        Arbitrary<double[]> constant = Arbitraries.oneOf(special, smallInts, anyBits).map(c -> { double[] v = new double[n]; Arrays.fill(v, c); return v; });
        // integer or decimal walks with a few specials (stale markers, NaN, Inf, -0.0) sprinkled in
        Arbitrary<double[]> withSpecials = Combinators.combine(Arbitraries.oneOf(intWalk, decimals),
            Arbitraries.integers().between(0, Math.max(0, n - 1)).list().ofMaxSize(Math.max(1, n / 5)), special.list().ofMinSize(1).ofMaxSize(4))
            .as((base, idx, sp) -> {
                double[] v = base.clone();
                for (int k = 0; k < idx.size() && n > 0; k++) v[idx.get(k)] = sp.get(k % sp.size());
                return v;
            });
        return Arbitraries.oneOf(
            listOf(mixed, n), listOf(special, n), listOf(anyBits, n), listOf(smallInts, n), listOf(bigInts, n),
            listOf(floats, n), decimals, intWalk, counter, constant, withSpecials, withSpecials);
    }

    static Arbitrary<double[]> listOf(Arbitrary<Double> a, int n) {
        return a.list().ofSize(n).map(l -> { double[] v = new double[n]; for (int i = 0; i < n; i++) v[i] = l.get(i); return v; });
    }

    static void assertSame(Series s, long[] ts, double[] vs, int n) {
        assertEquals(s.n(), n, "sample count");
        for (int i = 0; i < n; i++) {
            assertEquals(s.ts()[i], ts[i], "timestamp " + i);
            assertEquals(Double.doubleToRawLongBits(s.vs()[i]), Double.doubleToRawLongBits(vs[i]), "value bits " + i);
        }
    }

    @Property(tries = 400)
    void columnarRoundTrip(@ForAll("series") Series s) {
        ChunkEncoder enc = new ChunkEncoder();
        int len = enc.encode(s.ts(), s.vs(), s.n());
        UnsafeBuffer buf = new UnsafeBuffer(Arrays.copyOf(enc.array(), len));
        assertEquals(s.n(), ChunkFormat.sampleCount(buf, 0, len));
        long[] ts = new long[s.n()];
        double[] vs = new double[s.n()];
        int n = new ChunkDecoder().decode(buf, 0, len, ts, vs);
        assertSame(s, ts, vs, n);
    }

    @Property(tries = 300)
    void xorStreamRoundTripAndRecode(@ForAll("series") Series raw) {
        Series s = raw.sorted();
        ExpandableArrayBuffer buf = new ExpandableArrayBuffer(16);
        XorChunkAppender app = new XorChunkAppender().reset(buf, 7);
        for (int i = 0; i < s.n(); i++) assertTrue(app.append(s.ts()[i], s.vs()[i]));
        assertEquals(s.n(), app.numSamples());
        int len = app.sizeInBytes();
        // the chunk must decode from exactly its bytes
        UnsafeBuffer exact = new UnsafeBuffer(new byte[len]);
        exact.putBytes(0, buf, 7, len);
        long[] ts = new long[s.n()];
        double[] vs = new double[s.n()];
        ChunkDecoder dec = new ChunkDecoder();
        assertSame(s, ts, vs, dec.decode(exact, 0, len, ts, vs));
        ChunkEncoder enc = new ChunkEncoder();
        int clen = enc.recode(exact, 0, len);
        UnsafeBuffer col = new UnsafeBuffer(Arrays.copyOf(enc.array(), clen));
        Arrays.fill(ts, 0);
        Arrays.fill(vs, 0);
        assertSame(s, ts, vs, dec.decode(col, 0, clen, ts, vs));
    }

    @Property(tries = 200)
    void reopenContinuesTheSameStream(@ForAll("series") Series raw) {
        Series s = raw.sorted();
        int half = s.n() / 2;
        ExpandableArrayBuffer whole = new ExpandableArrayBuffer(64);
        XorChunkAppender a = new XorChunkAppender().reset(whole, 0);
        for (int i = 0; i < s.n(); i++) a.append(s.ts()[i], s.vs()[i]);
        ExpandableArrayBuffer part = new ExpandableArrayBuffer(64);
        XorChunkAppender b = new XorChunkAppender().reset(part, 0);
        for (int i = 0; i < half; i++) b.append(s.ts()[i], s.vs()[i]);
        int plen = b.sizeInBytes();
        ExpandableArrayBuffer copy = new ExpandableArrayBuffer(64);
        copy.putBytes(0, part, 0, plen);
        XorChunkAppender c = new XorChunkAppender().reopen(copy, 0, plen, new ChunkDecoder());
        assertEquals(half, c.numSamples());
        for (int i = half; i < s.n(); i++) c.append(s.ts()[i], s.vs()[i]);
        assertEquals(a.sizeInBytes(), c.sizeInBytes());
        for (int i = 0; i < a.sizeInBytes(); i++) assertEquals(whole.getByte(i), copy.getByte(i), "byte " + i);
    }

    @Property(tries = 200)
    void cursorWalksAndSeeks(@ForAll("series") Series raw, @ForAll long probe) {
        Series s = raw.sorted();
        ChunkEncoder enc = new ChunkEncoder();
        int len = enc.encode(s.ts(), s.vs(), s.n());
        UnsafeBuffer buf = new UnsafeBuffer(Arrays.copyOf(enc.array(), len));
        ChunkCursor c = new ChunkCursor().reset(buf, 0, len);
        for (int i = 0; i < s.n(); i++) {
            assertTrue(c.next());
            assertEquals(s.ts()[i], c.timestamp());
            assertEquals(Double.doubleToRawLongBits(s.vs()[i]), Double.doubleToRawLongBits(c.value()));
        }
        assertFalse(c.next());
        c.reset(buf, 0, len);
        long target = s.n() > 0 && (probe & 1) == 0 ? s.ts()[(int) Long.remainderUnsigned(probe, s.n())] : probe;
        int expect = 0;
        while (expect < s.n() && s.ts()[expect] < target) expect++;
        boolean found = c.seek(target);
        assertEquals(expect < s.n(), found);
        if (found) assertEquals(s.ts()[expect], c.timestamp());
    }

    @Property(tries = 100)
    void decimalAndIntegerChunksUseTheDecimalCodec(@ForAll("intWalks") List<Long> steps) {
        int n = steps.size();
        long[] ts = new long[n];
        double[] vs = new double[n];
        long cur = 0;
        for (int i = 0; i < n; i++) { ts[i] = 1000L * i; cur += steps.get(i); vs[i] = cur / 100.0; }
        ChunkEncoder enc = new ChunkEncoder();
        enc.encode(ts, vs, n);
        boolean constant = Arrays.stream(vs).distinct().count() == 1;
        assertEquals(constant ? ChunkFormat.VAL_CONST : ChunkFormat.VAL_DECIMAL, enc.lastValueCodec());
    }

    @Provide
    Arbitrary<List<Long>> intWalks() {
        return Arbitraries.longs().between(-500, 500).list().ofMinSize(2).ofMaxSize(500);
    }
}
