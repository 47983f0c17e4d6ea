package io.tsdb.bench.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The three databases the harness knows how to run. */
final class Targets {
    private Targets() {}

    /** This server, from its runnable jar. */
    static final class Ours extends Target {
        final Path jar;
        final String heap;
        final List<String> extraJvmArgs;
        private int starts;

        Ours(Path workDir, Path jar, String heap, List<String> extraJvmArgs) throws IOException {
            super("tsdb", workDir);
            this.jar = jar;
            this.heap = heap;
            this.extraJvmArgs = extraJvmArgs;
        }

        @Override List<String> command() {
            List<String> c = new ArrayList<>(List.of("java", "-Xmx" + heap, "-XX:+UseParallelGC"));
            starts++;
            for (String a : extraJvmArgs) c.add(a.replace("%n", Integer.toString(starts))); // %n: 1st start, 2nd start...
            c.addAll(List.of("-jar", jar.toString(), "--listen=127.0.0.1:" + port, "--data=" + dataDir, "--wal-fsync=periodic"));
            return c;
        }

        @Override String readyPath() { return "/-/ready"; }

        @Override String version() {
            return "tsdb " + io.tsdb.server.BuildInfo.VERSION + " (" + System.getProperty("java.vm.name") + " "
                    + System.getProperty("java.version") + ", -Xmx" + heap + ")";
        }

        @Override void flush() throws Exception {
            int code = post("/api/v1/admin/flush", new byte[0]);
            if (code / 100 != 2) throw new IOException("flush answered " + code);
        }

        @Override long storedBytes() throws Exception {
            // Blocks, index, series registry; the WAL is emptied by the flush and not counted.
            long total = 0;
            storedBreakdown.clear();
            for (Path p : children(dataDir)) {
                if (p.getFileName().toString().equals("wal")) continue;
                long b = allocatedBytes(p);
                if (b > 0) storedBreakdown.put(p.getFileName().toString(), b);
                total += b;
            }
            return total;
        }
    }

    /** Prometheus with the remote-write receiver; disk = blocks of a snapshot that includes the head. */
    static final class Prometheus extends Target {
        Prometheus(Path workDir) throws IOException {
            super("prometheus", workDir);
            Files.writeString(workDir.resolve("prometheus.yml"), "global:\n  scrape_interval: 1h\n");
        }

        @Override List<String> command() {
            return List.of("prometheus", "--config.file=" + dataDir.getParent().resolve("prometheus.yml"),
                    "--storage.tsdb.path=" + dataDir, "--web.listen-address=127.0.0.1:" + port,
                    "--web.enable-remote-write-receiver", "--web.enable-admin-api", "--log.level=warn");
        }

        @Override String readyPath() { return "/-/ready"; }

        @Override String version() { return "prometheus " + firstLine(List.of("dpkg-query", "-W", "-f=${Version}", "prometheus")) + " (Debian package)"; }

        @Override void flush() { }

        @Override long storedBytes() throws Exception {
            Path snaps = dataDir.resolve("snapshots");
            if (!Files.exists(snaps) || children(snaps).isEmpty()) {
                int code = post("/api/v1/admin/tsdb/snapshot?skip_head=false", new byte[0]);
                if (code != 200) throw new IOException("prometheus snapshot answered " + code);
            }
            storedBreakdown.put("snapshot blocks", allocatedBytes(snaps));
            return storedBreakdown.get("snapshot blocks");
        }
    }

    /** VictoriaMetrics single node. */
    static final class Victoria extends Target {
        Victoria(Path workDir) throws IOException {
            super("victoriametrics", workDir);
        }

        @Override List<String> command() {
            return List.of("victoria-metrics", "-storageDataPath=" + dataDir, "-httpListenAddr=127.0.0.1:" + port,
                    "-retentionPeriod=100y", "-search.latencyOffset=0s", "-loggerLevel=WARN");
        }

        @Override String readyPath() { return "/health"; }

        @Override String version() { return "victoria-metrics " + firstLine(List.of("dpkg-query", "-W", "-f=${Version}", "victoria-metrics")) + " (Debian package)"; }

        @Override void flush() throws Exception { get("/internal/force_flush"); }

        @Override long storedBytes() throws Exception {
            storedBreakdown.put("data", allocatedBytes(dataDir.resolve("data")));
            storedBreakdown.put("indexdb", allocatedBytes(dataDir.resolve("indexdb")));
            return storedBreakdown.values().stream().mapToLong(Long::longValue).sum();
        }
    }
}
