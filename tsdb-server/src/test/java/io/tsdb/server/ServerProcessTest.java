package io.tsdb.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Runs the server as a child process (the main class on the test class path, with the JVM flags the
 * build passes to tests), as an operator would: command-line errors, SIGTERM (Process.destroy() sends it
 * on Linux) gives exit code 0, and data written before the stop is there after a restart.
 * {@code JarIT} repeats the lifecycle part against the shaded jar after packaging.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ServerProcessTest {
    @TempDir Path tmp;

    /** java + the JVM module flags of this test JVM + class path + main class. */
    static List<String> classpathCommand() {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-opens") || a.startsWith("--add-exports") || a.startsWith("-Dchronicle")) cmd.add(a);
        }
        cmd.add("-Xmx256m");
        // The production logging configuration (io.tsdb.server.logging.LogConfigurator): this test JVM's
        // -Dlogback.configurationFile=logback-test.xml (tsdb-server's pom) is not passed on.
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        return cmd;
    }

    static final class Proc {
        final Process p;
        final Path out;
        Proc(Process p, Path out) { this.p = p; this.out = out; }
        String stdout() throws IOException { return Files.readString(out, StandardCharsets.UTF_8); }
    }

    static Proc launch(List<String> base, Path workDir, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(base);
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(workDir, "stdout", ".log");
        Path err = Files.createTempFile(workDir, "stderr", ".log");
        Process p = new ProcessBuilder(cmd).directory(workDir.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        return new Proc(p, out);
    }

    static String runToExit(List<String> base, Path workDir, int expectedCode, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(base);
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(false).start();
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String stderr = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "process did not exit");
        assertEquals(expectedCode, p.exitValue(), "exit code; stdout=" + stdout + " stderr=" + stderr);
        return expectedCode == 0 ? stdout : stderr;
    }

    static void awaitReady(String base, Proc proc) throws Exception {
        while (true) {
            if (!proc.p.isAlive()) fail("server exited with " + proc.p.exitValue() + ": " + proc.stdout());
            try {
                if (TestHttp.get(base + "/-/ready").statusCode() == 200) return;
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(50);
        }
    }

    static void stopWithSigterm(Proc proc) throws Exception {
        proc.p.destroy(); // SIGTERM
        assertTrue(proc.p.waitFor(60, TimeUnit.SECONDS), "server did not stop after SIGTERM");
        assertEquals(0, proc.p.exitValue(), "exit code after SIGTERM; output: " + proc.stdout());
    }

    /** Starts, writes, stops with SIGTERM, restarts on the same data dir, reads the data back. */
    static void lifecycle(List<String> base, Path tmp) throws Exception {
        Path data = tmp.resolve("data");
        int port = ServerTest.freePort();
        String url = "http://127.0.0.1:" + port;
        Proc first = launch(base, tmp, "--listen=127.0.0.1:" + port, "--data=" + data, "--log.access");
        long ts = System.currentTimeMillis() - 1000;
        try {
            awaitReady(url, first);
            HttpResponse<String> w = TestHttp.send("POST", url + "/api/v1/import/prometheus",
                    ("proc_test_metric{job=\"restart\"} 42.5 " + ts + "\n").getBytes(StandardCharsets.UTF_8),
                    "X-Request-Id", "proc-write-1");
            assertEquals(204, w.statusCode(), w.body());
        } finally {
            if (first.p.isAlive()) stopWithSigterm(first);
        }
        String log = first.stdout();
        String accessLine = log.lines().filter(l -> l.contains("\"request_id\":\"proc-write-1\"")).findFirst()
                .orElseThrow(() -> new AssertionError("no access log line for the write: " + log));
        assertTrue(accessLine.startsWith("{") && accessLine.endsWith("}"), accessLine);
        assertTrue(accessLine.contains("\"status\":204"), accessLine);
        assertTrue(accessLine.contains("\"path\":\"/api/v1/import/prometheus\""), accessLine);
        assertTrue(log.contains("\"msg\":\"stopped\""), log);
        String starting = log.lines().filter(l -> l.contains("\"msg\":\"starting tsdb\"")).findFirst().orElseThrow();
        assertTrue(starting.contains("\"flags\":{\"listen\":\"127.0.0.1:" + port + "\""), starting);

        Proc second = launch(base, tmp, "--listen=127.0.0.1:" + port, "--data=" + data);
        try {
            awaitReady(url, second);
            HttpResponse<String> r = TestHttp.get(url + "/api/v1/export?match%5B%5D=proc_test_metric");
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(r.body().contains("\"job\":\"restart\""), r.body());
            assertTrue(r.body().contains("42.5"), r.body());
            assertTrue(r.body().contains(Long.toString(ts)), r.body());
            String t = String.format(java.util.Locale.ROOT, "%.3f", ts / 1000.0);
            HttpResponse<String> q = TestHttp.get(url + "/api/v1/query?query=proc_test_metric&time=" + t);
            assertEquals(200, q.statusCode(), q.body());
            assertTrue(q.body().contains("\"value\":[" + t + ",\"42.5\"]"), q.body());
            assertEquals(200, TestHttp.send("GET", url + "/api/v1/query?query=1", null, "X-Request-Id", "proc-read-2").statusCode());
        } finally {
            if (second.p.isAlive()) stopWithSigterm(second);
        }
        // without --log.access (the default) requests are not logged
        String log2 = second.stdout();
        assertTrue(log2.contains("\"msg\":\"stopped\""), log2);
        assertFalse(log2.contains("io.tsdb.server.http.access"), log2);
    }

    @Test
    void sigtermStopsGracefullyAndDataSurvivesRestart() throws Exception {
        lifecycle(classpathCommand(), tmp);
    }

    @Test
    void commandLineErrorsExitNonZeroWithOneLine() throws Exception {
        String err = runToExit(classpathCommand(), tmp, 2, "--no-such-flag");
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.contains("--no-such-flag"), err);
        err = runToExit(classpathCommand(), tmp, 2, "--retention=forever");
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.contains("--retention") && err.contains("forever"), err);
        String help = runToExit(classpathCommand(), tmp, 0, "--help");
        assertTrue(help.contains("--listen=HOST:PORT") && help.contains("Default: 0.0.0.0:9201"), help);
    }

    @Test
    void portInUseFailsWithExitCode1() throws Exception {
        try (var ss = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            String err = runToExit(classpathCommand(), tmp, 1, "--listen=127.0.0.1:" + ss.getLocalPort(),
                    "--data=" + tmp.resolve("d"));
            assertTrue(err.contains("failed to start"), err);
        }
    }
}
