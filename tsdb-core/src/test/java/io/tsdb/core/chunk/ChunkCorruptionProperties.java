package io.tsdb.core.chunk;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Corrupted chunks (bytes flipped, truncated, extended) either decode to something or fail with a
 * ChunkFormatException; never another exception, a hang, or writes past the caller's arrays.
 * (Containers detect corruption with CRC32C; this guards the decoder itself.)
 */
class ChunkCorruptionProperties {

    record Corruption(ChunkRoundTripProperties.Series series, boolean head, long seed, int flips, int cut) {}

    @Provide
    Arbitrary<Corruption> corruptions() {
        return Combinators.combine(new ChunkRoundTripProperties().series(), Arbitraries.of(true, false), Arbitraries.longs(),
            Arbitraries.integers().between(1, 4), Arbitraries.integers().between(-3, 3)).as(Corruption::new);
    }

    @Property(tries = 1500)
    void corruptChunksFailCleanly(@ForAll("corruptions") Corruption c) {
        ChunkRoundTripProperties.Series s = c.head() ? c.series().sorted() : c.series();
        byte[] bytes;
        if (c.head()) {
            ExpandableArrayBuffer b = new ExpandableArrayBuffer(64);
            XorChunkAppender a = new XorChunkAppender().reset(b, 0);
            for (int i = 0; i < s.n(); i++) a.append(s.ts()[i], s.vs()[i]);
            bytes = new byte[a.sizeInBytes()];
            b.getBytes(0, bytes);
        } else {
            ChunkEncoder e = new ChunkEncoder();
            bytes = Arrays.copyOf(e.array(), e.encode(s.ts(), s.vs(), s.n()));
        }
        java.util.Random r = new java.util.Random(c.seed());
        for (int k = 0; k < c.flips(); k++) {
            int p = r.nextInt(bytes.length);
            bytes[p] ^= (byte) (1 << r.nextInt(8));
        }
        int len = Math.max(1, Math.min(bytes.length + 3, bytes.length + c.cut()));
        byte[] data = Arrays.copyOf(bytes, len);
        UnsafeBuffer buf = new UnsafeBuffer(data);
        ChunkDecoder dec = new ChunkDecoder();
        int cap = ChunkFormat.MAX_SAMPLES;
        long[] ts = new long[cap];
        double[] vs = new double[cap];
        try {
            int n = dec.decode(buf, 0, len, ts, vs);
            if (n < 0 || n > cap) fail("bad count " + n);
        } catch (ChunkFormatException expected) {
            // fine
        } catch (RuntimeException e) {
            fail("corrupt chunk raised " + e, e);
        }
    }
}
