package io.tsdb.bench.query;

import io.tsdb.core.Labels;
import io.tsdb.query.engine.PromqlEngine;
import io.tsdb.query.engine.QueryOptions;
import io.tsdb.query.engine.QueryResult;
import io.tsdb.query.engine.QueryShards;
import io.tsdb.query.engine.Value;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * PromQL evaluation over in-memory data: 10,000 counter series (10 regions), 12 h of samples every
 * 15 s, range queries over the whole 12 h with a 60 s step (721 steps).
 *
 * <pre>
 * mvn -q -DskipTests package -pl benchmarks -am
 * java -jar benchmarks/target/benchmarks.jar QueryEvalBenchmark
 * java -jar benchmarks/target/benchmarks.jar QueryEvalBenchmark -p query='sum by (region) (rate(x[5m]))'   (1 and 2 shards)
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xmx3g"})
public class QueryEvalBenchmark {
    static final long HOURS_12 = 12 * 3_600_000L;
    static final long SCRAPE_MS = 15_000L;

    @Param({"10000"})
    public int series;

    @Param({"sum by (region) (rate(x[5m]))", "max by (region) (avg_over_time(x[10m]))", "topk(5, rate(x[5m]))"})
    public String query;

    /** Shards of a large aggregation ({@link QueryShards}; 1: every query on the benchmark's thread). */
    @Param({"1", "2"})
    public int parallelism;

    PromqlEngine engine;
    QueryOptions options;

    @Setup(Level.Trial)
    public void setup() {
        int samples = (int) (HOURS_12 / SCRAPE_MS) + 1;
        Labels[] labels = new Labels[series];
        double[][] values = new double[series][];
        SplittableRandom rnd = new SplittableRandom(42);
        for (int s = 0; s < series; s++) {
            labels[s] = Labels.of("__name__", "x", "host", "host_" + s, "region", "region_" + (s % 10),
                    "service", "svc_" + (s % 37));
            double[] v = new double[samples];
            double c = rnd.nextInt(1000);
            for (int i = 0; i < samples; i++) {
                c += rnd.nextInt(100);
                if (rnd.nextInt(10_000) == 0) c = 0; // occasional counter reset
                v[i] = c;
            }
            values[s] = v;
        }
        engine = new PromqlEngine(new RegularStorage(labels, values, SCRAPE_MS), QueryOptions.DEFAULTS, 60_000L,
                new QueryShards(parallelism, QueryShards.DEFAULT_MIN_WORK));
        options = new QueryOptions(QueryOptions.DEFAULT_LOOKBACK_MS, 120_000, 200_000_000L, 0, false);
    }

    @Benchmark
    public Object rangeQuery12h() {
        QueryResult r = engine.range(query, 0, HOURS_12, 60_000L, options);
        return ((Value.Matrix) r.value()).series().size();
    }
}
