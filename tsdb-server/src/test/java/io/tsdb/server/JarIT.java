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
 * Runs the packaged jar exactly as README says ({@code java -jar tsdb-server/target/tsdb-server.jar}, no
 * extra JVM flags: the manifest's Add-Opens/Add-Exports must be enough for Chronicle Map): --help, then
 * start, write, SIGTERM (exit 0), restart, read back. Runs in the integration-test phase, after package.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class JarIT {
    @TempDir Path tmp;

    private static List<String> jarCommand() {
        Path jar = Path.of("target", "tsdb-server.jar").toAbsolutePath();
        assertTrue(Files.isRegularFile(jar), "the shaded jar must exist at " + jar + " (run after package)");
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-jar", jar.toString());
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
