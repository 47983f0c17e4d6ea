package io.tsdb.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Runs the packaged server as README says: the launcher {@code tsdb-server/target/tsdb} built beside the jar
 * (it sizes the JVM and maps the class-data archive), and the jar itself with {@code java -jar} and no extra
 * JVM flags (the manifest's Add-Opens/Add-Exports must be enough for Chronicle Map): --help, then start,
 * write, SIGTERM (exit 0), restart, read back. Runs in the integration-test phase, after package.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class JarIT {
    @TempDir Path tmp;

    private static List<String> jarCommand() {
        Path jar = Path.of("target", "tsdb-server.jar").toAbsolutePath();
        assertTrue(Files.isRegularFile(jar), "the shaded jar must exist at " + jar + " (run after package)");
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-jar", jar.toString());
    }

    private static List<String> launcherCommand() {
        Path launcher = Path.of("target", "tsdb").toAbsolutePath();
        assertTrue(Files.isExecutable(launcher), "the launcher must exist at " + launcher + " (run after package)");
        return List.of(launcher.toString());
    }

    /** Runs the launcher with extra JVM options (TSDB_JAVA_OPTS) to exit; returns stdout + stderr. */
    private String launcherOutput(String javaOpts, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(launcherCommand());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile()).redirectErrorStream(true);
        pb.environment().put("TSDB_JAVA_OPTS", javaOpts);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "launcher did not exit");
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    @Test
    void launcherRunsStopsOnSigtermAndKeepsData() throws Exception {
        ServerProcessTest.lifecycle(launcherCommand(), tmp);
    }

    @Test
    void launcherMapsTheClassDataArchiveBuiltWithTheJar() throws Exception {
        assertTrue(Files.isRegularFile(Path.of("target", "tsdb.jsa")), "the build makes target/tsdb.jsa");
        String out = launcherOutput("-Xlog:class+load=info", "--version");
        assertTrue(out.contains("io.tsdb.server.Main source: shared objects file"),
                "the server's classes come from the archive: " + out.lines().filter(l -> l.contains("io.tsdb.server.Main")).toList());
    }

    @Test
    void launcherSizesTheHeapFromTheSeriesCap() throws Exception {
        // 192 MiB + 512 bytes per series: 100,000 series -> 240 MiB (the machine here has far more than twice that)
        String out = launcherOutput("-XX:+PrintFlagsFinal", "--storage.max-active-series=100000", "--version");
        String line = out.lines().filter(l -> l.contains(" MaxHeapSize ")).findFirst().orElseThrow();
        assertTrue(line.contains(" " + (240L << 20) + " "), line);
        Path config = tmp.resolve("tsdb.yml");
        Files.writeString(config, "storage:\n  max-active-series: 1000000\n");
        out = launcherOutput("-XX:+PrintFlagsFinal", "--config=" + config, "--version");
        line = out.lines().filter(l -> l.contains(" MaxHeapSize ")).findFirst().orElseThrow();
        assertTrue(line.contains(" " + (680L << 20) + " "), "192 MiB + 1M x 512 B = 680 MiB (rounded down): " + line);
    }

    @Test
    void helpFromTheJar() throws Exception {
        String help = ServerProcessTest.runToExit(jarCommand(), tmp, 0, "--help");
        assertTrue(help.contains("--data=DIR") && help.contains("--config=FILE"), help);
        String err = ServerProcessTest.runToExit(jarCommand(), tmp, 2, "--wal-fsync=sometimes");
        assertEquals(1, err.lines().count(), err);
    }

    @Test
    void jarRunsStopsOnSigtermAndKeepsData() throws Exception {
        ServerProcessTest.lifecycle(jarCommand(), tmp);
    }
}
