package io.tsdb.bench.chunk;

import io.tsdb.core.chunk.ChunkEncoder;
import io.tsdb.core.chunk.XorChunkAppender;
import java.util.Arrays;
import org.agrona.ExpandableArrayBuffer;

/**
 * Prints bytes per sample (timestamps + values, chunk headers included) of each benchmark pattern, for
 * columnar chunks of 120 and 720 samples and for head (XOR stream) chunks of 120 samples.
 * Run: {@code java --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED -cp benchmarks/target/benchmarks.jar io.tsdb.bench.chunk.ChunkSizes}
 */
public final class ChunkSizes {
    public static void main(String[] args) {
        int n = ChunkBench.SAMPLES;
        System.out.printf("%-12s %14s %14s %14s%n", "pattern", "columnar/120", "columnar/720", "head-xor/120");
        for (String p : Patterns.NAMES) {
            long[] t = Patterns.timestamps(p, n, 1);
            double[] v = Patterns.values(p, n, 1);
            System.out.printf("%-12s %14.3f %14.3f %14.3f%n", p, columnar(t, v, 120), columnar(t, v, 720), head(t, v, 120));
        }
    }

    static double columnar(long[] t, double[] v, int size) {
        ChunkEncoder enc = new ChunkEncoder();
        long total = 0;
        for (int off = 0; off < t.length; off += size) {
            int to = Math.min(t.length, off + size);
            total += enc.encode(Arrays.copyOfRange(t, off, to), Arrays.copyOfRange(v, off, to), to - off);
        }
        return (double) total / t.length;
    }

    static double head(long[] t, double[] v, int size) {
        XorChunkAppender a = new XorChunkAppender();
        ExpandableArrayBuffer buf = new ExpandableArrayBuffer(4096);
        long total = 0;
        for (int off = 0; off < t.length; off += size) {
            a.reset(buf, 0);
            for (int i = off; i < Math.min(t.length, off + size); i++) a.append(t[i], v[i]);
            total += a.sizeInBytes();
        }
        return (double) total / t.length;
    }
}
