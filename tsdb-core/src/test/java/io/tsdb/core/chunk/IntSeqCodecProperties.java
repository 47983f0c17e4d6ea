package io.tsdb.core.chunk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/** Round trips of the int-seq codec on sequences shaped to hit every path (Rice, exceptions, wide widths). */
class IntSeqCodecProperties {

    @Provide
    Arbitrary<long[]> sequences() {
        Arbitrary<Long> small = Arbitraries.longs().between(-3, 3);
        Arbitrary<Long> skewed = Arbitraries.frequencyOf(
            Tuple.of(60, Arbitraries.longs().between(0, 2)), Tuple.of(30, Arbitraries.longs().between(-20, 20)),
            Tuple.of(5, Arbitraries.longs().between(-100_000, 100_000)), Tuple.of(3, Arbitraries.longs()),
            Tuple.of(2, Arbitraries.of(Long.MIN_VALUE, Long.MAX_VALUE, -1L)));
        Arbitrary<Long> any = Arbitraries.longs();
        Arbitrary<List<Long>> steps = Arbitraries.oneOf(small.list(), skewed.list(), any.list()).map(l -> l);
        return steps.list().ofMinSize(1).ofMaxSize(1).map(ls -> ls.get(0)).filter(l -> !l.isEmpty() && l.size() <= 3000)
            .flatMap(st -> Arbitraries.of(0, 1, 2).map(integrate -> {
                long[] v = new long[st.size()];
                long cur = 0, d = 0;
                for (int i = 0; i < v.length; i++) {
                    long x = st.get(i);
                    if (integrate == 0) cur = x;
                    else if (integrate == 1) cur += x;
                    else { d += x; cur += d; }
                    v[i] = cur;
                }
                return v;
            }));
    }

    @Property(tries = 500)
    void roundTrip(@ForAll("sequences") long[] v) {
        IntSeqCodec c = new IntSeqCodec();
        for (int[] cands : new int[][] {IntSeqCodec.TS_CANDIDATES, IntSeqCodec.VALUE_CANDIDATES, {0}, {1 | IntSeqCodec.MODE_ZIGZAG}}) {
            Bits.Sink out = new Bits.Sink(64);
            out.putByte(0x5a); // leading byte, so offsets are exercised
            c.encode(v, v.length, out, cands);
            int len = out.pos;
            byte[] b = Arrays.copyOf(out.buf, len + Bits.PAD);
            Bits.Source s = new Bits.Source();
            s.reset(b, 1, len);
            long[] got = new long[v.length + 2];
            IntSeqCodec.decode(s, v.length, got, 1);
            assertEquals(len, s.pos, "consumed exactly the encoded bytes");
            assertArrayEquals(v, Arrays.copyOfRange(got, 1, v.length + 1));
        }
    }

    @net.jqwik.api.Example
    void riceWithExceptionsIsUsedForSkewedResidualsWithOutliers() {
        java.util.Random r = new java.util.Random(3);
        for (int k = 0; k <= IntSeqCodec.RICE_MAX_K; k++) {
            long[] v = new long[1000];
            long cur = 0;
            for (int i = 0; i < v.length; i++) {
                long step = (long) (r.nextGaussian() * (1L << k));
                if (i % 250 == 100) step = (i % 500 == 100) ? Long.MAX_VALUE / 3 : -(1L << 40);
                cur += step;
                v[i] = cur;
            }
            IntSeqCodec c = new IntSeqCodec();
            Bits.Sink out = new Bits.Sink(64);
            c.encode(v, v.length, out, IntSeqCodec.VALUE_CANDIDATES);
            org.junit.jupiter.api.Assertions.assertTrue((out.buf[0] & IntSeqCodec.MODE_RICE) != 0, "rice chosen for k=" + k);
            Bits.Source s = new Bits.Source();
            s.reset(Arrays.copyOf(out.buf, out.pos + Bits.PAD), 0, out.pos);
            long[] got = new long[v.length];
            IntSeqCodec.decode(s, v.length, got, 0);
            assertArrayEquals(v, got);
            assertEquals(out.pos, s.pos);
        }
    }
}
