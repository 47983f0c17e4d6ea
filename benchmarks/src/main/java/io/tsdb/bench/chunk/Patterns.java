package io.tsdb.bench.chunk;

import java.util.Random;

/** Value/timestamp patterns of the chunk benchmarks; deterministic for a given seed. */
public final class Patterns {
    private Patterns() {}

    public static final String[] NAMES = {"constant", "intWalk", "floatWalk", "counter", "jitteredTs"};
    public static final long START = 1_700_000_000_000L;

    /** Timestamps: 10 s interval; jitteredTs adds uniform jitter of +-25 ms. */
    public static long[] timestamps(String pattern, int n, long seed) {
        Random r = new Random(seed ^ 0x5DEECE66DL);
        long[] t = new long[n];
        boolean jitter = pattern.equals("jitteredTs");
        for (int i = 0; i < n; i++) t[i] = START + i * 10_000L + (jitter ? r.nextInt(51) - 25 : 0);
        return t;
    }

    /**
     * Values: constant 42; intWalk = TSBS cpu-only shape (gaussian random walk clamped to 0..100, rounded
     * to integers); floatWalk = the same walk unrounded (full 52-bit mantissas); counter = increments
     * 0..999 with a reset every 1000 samples; jitteredTs uses intWalk values.
     */
    public static double[] values(String pattern, int n, long seed) {
        Random r = new Random(seed);
        double[] v = new double[n];
        switch (pattern) {
            case "constant":
                java.util.Arrays.fill(v, 42);
                break;
            case "intWalk":
            case "jitteredTs":
            case "floatWalk": {
                boolean round = !pattern.equals("floatWalk");
                double x = r.nextDouble() * 100;
                for (int i = 0; i < n; i++) {
                    x = Math.max(0, Math.min(100, x + r.nextGaussian()));
                    v[i] = round ? Math.rint(x) : x;
                }
                break;
            }
            case "counter": {
                double c = 0;
                for (int i = 0; i < n; i++) { c = (i % 1000 == 999) ? 0 : c + r.nextInt(1000); v[i] = c; }
                break;
            }
            default:
                throw new IllegalArgumentException("unknown pattern " + pattern);
        }
        return v;
    }
}
