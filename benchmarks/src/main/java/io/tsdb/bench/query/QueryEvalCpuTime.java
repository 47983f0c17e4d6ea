package io.tsdb.bench.query;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * Companion to {@link QueryEvalBenchmark} for busy shared machines: reports the evaluating thread's CPU
 * time per query (insensitive to other processes competing for cores) next to wall time.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.tsdb.bench.query.QueryEvalCpuTime [iterations]</pre>
 */
public final class QueryEvalCpuTime {
    private QueryEvalCpuTime() {}

    public static void main(String[] args) {
        int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        String[] queries = {"sum by (region) (rate(x[5m]))", "max by (region) (avg_over_time(x[10m]))", "topk(5, rate(x[5m]))"};
        for (String q : queries) {
            QueryEvalBenchmark b = new QueryEvalBenchmark();
            b.series = 10_000;
            b.query = q;
            b.setup();
            for (int i = 0; i < 3; i++) b.rangeQuery12h(); // warm-up
            long cpu0 = mx.getCurrentThreadCpuTime(), wall0 = System.nanoTime();
            for (int i = 0; i < iterations; i++) b.rangeQuery12h();
            double cpuMs = (mx.getCurrentThreadCpuTime() - cpu0) / 1e6 / iterations;
            double wallMs = (System.nanoTime() - wall0) / 1e6 / iterations;
            System.out.printf("%-45s cpu %8.1f ms/query   wall %8.1f ms/query%n", q, cpuMs, wallMs);
        }
    }
}
