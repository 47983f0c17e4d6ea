package io.tsdb.bench.block;

import io.tsdb.bench.TsbsCpuData;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SampleCursor;
import io.tsdb.core.SeriesSet;
import io.tsdb.core.block.Block;
import io.tsdb.core.block.BlockMeta;
import io.tsdb.core.block.BlockWriter;
import org.openjdk.jmh.annotations.*;
import org.openjdk.jmh.infra.Blackhole;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Reading a block through its Querier: selection + chunk decode + cursor iteration, per sample.
 * 100 TSBS hosts (1,000 series) x 12 h at 10 s = 4.32M samples.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar BlockReadBenchmark</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", "-Xmx1g"})
public class BlockReadBenchmark {
    static final int HOSTS = 100, SAMPLES = 4320;
    static final int TOTAL = HOSTS * 10 * SAMPLES;

    Path dir;
    Block block;
    TsbsCpuData data;

    @Setup public void setup() throws Exception {
        dir = Files.createTempDirectory("block-read-bench");
        data = new TsbsCpuData(HOSTS, 1_700_000_000_000L, 10_000, SAMPLES, 42);
        BlockMeta m = new BlockWriter(dir).write(data.seriesSet(), data.startMs, data.endMs());
        block = Block.open(dir.resolve(m.ulid()));
    }

    @TearDown public void tearDown() throws Exception {
        block.close();
        try (Stream<Path> w = Files.walk(dir)) { w.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete()); }
    }

    /** All samples of all series. */
    @Benchmark @OperationsPerInvocation(TOTAL)
    public double scanAll() {
        double sum = 0;
        try (Querier q = block.querier(data.startMs, data.endMs())) {
            SeriesSet s = q.select(List.of(Matcher.re("__name__", "cpu_.*")));
            while (s.next()) {
                SampleCursor c = s.cursor();
                while (c.next()) sum += c.value();
            }
        }
        return sum;
    }

    /** One metric of every host over the last hour (seek into the chunks). Reported per series. */
    @Benchmark @OperationsPerInvocation(HOSTS)
    public void lastHourOneMetric(Blackhole bh) {
        try (Querier q = block.querier(data.endMs() - 3600_000, data.endMs())) {
            SeriesSet s = q.select(List.of(Matcher.eq("__name__", "cpu_usage_user")));
            while (s.next()) {
                SampleCursor c = s.cursor();
                while (c.next()) bh.consume(c.value());
            }
        }
    }

    /** Exact cardinality from bitmaps: series of two regions for one metric. */
    @Benchmark
    public long seriesCount() {
        try (Querier q = block.querier(data.startMs, data.endMs())) {
            return q.seriesCount(List.of(Matcher.eq("__name__", "cpu_usage_user"), Matcher.re("region", "us-.*|eu-west-1")));
        }
    }
}
