package io.tsdb.bench;

import io.tsdb.core.Appender;
import io.tsdb.core.AppendStatus;
import io.tsdb.core.Labels;
import io.tsdb.core.db.Tsdb;
import io.tsdb.core.db.TsdbOptions;
import io.tsdb.core.wal.FsyncPolicy;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Storage figures that are not micro-benchmarks: head memory per active series and WAL replay speed.
 * Results and the exact commands: docs/storage.md ("Figures"). FLAGS are the Chronicle Map JVM flags of the
 * parent pom ({@code tsdb.jvm.flags}).
 *
 * <pre>
 * java $FLAGS -cp benchmarks/target/benchmarks.jar io.tsdb.bench.StorageBench write DIR SERIES SAMPLES_PER_SERIES [close]
 *     ingests TSBS cpu-only shaped series (integer random walks 0..100, 10 s interval), prints ingest rate and
 *     head memory per series (heap after GC, off-heap chunks, RSS), then halts WITHOUT closing (like kill -9),
 *     or with "close" closes gracefully (flush to a block) first
 * java $FLAGS -cp benchmarks/target/benchmarks.jar io.tsdb.bench.StorageBench replay DIR
 *     opens the directory (registry load + WAL replay, or blocks after a graceful close) and prints the times
 * java $FLAGS -cp benchmarks/target/benchmarks.jar io.tsdb.bench.StorageBench replay DIR
 *     opens the directory (registry load + WAL replay) and prints samples/s
 * </pre>
 */
public final class StorageBench {
    static final String[] FIELDS = {"usage_user", "usage_system", "usage_idle", "usage_nice", "usage_iowait",
            "usage_irq", "usage_softirq", "usage_steal", "usage_guest", "usage_guest_nice"};
    static final long T0 = 1_700_000_000_000L;

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "write" -> write(Path.of(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]), args.length > 4 && args[4].equals("close"));
            case "replay" -> replay(Path.of(args[1]));
            default -> throw new IllegalArgumentException("usage: write DIR SERIES SAMPLES | replay DIR");
        }
    }

    static Labels series(int host, int field) {
        return Labels.of("__name__", "cpu_" + FIELDS[field], "hostname", "host_" + host, "region", "region_" + host % 9,
                "datacenter", "dc_" + host % 27, "rack", "rack_" + host % 100, "os", "Ubuntu" + host % 3,
                "arch", host % 2 == 0 ? "x64" : "arm64", "team", "team_" + host % 7, "service", "svc_" + host % 19,
                "service_version", "" + host % 2, "service_environment", host % 3 == 0 ? "production" : "staging");
    }

    static long heapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) { System.gc(); Thread.sleep(100); }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    static long rssBytes() throws Exception {
        for (String l : Files.readAllLines(Path.of("/proc/self/status")))
            if (l.startsWith("VmRSS:")) return Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024;
        return -1;
    }

    static void write(Path dir, int nSeries, int samplesPerSeries, boolean close) throws Exception {
        long heap0 = heapAfterGc(), rss0 = rssBytes();
        int hosts = (nSeries + FIELDS.length - 1) / FIELDS.length;
        Labels[] labels = new Labels[hosts * FIELDS.length];
        for (int h = 0; h < hosts; h++) for (int f = 0; f < FIELDS.length; f++) labels[h * FIELDS.length + f] = series(h, f);
        long nowMs = T0 + samplesPerSeries * 10_000L;
        Tsdb db = Tsdb.open(TsdbOptions.builder(dir).walFsync(FsyncPolicy.NEVER).registryCapacity(Math.max(nSeries, 1024)).build(), () -> nowMs);
        Random rnd = new Random(1);
        byte[] v = new byte[labels.length];
        for (int i = 0; i < v.length; i++) v[i] = (byte) rnd.nextInt(101);
        Appender a = db.appender();
        long t0 = System.nanoTime();
        long pcpu0 = processCpuNanos();
        long n = 0;
        for (int s = 0; s < samplesPerSeries; s++) {
            long ts = T0 + s * 10_000L;
            for (int i = 0; i < labels.length; i++) {
                int x = v[i] + rnd.nextInt(3) - 1;
                v[i] = (byte) Math.max(0, Math.min(100, x));
                if (a.append(labels[i], ts, v[i]) != AppendStatus.OK) throw new IllegalStateException(a.lastError());
                if (a.pending() == 10_000) a.commit();
                n++;
            }
        }
        a.commit();
        double secs = (System.nanoTime() - t0) / 1e9;
        double pcpu = (processCpuNanos() - pcpu0) / 1e9;
        labels = null;
        long heap1 = heapAfterGc(), rss1 = rssBytes();
        long series = db.activeSeries();
        System.out.printf("series=%d samples=%d ingest=%.0f samples/s wall, %.0f samples/CPU-s (process CPU %.1f s; 1 thread, 10k-sample commits, fsync never)%n",
                series, n, n / secs, n / pcpu, pcpu);
        System.out.printf("heap/series=%.0f B  offheap-used/series=%.0f B  offheap-reserved/series=%.0f B  head-estimate/series=%.0f B  RSS/series=%.0f B%n",
                (double) (heap1 - heap0) / series, (double) db.headOffHeapUsedBytes() / series,
                (double) db.headOffHeapReservedBytes() / series, (double) db.headMemoryBytes() / series, (double) (rss1 - rss0) / series);
        System.out.printf("wal bytes=%d (%.1f B/sample) head chunks=%d%n", db.walDiskBytes(), (double) db.walDiskBytes() / n, db.headChunks());
        System.out.flush();
        if (close) {
            long c0 = System.nanoTime();
            db.close();
            System.out.printf("graceful close (flush %d samples to a block) took %.2f s%n", n, (System.nanoTime() - c0) / 1e9);
            System.out.flush();
        }
        Runtime.getRuntime().halt(0);   // without "close": crash on purpose, the next open replays the WAL
    }

    static void replay(Path dir) throws Exception {
        long t0 = System.nanoTime();
        var threads = ManagementFactory.getThreadMXBean();
        long cpu0 = threads.getCurrentThreadCpuTime();
        try (Tsdb db = Tsdb.open(TsdbOptions.builder(dir).walFsync(FsyncPolicy.NEVER).build(), () -> Long.MAX_VALUE / 2)) {
            double secs = (System.nanoTime() - t0) / 1e9;
            double cpu = (threads.getCurrentThreadCpuTime() - cpu0) / 1e9;
            var r = db.walReplay();
            System.out.printf("open: main-thread CPU %.2f s; blocks=%d, %d samples in blocks%n",
                    cpu, db.blockCount(), db.stats().blockSamples());
            System.out.printf("open=%.2f s  series=%d  wal replay: %d samples in %d ms wall = %.2fM samples/s; %d ms process CPU = %.2fM samples/CPU-s (%d corruptions)%n",
                    secs, db.activeSeries(), r.samples(), r.millis(), r.samples() / Math.max(1e-3, r.millis() / 1e3) / 1e6,
                    r.cpuMillis(), r.samples() / Math.max(1e-3, r.cpuMillis() / 1e3) / 1e6, r.corruptions());
        }
    }
}
