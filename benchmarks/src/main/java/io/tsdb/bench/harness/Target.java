package io.tsdb.bench.harness;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One database under test, run as a child process on a loopback port with a fresh data directory:
 * this server, Prometheus (remote-write receiver) or VictoriaMetrics (single node).
 */
abstract class Target {
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    final String name;
    final Path dataDir;
    final Path logFile;
    final int port;
    Process process;

    Target(String name, Path workDir) throws IOException {
        this(name, workDir, workDir.resolve(name + "-data"), freePort());
    }

    Target(String name, Path workDir, Path dataDir, int port) throws IOException {
        this.name = name;
        this.dataDir = dataDir;
        this.logFile = workDir.resolve(name.replaceAll("[^A-Za-z0-9_.-]", "_") + ".log");
        Files.createDirectories(dataDir);
        this.port = port;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Working directory of the process (null: the harness'). */
    Path workingDir() { return null; }

    /** Environment variables to set for the process. */
    java.util.Map<String, String> environment() { return java.util.Map.of(); }

    /** Milliseconds from the process' start to ready as the server itself logged it on its last start, or -1. */
    long loggedProcessReadyMs() { return -1; }

    /** Milliseconds of the server's own start-up step (storage, HTTP, features) on its last start, or -1. */
    long loggedStartupMs() { return -1; }

    abstract List<String> command();

    /** Path that answers 200 once the database can serve writes and queries. */
    abstract String readyPath();

    /** Version string for the report. */
    abstract String version();

    /** Makes everything ingested durable and visible, before disk measurement and queries. */
    abstract void flush() throws Exception;

    /** Bytes on disk (allocated blocks) that hold the ingested samples, measured after {@link #flush()}. */
    abstract long storedBytes() throws Exception;

    /** Where {@link #storedBytes()} goes, by component (file or directory), for the report. */
    final java.util.Map<String, Long> storedBreakdown = new java.util.LinkedHashMap<>();

    String base() { return "http://127.0.0.1:" + port; }

    /** Starts the process and waits until ready; returns milliseconds from spawn to ready. */
    long start() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        if (workingDir() != null) pb.directory(workingDir().toFile());
        pb.environment().putAll(environment());
        long t0 = System.nanoTime();
        process = pb.start();
        while (true) {
            if (!process.isAlive()) throw new IOException(name + " exited with " + process.exitValue() + "; see " + logFile);
            try {
                HttpResponse<Void> r = HTTP.send(HttpRequest.newBuilder(URI.create(base() + readyPath()))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) return (System.nanoTime() - t0) / 1_000_000;
            } catch (IOException e) {
                // not listening yet
            }
            if (System.nanoTime() - t0 > TimeUnit.MINUTES.toNanos(5)) throw new IOException(name + " not ready after 5 minutes");
            Thread.sleep(20);
        }
    }

    /** Graceful stop (SIGTERM) and wait. */
    void stop() throws Exception {
        if (process == null || !process.isAlive()) return;
        process.destroy();
        if (!process.waitFor(3, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            process.waitFor();
        }
    }

    long pid() { return process.pid(); }

    /** CPU seconds (user + system, all threads) the process has used, from /proc/PID/stat. */
    double cpuSeconds() {
        try {
            String stat = Files.readString(Path.of("/proc/" + process.pid() + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // fields 14 and 15 of stat (utime, stime) are at 11 and 12 after the command name
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / (double) CLOCK_TICKS;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    static final long CLOCK_TICKS = clockTicks();

    /**
     * CPU seconds of the process' threads so far, summed by thread name with digits and trailing separators
     * removed (e.g. "C2 CompilerThread", "tsdb-http-worker"), from /proc/PID/task/TID/stat.
     */
    java.util.Map<String, Double> threadCpuSeconds() {
        java.util.Map<String, Double> m = new java.util.TreeMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/" + process.pid() + "/task"))) {
            for (Path t : tasks.toList()) {
                try {
                    String stat = Files.readString(t.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    double sec = (Long.parseLong(f[11]) + Long.parseLong(f[12])) / (double) CLOCK_TICKS;
                    String key = name.replaceAll("[0-9#]+", "").replaceAll("[-_ ]+$", "");
                    m.merge(key, sec, Double::sum);
                } catch (IOException | RuntimeException e) {
                    // thread ended
                }
            }
        } catch (IOException e) {
            return m;
        }
        return m;
    }

    private static long clockTicks() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            p.waitFor();
            return Long.parseLong(out);
        } catch (IOException | InterruptedException | RuntimeException e) {
            return 100;
        }
    }

    /** Resident set size of the process in bytes, from /proc (0 if unavailable). */
    long rssBytes() { return procStatus("VmRSS:"); }

    /** Peak resident set size (high-water mark) in bytes. */
    long peakRssBytes() { return procStatus("VmHWM:"); }

    private long procStatus(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
                if (line.startsWith(key)) return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]) * 1024;
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }

    int post(String path, byte[] body, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofMinutes(2))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /**
     * One GET on a new TCP connection ({@code Connection: close}), read to the end; returns the milliseconds
     * from connect to the last byte. The JDK client would reuse its pooled connection.
     */
    double getOnNewConnection(String pathAndQuery) throws IOException {
        long t0 = System.nanoTime();
        try (java.net.Socket s = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), port)) {
            s.setTcpNoDelay(true);
            s.getOutputStream().write(("GET " + pathAndQuery + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            byte[] all = s.getInputStream().readAllBytes();
            if (all.length < 12 || all[9] != '2') throw new IOException(name + " " + pathAndQuery + " -> " + new String(all, 0, Math.min(all.length, 200)));
        }
        return (System.nanoTime() - t0) / 1e6;
    }

    String get(String pathAndQuery) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base() + pathAndQuery))
                .timeout(Duration.ofMinutes(5)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new IOException(name + " " + pathAndQuery + " -> HTTP " + r.statusCode() + ": " + r.body());
        return r.body();
    }

    /** Allocated bytes under a directory (like du), so sparse pre-allocated files count what they use. */
    static long allocatedBytes(Path dir) throws IOException, InterruptedException {
        // du complains (and exits 1) when a file vanishes while it walks, e.g. blocks being compacted: retry.
        for (int attempt = 0; ; attempt++) {
            if (!Files.exists(dir)) return 0;
            Process p = new ProcessBuilder("du", "-s", "--block-size=1", dir.toString())
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            if (p.waitFor() == 0 && !out.isEmpty()) return Long.parseLong(out.split("\\s+")[0]);
            if (attempt == 20) throw new IOException("du " + dir + " failed: " + out);
            Thread.sleep(100);
        }
    }

    static List<Path> children(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return new ArrayList<>(s.toList());
        }
    }

    static String firstLine(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            p.waitFor(10, TimeUnit.SECONDS);
            return out.isEmpty() ? "?" : out.lines().findFirst().orElse("?");
        } catch (IOException | InterruptedException e) {
            return "?";
        }
    }
}
