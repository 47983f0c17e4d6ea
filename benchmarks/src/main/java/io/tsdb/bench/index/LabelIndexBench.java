package io.tsdb.bench.index;

import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.index.LabelIndex;
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
import org.openjdk.jmh.annotations.Warmup;
import org.roaringbitmap.RoaringBitmap;

import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Series selection on the bitmap label index at 10k and 1M series (TSBS cpu-only label shape: ten metrics
 * per host, ten host tags), against a naive baseline that tests every series' labels with the matchers.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar LabelIndexBench
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx6g"})
public class LabelIndexBench {
    static final String[] FIELDS = {"usage_user", "usage_system", "usage_idle", "usage_nice", "usage_iowait",
            "usage_irq", "usage_softirq", "usage_steal", "usage_guest", "usage_guest_nice"};
    static final String[] REGIONS = {"us-east-1", "us-west-1", "us-west-2", "eu-west-1", "eu-central-1",
            "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "sa-east-1"};

    @Param({"10000", "1000000"})
    public int series;

    LabelIndex index;
    Labels[] all;

    /** One host, one metric: two equality matchers (an intersection of two small bitmaps). */
    List<Matcher> oneSeries;
    /** One metric in one region: equality on two large bitmaps. */
    List<Matcher> metricInRegion;
    /** One metric, eight hosts by a regex of a finite set (host_(1|...|8)): answered by dictionary lookups. */
    List<Matcher> eightHostsRegex;
    /** The same eight hosts by a regex with a character class (host_[1-8]): run over the hostname dictionary. */
    List<Matcher> eightHostsRegexScan;
    /** All metrics of one host except one (negative matcher). */
    List<Matcher> hostNotIdle;

    @Setup
    public void setup() {
        int hosts = series / FIELDS.length;
        index = new LabelIndex();
        all = new Labels[series];
        SplittableRandom r = new SplittableRandom(42);
        int id = 0;
        for (int h = 0; h < hosts; h++) {
            String region = REGIONS[r.nextInt(REGIONS.length)];
            String[] tags = {"arch", r.nextBoolean() ? "x64" : "x86", "datacenter", region + (char) ('a' + r.nextInt(3)),
                    "hostname", "host_" + h, "os", "Ubuntu" + (15 + r.nextInt(2)), "rack", Integer.toString(r.nextInt(100)),
                    "region", region, "service", Integer.toString(r.nextInt(20)), "service_environment",
                    r.nextBoolean() ? "production" : "staging", "service_version", Integer.toString(r.nextInt(2)),
                    "team", "T" + r.nextInt(4)};
            for (String f : FIELDS) {
                String[] kv = new String[tags.length + 2];
                kv[0] = "__name__";
                kv[1] = "cpu_" + f;
                System.arraycopy(tags, 0, kv, 2, tags.length);
                all[id] = index.add(id, Labels.of(kv));
                id++;
            }
        }
        String host = "host_" + (hosts / 2);
        oneSeries = List.of(Matcher.eq("__name__", "cpu_usage_user"), Matcher.eq("hostname", host));
        metricInRegion = List.of(Matcher.eq("__name__", "cpu_usage_user"), Matcher.eq("region", "eu-west-1"));
        eightHostsRegex = List.of(Matcher.eq("__name__", "cpu_usage_user"), Matcher.re("hostname", "host_(1|2|3|4|5|6|7|8)"));
        eightHostsRegexScan = List.of(Matcher.eq("__name__", "cpu_usage_user"), Matcher.re("hostname", "host_[1-8]"));
        hostNotIdle = List.of(Matcher.eq("hostname", host), Matcher.neq("__name__", "cpu_usage_idle"));
    }

    @Benchmark public RoaringBitmap oneSeries() { return index.select(oneSeries); }

    @Benchmark public RoaringBitmap metricInRegion() { return index.select(metricInRegion); }

    @Benchmark public RoaringBitmap eightHostsRegex() { return index.select(eightHostsRegex); }

    /** Before RegexSet: the same selection as {@link #eightHostsRegex} by running the regex over every hostname. */
    @Benchmark public RoaringBitmap eightHostsRegexScan() { return index.select(eightHostsRegexScan); }

    @Benchmark public RoaringBitmap hostNotIdle() { return index.select(hostNotIdle); }

    @Benchmark public long countMetricInRegion() { return index.count(metricInRegion); }

    /** Baseline: test every series against the matchers (what an index avoids). */
    @Benchmark public int naiveMetricInRegion() { return naive(metricInRegion); }

    @Benchmark public int naiveEightHostsRegex() { return naive(eightHostsRegex); }

    private int naive(List<Matcher> ms) {
        int n = 0;
        outer:
        for (Labels l : all) {
            for (Matcher m : ms) if (!m.matches(l)) continue outer;
            n++;
        }
        return n;
    }
}
