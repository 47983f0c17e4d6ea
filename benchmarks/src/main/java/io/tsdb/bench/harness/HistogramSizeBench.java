package io.tsdb.bench.harness;

import io.tsdb.bench.chunk.HistogramChunkBench;
import io.tsdb.core.AppendStatus;
import io.tsdb.core.Appender;
import io.tsdb.core.Labels;
import io.tsdb.core.db.Tsdb;
import io.tsdb.core.db.TsdbOptions;
import io.tsdb.core.histogram.Histogram;
import io.tsdb.core.wal.FsyncPolicy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Bytes per native histogram sample in a block, ours against Prometheus 2.42 (the Debian package, started as a
 * child process with {@code --enable-feature=native-histograms} on an ephemeral loopback port) on the same data:
 * {@code --series} series of client-style integer histograms ({@link HistogramChunkBench#latencyScrapes}: schema
 * 3, log-normal latencies, {@code --per-scrape} observations per scrape) every {@code --interval-s} seconds for
 * {@code --hours}, ending now. Ours are written in-process through the {@code Appender} and flushed to a block;
 * Prometheus is fed the same histograms by remote write 1.0 ({@code TimeSeries.histograms}, {@link RemoteWriteEncoder})
 * and its head is written to a block by a snapshot ({@code skip_head=false}). Both blocks are level 1, cut from
 * the head. Reported: bytes of the chunk segment files and of the whole block directory (chunks, index, meta,
 * tombstones) per histogram sample, file sizes (not allocated blocks).
 *
 * <pre>
 * mvn -q -B -DskipTests -pl benchmarks -am package
 * FLAGS=$(sed -n 's:.*&lt;tsdb.jvm.flags&gt;\(.*\)&lt;/tsdb.jvm.flags&gt;.*:\1:p' pom.xml)
 * java $FLAGS -cp benchmarks/target/benchmarks.jar io.tsdb.bench.harness.HistogramSizeBench --series=200 --hours=2
 * </pre>
 */
public final class HistogramSizeBench {
    private HistogramSizeBench() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> o = Harness.options(args);
        int series = Integer.parseInt(o.getOrDefault("series", "200"));
        double hours = Double.parseDouble(o.getOrDefault("hours", "2"));
        int intervalS = Integer.parseInt(o.getOrDefault("interval-s", "15"));
        int perScrape = Integer.parseInt(o.getOrDefault("per-scrape", "20"));
        Path work = Path.of(o.getOrDefault("work", "benchmarks/target/histogram-size"));
        long interval = intervalS * 1000L;
        int points = (int) Math.round(hours * 3600_000 / interval);
        long end = System.currentTimeMillis() / interval * interval;
        long start = end - (points - 1) * interval;
        Harness.deleteTree(work);
        Files.createDirectories(work);

        Histogram[][] data = new Histogram[series][];
        Labels[] labels = new Labels[series];
        byte[][] wireLabels = new byte[series][];
        long buckets = 0;
        for (int s = 0; s < series; s++) {
            data[s] = HistogramChunkBench.latencyScrapes(1000 + s, perScrape, points);
            String[] kv = {"__name__", "request_duration_seconds", "instance", "host-" + s, "job", "api"};
            labels[s] = Labels.of(kv);
            wireLabels[s] = RemoteWriteEncoder.encodeLabels(kv);
            for (Histogram h : data[s]) buckets += h.positiveCount + h.negativeCount;
        }
        long samples = (long) series * points;
        System.out.printf(Locale.ROOT, "data: %d series x %d histograms (%d s apart) = %,d histogram samples, %.1f buckets per sample, %d observations per scrape%n",
                series, points, intervalS, samples, buckets / (double) samples, perScrape);

        // ours, through the Appender
        Path ours = work.resolve("tsdb");
        try (Tsdb db = Tsdb.open(TsdbOptions.builder(ours).walFsync(FsyncPolicy.NEVER).blockDuration(Duration.ofDays(1))
                .outOfOrderWindow(Duration.ZERO).build())) {
            Appender a = db.appender();
            for (int i = 0; i < points; i++) {
                for (int s = 0; s < series; s++) {
                    AppendStatus st = a.appendHistogram(labels[s], start + i * interval, data[s][i]);
                    if (st != AppendStatus.OK) throw new IllegalStateException(st + ": " + a.lastError());
                }
                a.commit();
            }
            db.flush();
        }
        Path ourBlock = onlyBlock(ours.resolve("blocks"));

        // Prometheus, through remote write
        Targets.Prometheus p = new Targets.Prometheus(work);
        p.extraFlags.add("--enable-feature=native-histograms");
        Path promBlock;
        try {
            p.start();
            RemoteWriteEncoder enc = new RemoteWriteEncoder();
            int perRequest = Math.max(1, 2000 / series);   // about 2,000 histograms per request
            for (int i = 0; i < points; i += perRequest) {
                for (int s = 0; s < series; s++) {
                    for (int k = i; k < Math.min(points, i + perRequest); k++) enc.addHistogramSeries(wireLabels[s], start + k * interval, data[s][k]);
                }
                int code = p.post("/api/v1/write", enc.finish(), "Content-Encoding", "snappy", "Content-Type", "application/x-protobuf",
                        "X-Prometheus-Remote-Write-Version", "0.1.0");
                if (code / 100 != 2) throw new IOException("prometheus remote write answered " + code + "; see " + p.logFile);
            }
            String count = p.get("/api/v1/query?query=count(count_over_time(request_duration_seconds[1d]))");
            System.out.println("prometheus series check: " + count);
            int code = p.post("/api/v1/admin/tsdb/snapshot?skip_head=false", new byte[0]);
            if (code != 200) throw new IOException("prometheus snapshot answered " + code);
            Path snaps = p.dataDir.resolve("snapshots");
            promBlock = onlyBlock(onlyChild(snaps));
        } finally {
            p.stop();
        }
        long promSamples = metaSamples(promBlock);
        if (promSamples != samples) throw new IllegalStateException("prometheus block holds " + promSamples + " samples, sent " + samples);
        long ourSamples = metaSamples(ourBlock);
        if (ourSamples != samples) throw new IllegalStateException("our block holds " + ourSamples + " samples, wrote " + samples);

        long ourChunks = size(ourBlock.resolve("chunks")), ourAll = size(ourBlock);
        long promChunks = size(promBlock.resolve("chunks")), promAll = size(promBlock);
        System.out.printf(Locale.ROOT, "%-12s %14s %12s %14s %12s%n", "", "chunks bytes", "B/sample", "block bytes", "B/sample");
        System.out.printf(Locale.ROOT, "%-12s %,14d %12.2f %,14d %12.2f%n", "tsdb", ourChunks, ourChunks / (double) samples, ourAll, ourAll / (double) samples);
        System.out.printf(Locale.ROOT, "%-12s %,14d %12.2f %,14d %12.2f%n", "prometheus", promChunks, promChunks / (double) samples, promAll, promAll / (double) samples);
        System.out.printf(Locale.ROOT, "ratio ours/prometheus: chunks %.3f, block %.3f (%s)%n",
                ourChunks / (double) promChunks, ourAll / (double) promAll, p.version());
    }

    static Path onlyChild(Path dir) throws IOException {
        List<Path> c = Target.children(dir);
        if (c.size() != 1) throw new IllegalStateException("expected one entry in " + dir + ": " + c);
        return c.get(0);
    }

    /** The only block directory (a directory with a meta.json) under dir. */
    static Path onlyBlock(Path dir) throws IOException {
        List<Path> blocks = Target.children(dir).stream().filter(b -> Files.exists(b.resolve("meta.json"))).toList();
        if (blocks.size() != 1) throw new IllegalStateException("expected one block in " + dir + ": " + blocks);
        return blocks.get(0);
    }

    static long metaSamples(Path block) throws IOException {
        var meta = Harness.JSON.readTree(block.resolve("meta.json").toFile());
        var stats = meta.get("stats");
        return stats != null ? stats.get("numSamples").asLong() : meta.get("numSamples").asLong();
    }

    static long size(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            long n = 0;
            for (Path f : s.filter(Files::isRegularFile).toList()) n += Files.size(f);
            return n;
        }
    }
}
