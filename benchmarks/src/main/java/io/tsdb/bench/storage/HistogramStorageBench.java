package io.tsdb.bench.storage;

import io.tsdb.bench.chunk.HistogramChunkBench;
import io.tsdb.core.AppendStatus;
import io.tsdb.core.Appender;
import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SampleCursor;
import io.tsdb.core.SeriesSet;
import io.tsdb.core.db.Tsdb;
import io.tsdb.core.db.TsdbOptions;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.histogram.Histogram;
import io.tsdb.core.wal.FsyncPolicy;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The storage path per sample, native histograms against float samples on the same series layout: append
 * ({@code Appender.append} / {@code appendHistogram} / {@code appendFloatHistogram} and commit, WAL on, no fsync)
 * and read back through a querier's cursor from the head and from a block ({@code value()} or
 * {@code histogram()} / {@code floatHistogram()} into a reused holder). {@link #SERIES} series of client-style
 * histograms ({@link HistogramChunkBench#latencyScrapes}, 20 observations per 15 s scrape); the float series carry
 * each histogram's count, so both kinds see the same counter. The chunk-level figures are
 * {@link HistogramChunkBench} and {@code ChunkBench}.
 *
 * <pre>
 * mvn -q -B -DskipTests -pl benchmarks -am package
 * FLAGS=$(sed -n 's:.*&lt;tsdb.jvm.flags&gt;\(.*\)&lt;/tsdb.jvm.flags&gt;.*:\1:p' pom.xml)
 * java -jar benchmarks/target/benchmarks.jar HistogramStorageBench -jvmArgsAppend "$FLAGS"
 * </pre>
 * ns/op is nanoseconds per sample.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
public class HistogramStorageBench {
    static final int SERIES = 100;
    /** Scrapes per series: 2 hours at 15 s. */
    static final int POINTS = 480;
    static final long STEP = 15_000, T0 = 1_700_000_000_000L;

    @Param({"float", "histogram", "floatHistogram"})
    public String kind;

    Labels[] labels;
    Histogram[][] hs;
    FloatHistogram[][] fhs;
    double[][] vs;
    final AtomicLong clock = new AtomicLong(T0);

    Path appendDir, headDir, blockDir;
    /** Appended to by {@link #append} (fresh per iteration). */
    Tsdb appendDb;
    Appender appender;
    long nextT;
    /** POINTS samples per series in the head, and the same in a block. */
    Tsdb headDb, blockDb;
    final Histogram outH = new Histogram();
    final FloatHistogram outF = new FloatHistogram();

    @Setup(Level.Trial)
    public void setup() throws Exception {
        labels = new Labels[SERIES];
        hs = new Histogram[SERIES][];
        fhs = new FloatHistogram[SERIES][POINTS];
        vs = new double[SERIES][POINTS];
        for (int s = 0; s < SERIES; s++) {
            labels[s] = Labels.of("__name__", "request_duration_seconds", "instance", "host-" + s, "job", "api");
            hs[s] = HistogramChunkBench.latencyScrapes(s + 1, 20, POINTS);
            for (int i = 0; i < POINTS; i++) {
                fhs[s][i] = hs[s][i].toFloat(new FloatHistogram());
                vs[s][i] = hs[s][i].count;
            }
        }
        headDir = Files.createTempDirectory("hist-bench-head");
        blockDir = Files.createTempDirectory("hist-bench-block");
        headDb = open(headDir);
        blockDb = open(blockDir);
        for (Tsdb db : List.of(headDb, blockDb)) {
            Appender a = db.appender();
            for (int i = 0; i < POINTS; i++) {
                long t = T0 + i * STEP;
                clock.set(Math.max(clock.get(), t));
                for (int s = 0; s < SERIES; s++) check(add(a, s, i, t), a);
                a.commit();
            }
        }
        blockDb.flush();
    }

    Tsdb open(Path dir) throws Exception {
        return Tsdb.open(TsdbOptions.builder(dir).walFsync(FsyncPolicy.NEVER).blockDuration(Duration.ofDays(365))
                .retention(Duration.ofDays(3650)).outOfOrderWindow(Duration.ZERO).futureTolerance(Duration.ofDays(3650)).build(), clock::get);
    }

    AppendStatus add(Appender a, int s, int i, long t) {
        return switch (kind) {
            case "float" -> a.append(labels[s], t, vs[s][i]);
            case "histogram" -> a.appendHistogram(labels[s], t, hs[s][i]);
            default -> a.appendFloatHistogram(labels[s], t, fhs[s][i]);
        };
    }

    static void check(AppendStatus st, Appender a) {
        if (st != AppendStatus.OK) throw new IllegalStateException(st + ": " + a.lastError());
    }

    @Setup(Level.Iteration)
    public void freshAppendDb() throws Exception {
        appendDir = Files.createTempDirectory("hist-bench-append");
        appendDb = open(appendDir);
        appender = appendDb.appender();
        nextT = T0;
    }

    @TearDown(Level.Iteration)
    public void closeAppendDb() throws Exception {
        appendDb.close();
        delete(appendDir);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        headDb.close();
        blockDb.close();
        delete(headDir);
        delete(blockDir);
    }

    static void delete(Path dir) throws Exception {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    /**
     * One scrape of every series, committed. The pre-generated scrapes repeat every {@link #POINTS} (a counter
     * reset every 2 hours of data, as a restarting client would show).
     */
    @Benchmark
    @OperationsPerInvocation(SERIES)
    public void append() throws Exception {
        long t = nextT;
        nextT += STEP;
        clock.set(Math.max(clock.get(), t));
        int i = (int) (((t - T0) / STEP) % POINTS);
        for (int s = 0; s < SERIES; s++) check(add(appender, s, i, t), appender);
        appender.commit();
    }

    @Benchmark
    @OperationsPerInvocation(SERIES * POINTS)
    public void readHead(Blackhole bh) {
        read(headDb, bh);
    }

    @Benchmark
    @OperationsPerInvocation(SERIES * POINTS)
    public void readBlock(Blackhole bh) {
        read(blockDb, bh);
    }

    private void read(Tsdb db, Blackhole bh) {
        int n = 0;
        try (Querier q = db.querier(Long.MIN_VALUE, Long.MAX_VALUE)) {
            SeriesSet ss = q.select(List.of(Matcher.eq("__name__", "request_duration_seconds")));
            while (ss.next()) {
                SampleCursor c = ss.cursor();
                while (c.next()) {
                    n++;
                    switch (c.sampleType()) {
                        case SampleCursor.FLOAT -> bh.consume(c.value());
                        case SampleCursor.HISTOGRAM -> bh.consume(c.histogram(outH).count);
                        default -> bh.consume(c.floatHistogram(outF).count);
                    }
                }
            }
        }
        if (n != SERIES * POINTS) throw new IllegalStateException("read " + n + " samples");
    }
}
