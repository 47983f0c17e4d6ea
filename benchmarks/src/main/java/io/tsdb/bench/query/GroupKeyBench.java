package io.tsdb.bench.query;

import io.tsdb.core.Labels;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.util.HashSet;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Aggregation grouping keys, computed once per input series: {@code by (hostname)} and {@code without (hostname)}
 * over 10,000 TSBS-shaped label sets (eleven labels), with {@link Labels#keep}/{@link Labels#drop} (what
 * Aggregations does) against the TreeMap builder it used before (baseline, same run).
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar GroupKeyBench
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class GroupKeyBench {
    static final List<String> BY = List.of("hostname");
    Labels[] series;

    @Setup
    public void setup() {
        series = new Labels[10_000];
        for (int h = 0; h < series.length; h++) {
            series[h] = Labels.of("__name__", "cpu_usage_user", "arch", "x64", "datacenter", "eu-west-1a", "hostname", "host_" + h,
                    "os", "Ubuntu16", "rack", Integer.toString(h % 100), "region", "eu-west-1", "service", Integer.toString(h % 20),
                    "service_environment", "production", "service_version", "1", "team", "T" + h % 4);
        }
    }

    @Benchmark public void byKeep(Blackhole bh) { for (Labels l : series) bh.consume(l.keep(BY)); }

    @Benchmark public void byBuilder(Blackhole bh) {
        for (Labels l : series) bh.consume(l.toBuilder().keep(new HashSet<>(BY)).build());
    }

    @Benchmark public void withoutDrop(Blackhole bh) { for (Labels l : series) bh.consume(l.drop(BY, Labels.METRIC_NAME)); }

    @Benchmark public void withoutBuilder(Blackhole bh) {
        for (Labels l : series) {
            Labels.Builder b = l.toBuilder();
            for (String g : BY) b.del(g);
            b.del(Labels.METRIC_NAME);
            bh.consume(b.build());
        }
    }
}
