package io.tsdb.bench.ingest;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * CPU-time companion of {@link IngestParseBenchmark}: on a shared, oversubscribed machine wall-clock JMH
 * scores mostly measure waiting for a core; thread CPU time per sample does not. Same data and code paths.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.tsdb.bench.ingest.IngestParseCpuTime
 * </pre>
 */
public final class IngestParseCpuTime {
    public static void main(String[] args) {
        IngestParseBenchmark b = new IngestParseBenchmark();
        b.setup();
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        String[] names = {"remoteWriteDecode", "remoteWriteSnappyAndDecode", "influxLines", "prometheusText"};
        Runnable[] runs = {b::runRemoteWrite, () -> b.remoteWriteSnappyAndDecode(), b::runInflux, b::runPromText};
        for (int round = 0; round < 2; round++) { // round 0 warms up
            for (int i = 0; i < runs.length; i++) {
                long best = Long.MAX_VALUE;
                for (int rep = 0; rep < 10; rep++) {
                    int iters = 200;
                    long c0 = mx.getCurrentThreadCpuTime();
                    for (int k = 0; k < iters; k++) runs[i].run();
                    long c1 = mx.getCurrentThreadCpuTime();
                    best = Math.min(best, (c1 - c0) / iters);
                }
                if (round == 1) {
                    System.out.printf("%-28s %8.1f ns CPU/sample  (%.1f M samples/s per core)%n", names[i],
                            best / (double) IngestParseBenchmark.SAMPLES, IngestParseBenchmark.SAMPLES * 1e3 / best);
                }
            }
        }
    }
}
