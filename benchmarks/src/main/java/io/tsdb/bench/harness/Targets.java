package io.tsdb.bench.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The three databases the harness knows how to run. */
final class Targets {
    /**
     * The target a bench's {@code --targets} entry names: {@code tsdb} (this server through {@code launcher}, JVM
     * options from {@code --tsdb-jvm}, none by default), {@code tsdb-opts} (a variant with {@code --java-opts} added
     * by the launcher), {@code victoriametrics}, {@code prometheus}, or {@code NAME=LAUNCHER} (this server from
     * another build, e.g. a copy of tsdb-server/target before a change, for an A/B in one run).
     */
    static Target named(String spec, Path work, Path launcher, java.util.Map<String, String> o) throws IOException {
        String name = spec.trim();
        int eq = name.indexOf('=');
        if (eq > 0) return Ours.create(name.substring(0, eq), work, Path.of(name.substring(eq + 1)), o.getOrDefault("tsdb-jvm", ""), List.of());
        return switch (name) {
            case "tsdb" -> Ours.create("tsdb", work, launcher, o.getOrDefault("tsdb-jvm", ""), List.of());
            case "tsdb-opts" -> Ours.create("tsdb " + o.get("java-opts"), work, launcher, o.get("java-opts"), List.of());
            case "victoriametrics" -> new Victoria(work);
            case "prometheus" -> new Prometheus(work);
            default -> throw new IllegalArgumentException("unknown target " + name
                    + " (tsdb, tsdb-opts, victoriametrics, prometheus or NAME=LAUNCHER)");
        };
    }

    private Targets() {}

    /**
     * This server as README runs it: the launcher script built beside the jar ({@code tsdb-server/target/tsdb}),
     * started in its own working directory so that the default data directory {@code ./data} is fresh. The
     * plain variant passes no flag at all (it listens on the default port 9201; if that port is taken on this
     * machine it gets {@code --listen} only, and the report says so); other variants add JVM options (through
     * the launcher's {@code TSDB_JAVA_OPTS}) and server flags, and are reported as extra rows.
     */
    static final class Ours extends Target {
        static final int DEFAULT_PORT = 9201;
        final Path launcher;
        final String javaOpts;
        final List<String> serverFlags;
        final boolean listenFlag;
        private final Path cwd;

        private Ours(String name, Path workDir, Path cwd, int port, boolean listenFlag, Path launcher, String javaOpts,
                     List<String> serverFlags) throws IOException {
            super(name, workDir, cwd.resolve("data"), port);
            this.cwd = cwd;
            this.launcher = launcher;
            this.javaOpts = javaOpts;
            this.serverFlags = serverFlags;
            this.listenFlag = listenFlag;
        }

        static Ours create(String name, Path workDir, Path launcher, String javaOpts, List<String> serverFlags) throws IOException {
            Path cwd = workDir.resolve(name.replaceAll("[^A-Za-z0-9_.-]", "_"));
            Files.createDirectories(cwd);
            boolean plainPortFree = javaOpts.isBlank() && serverFlags.isEmpty() && portFree(DEFAULT_PORT);
            return new Ours(name, workDir, cwd, plainPortFree ? DEFAULT_PORT : freePort(), !plainPortFree, launcher,
                    javaOpts, serverFlags);
        }

        static boolean portFree(int port) {
            try (java.net.ServerSocket s = new java.net.ServerSocket(port)) {
                return true;
            } catch (IOException e) {
                return false;
            }
        }

        @Override Path workingDir() { return cwd; }

        private int starts;

        /** %n in the JVM options becomes the start number (1, 2...), e.g. one JFR file per start. */
        @Override java.util.Map<String, String> environment() {
            return java.util.Map.of("TSDB_JAVA_OPTS", javaOpts.replace("%n", Integer.toString(starts)));
        }

        @Override long start() throws Exception {
            starts++;
            return super.start();
        }

        @Override List<String> command() {
            List<String> c = new ArrayList<>(List.of(launcher.toAbsolutePath().toString()));
            if (listenFlag) c.add("--listen=127.0.0.1:" + port);
            c.addAll(serverFlags);
            return c;
        }

        /** The command as a person would type it, for the report. */
        String shownCommand() {
            StringBuilder b = new StringBuilder();
            if (!javaOpts.isBlank()) b.append("TSDB_JAVA_OPTS='").append(javaOpts).append("' ");
            b.append("tsdb-server/target/tsdb");
            for (String f : command().subList(1, command().size())) b.append(' ').append(f);
            return b.toString();
        }

        @Override long loggedProcessReadyMs() { return lastReadyField("jvm_uptime_ms"); }

        @Override long loggedStartupMs() { return lastReadyField("startup_ms"); }

        /**
         * The field of the "tsdb ready" line of the last start. The server answers /-/ready with 200 just before it
         * writes that line, so the line is waited for (at most 10 s): read at once, a start's figures were those of
         * the start before (or missing at a first start) whenever the server's main thread was slower than the probe.
         */
        private long lastReadyField(String field) {
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
            try {
                while (true) {
                    List<String> ready = new ArrayList<>();
                    for (String l : Files.readAllLines(logFile)) if (l.contains("\"msg\":\"tsdb ready\"")) ready.add(l);
                    if (ready.size() >= starts) {
                        if (ready.isEmpty()) return -1;
                        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"" + field + "\":(-?\\d+)")
                                .matcher(ready.get(starts - 1));
                        return m.find() ? Long.parseLong(m.group(1)) : -1;
                    }
                    if (System.nanoTime() > deadline) return -1;
                    Thread.sleep(10);
                }
            } catch (IOException e) {
                return -1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            }
        }

        @Override String readyPath() { return "/-/ready"; }

        @Override String version() {
            return "tsdb " + io.tsdb.server.BuildInfo.VERSION + " (" + System.getProperty("java.vm.name") + " "
                    + System.getProperty("java.version") + "): `" + shownCommand() + "`";
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

        /** Further command-line flags (e.g. {@code --enable-feature=native-histograms}). */
        final List<String> extraFlags = new java.util.ArrayList<>();

        @Override List<String> command() {
            List<String> c = new java.util.ArrayList<>(List.of("prometheus", "--config.file=" + dataDir.getParent().resolve("prometheus.yml"),
                    "--storage.tsdb.path=" + dataDir, "--web.listen-address=127.0.0.1:" + port,
                    "--web.enable-remote-write-receiver", "--web.enable-admin-api", "--log.level=warn"));
            c.addAll(extraFlags);
            return c;
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
