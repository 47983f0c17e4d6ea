package io.tsdb.bench.storage;

import io.tsdb.bench.TsbsCpuData;
import io.tsdb.core.AppendStatus;
import io.tsdb.core.Appender;
import io.tsdb.core.Labels;
import io.tsdb.core.db.Tsdb;
import io.tsdb.core.db.TsdbOptions;
import io.tsdb.core.wal.FsyncPolicy;

import javax.management.ObjectName;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Head memory per active series (issue 3: at most 1 KiB per series), measured at several series counts, each
 * in its own child JVM with fixed flags. A child opens a {@link Tsdb} in a fresh temporary directory, takes a
 * baseline (RSS, live heap after full GC, registry mapping), ingests 1 h of 10 s samples (360 per series,
 * TSBS cpu-only label sets: {@code __name__} plus 10 host tags, integer random walks 0..100) through the
 * public {@link Appender} without flushing, drops the generator's data and measures again:
 * <ul>
 *   <li>RSS: VmRSS of /proc/self/status minus the baseline; also split into the Chronicle Map registry
 *       files' mapped pages (/proc/self/smaps, every file mapping under the data directory) and the rest
 *       ("RSS excl. registry");</li>
 *   <li>live heap after full GC (MemoryMXBean used) minus the baseline; committed heap;</li>
 *   <li>off-heap head chunks: bytes handed out to chunks and bytes reserved in slabs ({@link Tsdb#headOffHeapUsedBytes()}),
 *       plus all direct buffers of the JVM (BufferPoolMXBean "direct").</li>
 * </ul>
 * Results and the command: docs/storage.md ("Head memory").
 *
 * <pre>
 * java $FLAGS -cp benchmarks/target/benchmarks.jar io.tsdb.bench.storage.HeadMemoryBench [--series 100000,1000000]
 *     [--gc G1|Parallel|Serial] [--xmx 3g] [--samples 360] [--histo 30] [--dir /tmp]
 * </pre>
 * {@code --histo K} prints the K biggest classes of the child's heap histogram (GC.class_histogram) after ingest.
 */
public final class HeadMemoryBench {
    static final long T0 = 1_700_000_000_000L;
    static final long INTERVAL_MS = 10_000;

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("child")) {
            child(Integer.parseInt(args[1]), Integer.parseInt(args[2]), Path.of(args[3]), Integer.parseInt(args[4]));
            return;
        }
        String series = "100000,1000000", gc = "G1", xmx = "3g", dir = System.getProperty("java.io.tmpdir");
        int samples = 360, histo = 0;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--series" -> series = args[++i];
                case "--gc" -> gc = args[++i];
                case "--xmx" -> xmx = args[++i];
                case "--samples" -> samples = Integer.parseInt(args[++i]);
                case "--histo" -> histo = Integer.parseInt(args[++i]);
                case "--dir" -> dir = args[++i];
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + "; usage: [--series N,N] [--gc G1|Parallel|Serial] [--xmx 3g] [--samples 360] [--histo K] [--dir DIR]");
            }
        }
        List<String> jvm = childJvmFlags(gc, xmx);
        System.out.println("child JVM flags: " + String.join(" ", jvm.stream().filter(f -> !f.startsWith("--add-")).toList())
                + " (plus the Chronicle Map --add-opens/--add-exports)");
        List<Map<String, String>> rows = new ArrayList<>();
        for (String n : series.split(",")) {
            Path tmp = Files.createTempDirectory(Path.of(dir), "headmem-");
            try {
                rows.add(runChild(jvm, Integer.parseInt(n.trim().replace("_", "")), samples, tmp, histo));
            } finally {
                deleteTree(tmp);
            }
        }
        printTable(rows);
    }

    static List<String> childJvmFlags(String gc, String xmx) {
        List<String> f = new ArrayList<>();
        f.add("-Xms16m");
        f.add("-Xmx" + xmx);
        f.add("-XX:+Use" + gc + "GC");
        // shrink the heap after the full GCs of the measurement, so RSS reflects live data rather than headroom
        f.add("-XX:MinHeapFreeRatio=5");
        f.add("-XX:MaxHeapFreeRatio=10");
        f.add("-XX:-AlwaysPreTouch");
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments())
            if (a.startsWith("--add-opens") || a.startsWith("--add-exports") || a.startsWith("-Dchronicle")) f.add(a);
        return f;
    }

    static Map<String, String> runChild(List<String> jvm, int n, int samples, Path dir, int histo) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvm);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(HeadMemoryBench.class.getName());
        cmd.addAll(List.of("child", Integer.toString(n), Integer.toString(samples), dir.toString(), Integer.toString(histo)));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        Map<String, String> row = new LinkedHashMap<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith("RESULT ")) {
                    String[] kv = line.substring(7).split("=", 2);
                    row.put(kv[0], kv[1]);
                } else if (!line.contains("INFO") && !line.contains("WARN ") && !line.startsWith("[")) {
                    System.out.println("  [" + n + "] " + line);
                }
            }
        }
        int rc = p.waitFor();
        if (rc != 0) throw new IllegalStateException("child for " + n + " series exited with " + rc);
        return row;
    }

    static void printTable(List<Map<String, String>> rows) {
        if (rows.isEmpty()) return;
        List<String> keys = new ArrayList<>(rows.get(0).keySet());
        System.out.println();
        StringBuilder sb = new StringBuilder(String.format("%-34s", "per active series (bytes)"));
        for (Map<String, String> r : rows) sb.append(String.format("%14s", r.get("series")));
        System.out.println(sb);
        for (String k : keys) {
            if (k.equals("series")) continue;
            sb = new StringBuilder(String.format("%-34s", k));
            for (Map<String, String> r : rows) sb.append(String.format("%14s", r.getOrDefault(k, "-")));
            System.out.println(sb);
        }
    }

    // ---- child ---------------------------------------------------------------------------------------

    static void child(int nSeries, int samples, Path dir, int histo) throws Exception {
        long endMs = T0 + samples * INTERVAL_MS;
        // default registry sizing (first tier 8,192 series, each next tier twice larger), as the server opens it
        Tsdb db = Tsdb.open(TsdbOptions.builder(dir).walFsync(FsyncPolicy.NEVER).build(), () -> endMs);
        long heap0 = heapAfterGc(), rss0 = rssBytes("VmRSS"), anon0 = rssBytes("RssAnon"), reg0 = mappedRss(dir), direct0 = directBytes();

        int hosts = (nSeries + TsbsCpuData.FIELDS.length - 1) / TsbsCpuData.FIELDS.length;
        TsbsCpuData data = new TsbsCpuData(hosts, T0, INTERVAL_MS, samples, 1);
        Labels[] labels = new Labels[nSeries];
        for (int i = 0; i < nSeries; i++) labels[i] = Labels.of(data.labels[i / TsbsCpuData.FIELDS.length][i % TsbsCpuData.FIELDS.length]);
        data = null;
        Random rnd = new Random(1);
        float[] x = new float[nSeries];
        for (int i = 0; i < nSeries; i++) x[i] = rnd.nextFloat() * 100;
        Appender a = db.appender();
        long t0 = System.nanoTime();
        for (int s = 0; s < samples; s++) {
            long ts = T0 + s * INTERVAL_MS;
            for (int i = 0; i < nSeries; i++) {
                float v = (float) Math.max(0, Math.min(100, x[i] + rnd.nextGaussian()));
                x[i] = v;
                if (a.append(labels[i], ts, Math.rint(v)) != AppendStatus.OK) throw new IllegalStateException(a.lastError());
                if (a.pending() == 10_000) a.commit();
            }
        }
        a.commit();
        double secs = (System.nanoTime() - t0) / 1e9;
        labels = null;
        x = null;
        a = null;
        long heap1 = heapAfterGc(), rss1 = rssBytes("VmRSS"), anon1 = rssBytes("RssAnon"), reg1 = mappedRss(dir), direct1 = directBytes();
        MemoryUsage hu = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        long n = db.activeSeries();
        if (n != nSeries || db.headSamples() != (long) nSeries * samples)
            throw new IllegalStateException("expected " + nSeries + " series and " + (long) nSeries * samples + " samples, head has " + n + " and " + db.headSamples());
        System.out.printf("ingested %d samples in %.1f s (%.2fM samples/s); baseline after open: RSS %d MiB, heap %d MiB%n",
                db.headSamples(), secs, db.headSamples() / secs / 1e6, rss0 >> 20, heap0 >> 20);
        result("series", String.format("%,d", n));
        result("RSS", per(rss1 - rss0, n));
        result("  of which registry mapping", per(reg1 - reg0, n));
        result("RSS excl. registry mapping", per(rss1 - rss0 - (reg1 - reg0), n));
        result("RSS anonymous (RssAnon)", per(anon1 - anon0, n));
        result("heap live after GC", per(heap1 - heap0, n));
        result("off-heap chunks used", per(db.headOffHeapUsedBytes(), n));
        result("off-heap chunks reserved", per(db.headOffHeapReservedBytes(), n));
        result("live (heap + off-heap used)", per(heap1 - heap0 + db.headOffHeapUsedBytes(), n));
        result("direct buffers (all)", per(direct1 - direct0, n));
        result("heap committed (total MiB)", Long.toString(hu.getCommitted() >> 20));
        result("head chunks per series", String.format("%.2f", (double) db.headChunks() / n));
        result("ingest M samples/s", String.format("%.2f", db.headSamples() / secs / 1e6));
        if (histo > 0) histogram(histo);
        System.out.flush();
        Runtime.getRuntime().halt(0);   // no flush/close: the head is what was measured; the parent deletes the dir
    }

    static void result(String key, String value) { System.out.println("RESULT " + key + "=" + value); }

    static String per(long bytes, long n) { return String.format("%.0f", (double) bytes / n); }

    /**
     * Live heap after full GCs; then waits until RSS settles (G1 uncommits the shrunk heap in the background
     * after the GC returns), at most 20 s.
     */
    static long heapAfterGc() throws Exception {
        for (int i = 0; i < 3; i++) { System.gc(); Thread.sleep(200); }
        long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        long prev = rssBytes("VmRSS");
        for (int i = 0; i < 40; i++) {
            Thread.sleep(500);
            long now = rssBytes("VmRSS");
            if (Math.abs(now - prev) < (1 << 20) && i >= 3) break;
            prev = now;
        }
        return used;
    }

    /** A resident-memory figure of /proc/self/status (VmRSS, RssAnon, RssFile), in bytes. */
    static long rssBytes(String key) throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/self/status")))
            if (l.startsWith(key + ":")) return Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024;
        throw new IllegalStateException("no " + key + " in /proc/self/status");
    }

    /** Resident bytes of file mappings under {@code dir} (the registry's Chronicle Map file), from /proc/self/smaps. */
    static long mappedRss(Path dir) throws IOException {
        String prefix = dir.toRealPath().toString();
        long sum = 0;
        boolean in = false;
        for (String l : Files.readAllLines(Path.of("/proc/self/smaps"))) {
            if (l.matches("^[0-9a-f]+-[0-9a-f]+ .*")) in = l.contains(prefix);
            else if (in && l.startsWith("Rss:")) sum += Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024;
        }
        return sum;
    }

    static long directBytes() {
        for (BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class))
            if (b.getName().equals("direct")) return b.getMemoryUsed();
        return 0;
    }

    static void histogram(int top) throws Exception {
        String h = (String) ManagementFactory.getPlatformMBeanServer().invoke(new ObjectName("com.sun.management:type=DiagnosticCommand"),
                "gcClassHistogram", new Object[]{new String[0]}, new String[]{String[].class.getName()});
        String[] lines = h.split("\n");
        for (int i = 0; i < Math.min(lines.length, top + 2); i++) System.out.println("histo " + lines[i]);
        System.out.println("histo " + lines[lines.length - 1]);
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
        }
    }
}
