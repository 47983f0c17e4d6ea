package io.tsdb.core.chunk;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.agrona.ExpandableArrayBuffer;
import org.junit.jupiter.api.Test;

/**
 * Bytes per sample are a property of the format: this test prints them for the benchmark patterns and
 * guards the integer random walk (TSBS cpu-only shape) against regressions.
 */
class ChunkSizeTest {
    static final int N = 4320; // 12 h at 10 s

    static long[] regular(long start, long step) {
        long[] t = new long[N];
        for (int i = 0; i < N; i++) t[i] = start + i * step;
        return t;
    }

    static double[] intWalk(Random r) {
        double[] v = new double[N];
        double x = r.nextDouble() * 100;
        for (int i = 0; i < N; i++) { x = Math.max(0, Math.min(100, x + r.nextGaussian())); v[i] = Math.rint(x); }
        return v;
    }

    /** Bytes per sample when the series is cut into columnar chunks of chunkSize samples. */
    static double columnarBytesPerSample(long[] ts, double[] vs, int chunkSize) {
        ChunkEncoder enc = new ChunkEncoder();
        long total = 0;
        for (int off = 0; off < ts.length; off += chunkSize) {
            int n = Math.min(chunkSize, ts.length - off);
            total += enc.encode(java.util.Arrays.copyOfRange(ts, off, off + n), java.util.Arrays.copyOfRange(vs, off, off + n), n);
        }
        return (double) total / ts.length;
    }

    static double headBytesPerSample(long[] ts, double[] vs, int chunkSize) {
        long total = 0;
        XorChunkAppender app = new XorChunkAppender();
        ExpandableArrayBuffer buf = new ExpandableArrayBuffer(4096);
        for (int off = 0; off < ts.length; off += chunkSize) {
            app.reset(buf, 0);
            for (int i = off; i < Math.min(ts.length, off + chunkSize); i++) app.append(ts[i], vs[i]);
            total += app.sizeInBytes();
        }
        return (double) total / ts.length;
    }

    @Test
    void integerRandomWalkIsWellUnderTheTarget() {
        Random r = new Random(42);
        double worst120 = 0, worst720 = 0;
        for (int s = 0; s < 20; s++) {
            double[] v = intWalk(r);
            long[] t = regular(1_700_000_000_000L, 10_000);
            worst120 = Math.max(worst120, columnarBytesPerSample(t, v, 120));
            worst720 = Math.max(worst720, columnarBytesPerSample(t, v, 720));
        }
        System.out.printf("int walk 0..100 @10s: %.3f B/sample (120-sample chunks), %.3f (720-sample chunks)%n", worst120, worst720);
        assertTrue(worst720 < 0.36, "720-sample chunks: " + worst720 + " B/sample");
        assertTrue(worst120 < 0.52, "120-sample chunks: " + worst120 + " B/sample");
    }

    @Test
    void printPatterns() {
        Random r = new Random(7);
        long[] reg = regular(1_700_000_000_000L, 10_000);
        long[] jit = new long[N];
        for (int i = 0; i < N; i++) jit[i] = 1_700_000_000_000L + i * 10_000L + r.nextInt(51) - 25;
        double[] constant = new double[N];
        java.util.Arrays.fill(constant, 42);
        double[] fw = new double[N];
        double x = 50;
        for (int i = 0; i < N; i++) { x += r.nextGaussian(); fw[i] = x; }
        double[] ctr = new double[N];
        double c = 0;
        for (int i = 0; i < N; i++) { c = (i % 1000 == 999) ? 0 : c + r.nextInt(1000); ctr[i] = c; }
        double[] iw = intWalk(r);
        Object[][] rows = {{"constant", reg, constant}, {"intWalk", reg, iw}, {"floatWalk", reg, fw}, {"counter", reg, ctr}, {"jitteredTs+intWalk", jit, iw}};
        for (Object[] row : rows) {
            long[] t = (long[]) row[1];
            double[] v = (double[]) row[2];
            System.out.printf("%-20s columnar(120)=%.3f columnar(720)=%.3f head-xor(120)=%.3f B/sample%n", row[0],
                columnarBytesPerSample(t, v, 120), columnarBytesPerSample(t, v, 720), headBytesPerSample(t, v, 120));
        }
        assertTrue(columnarBytesPerSample(reg, constant, 720) < 0.05);
    }
}
