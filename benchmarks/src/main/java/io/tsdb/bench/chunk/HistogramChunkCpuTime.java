package io.tsdb.bench.chunk;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Companion of {@link HistogramChunkBench} for a shared, overloaded machine (as {@link ChunkCpuTime} is for
 * {@link ChunkBench}): runs the same benchmark methods on the same data and reports ns per sample of <em>thread CPU
 * time</em>, best (minimum) of 15 rounds of at least 50 ms CPU each, for the integer and float histogram encodings
 * and the float (xor) baseline, with the ratio histogram / float.
 * Run: {@code java --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED -cp benchmarks/target/benchmarks.jar io.tsdb.bench.chunk.HistogramChunkCpuTime [perScrape]}
 */
public final class HistogramChunkCpuTime {
    public static void main(String[] args) {
        int perScrape = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Blackhole bh = new Blackhole("Today's password is swordfish. I understand instantiating Blackholes directly is dangerous.");
        String[] kinds = {"xor", "int", "float"};
        double[][] best = new double[kinds.length][2];
        for (int k = 0; k < kinds.length; k++) {
            HistogramChunkBench b = new HistogramChunkBench();
            b.kind = kinds[k];
            b.perScrape = perScrape;
            b.seed = false;
            b.setup();
            for (int op = 0; op < 2; op++) {
                double min = Double.MAX_VALUE;
                for (int round = 0; round < 15; round++) {
                    long t0 = mx.getCurrentThreadCpuTime(), t1;
                    int reps = 0;
                    do {
                        if (op == 0) bh.consume(b.append()); else b.decode(bh);
                        reps++;
                        t1 = mx.getCurrentThreadCpuTime();
                    } while (t1 - t0 < 50_000_000L);
                    min = Math.min(min, (double) (t1 - t0) / reps / HistogramChunkBench.SAMPLES);
                }
                best[k][op] = min;
            }
        }
        System.out.printf("%nns/sample, thread CPU time, best of 15 rounds (%d observations/scrape, seed=false)%n", perScrape);
        System.out.printf("%-8s %12s %12s %16s %16s%n", "kind", "append", "decode", "append / xor", "decode / xor");
        for (int k = 0; k < kinds.length; k++) {
            System.out.printf("%-8s %12.2f %12.2f %16.1f %16.1f%n", kinds[k], best[k][0], best[k][1],
                    best[k][0] / best[0][0], best[k][1] / best[0][1]);
        }
    }
}
