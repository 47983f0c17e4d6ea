package io.tsdb.bench.storage;

import io.tsdb.bench.TsbsCpuData;
import io.tsdb.core.Appender;
import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SeriesSet;
import io.tsdb.core.db.Tsdb;
import io.tsdb.core.db.TsdbOptions;
import io.tsdb.core.wal.FsyncPolicy;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code Querier.seriesCount} on a {@code Tsdb} (the query cost estimate) for a range holding all data (label
 * index cardinality), a range inside the head, and a range spanning a block and the head (distinct series
 * merged by labels), against counting the series {@code select} returns over the same spanning range.
 * TSBS cpu-only series, 12 samples each at 10 min: the first 6 flushed into a block, the rest in the head (the data spans 110 min).
 *
 * <pre>
 * mvn -q -B -DskipTests -pl benchmarks -am package
 * FLAGS=$(sed -n 's:.*&lt;tsdb.jvm.flags&gt;\(.*\)&lt;/tsdb.jvm.flags&gt;.*:\1:p' pom.xml)
 * java -jar benchmarks/target/benchmarks.jar SeriesCountBenchmark -jvmArgsAppend "$FLAGS"
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
public class SeriesCountBenchmark {
    static final long STEP = 600_000, T0 = 1_700_000_000_000L;
    static final int POINTS = 12;

    /** TSBS hosts (10 series each). */
    @Param({"10000"})
    public int hosts;

    /** One metric (hosts series) or all ten (10 x hosts series). */
    @Param({"cpu_usage_user", "cpu_.*"})
    public String metric;

    Path dir;
    Tsdb db;
    List<Matcher> matchers;

    @Setup public void setup() throws Exception {
        dir = Files.createTempDirectory("series-count-bench");
        TsbsCpuData data = new TsbsCpuData(hosts, T0, STEP, POINTS, 42);
        long end = T0 + (POINTS - 1) * STEP;
        db = Tsdb.open(TsdbOptions.builder(dir).walFsync(FsyncPolicy.NEVER).blockDuration(Duration.ofHours(24))
                .retention(Duration.ofDays(365)).registryCapacity(hosts * 10L).build(), () -> end);
        Labels[][] ls = new Labels[hosts][TsbsCpuData.FIELDS.length];
        for (int h = 0; h < hosts; h++) for (int f = 0; f < ls[h].length; f++) ls[h][f] = Labels.of(data.labels[h][f]);
        Appender a = db.appender();
        for (int p = 0; p < POINTS; p++) {
            if (p == POINTS / 2) db.flush();
            for (Labels[] host : ls) for (Labels l : host) a.append(l, T0 + p * STEP, p);
            a.commit();
        }
        matchers = List.of(metric.contains("*") ? Matcher.re("__name__", metric) : Matcher.eq("__name__", metric));
        if (db.blockCount() != 1) throw new IllegalStateException("expected one block, have " + db.blockCount());
    }

    @TearDown public void tearDown() throws Exception {
        db.close();
        try (Stream<Path> w = Files.walk(dir)) { w.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete()); }
    }

    /** [min, max]: the label index's bitmap cardinality. */
    @Benchmark public long countAllData() {
        try (Querier q = db.querier(Long.MIN_VALUE, Long.MAX_VALUE)) { return q.seriesCount(matchers); }
    }

    /** The last 15 minutes: head only, per-series time bounds. */
    @Benchmark public long countHeadRange() {
        long end = T0 + (POINTS - 1) * STEP;
        try (Querier q = db.querier(end - 900_000, end)) { return q.seriesCount(matchers); }
    }

    /** The last hour: the newest block sample and the head, series present in both counted once. */
    @Benchmark public long countSpanning() {
        long end = T0 + (POINTS - 1) * STEP;
        try (Querier q = db.querier(end - 3_600_000, end)) { return q.seriesCount(matchers); }
    }

    /** Baseline: the series select returns over the spanning range (what evaluation iterates). */
    @Benchmark public long selectSpanning() {
        long end = T0 + (POINTS - 1) * STEP;
        try (Querier q = db.querier(end - 3_600_000, end)) {
            SeriesSet s = q.select(matchers);
            long n = 0;
            while (s.next()) n++;
            return n;
        }
    }
}
