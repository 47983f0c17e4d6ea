package io.tsdb.server;

import io.tsdb.core.testing.Tmpfs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.tsdb.server.ServerProcessTest.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Issue 19's scenario on a real full disk: the data directory is on a small tmpfs the test mounts (root only; the
 * test is skipped with a notice otherwise). The server runs as a child process (default WAL policy, fsync always)
 * under continuous remote-write load; a filler file takes every free byte; writes are answered 503 "nothing from
 * this request was stored" while the server keeps answering queries; the filler is deleted and writes are
 * acknowledged again without a restart; the server is killed with SIGKILL and restarted: every acknowledged sample
 * is answered, and the WAL holds no torn record.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class DiskFullServerTest {
    static final int SENDERS = 3;
    @TempDir Path tmp;

    private static int port(Proc p) throws IOException {
        String line = p.stdout().lines().filter(l -> l.contains("\"msg\":\"starting tsdb\"")).findFirst().orElseThrow();
        Matcher m = Pattern.compile("\"listen\":\"127\\.0\\.0\\.1:(\\d+)\"").matcher(line);
        assertTrue(m.find(), line);
        return Integer.parseInt(m.group(1));
    }

    private Proc start(Path data) throws Exception {
        int port = ServerTest.freePort();
        Proc p = launch(classpathCommand(), tmp, "--listen=127.0.0.1:" + port, "--data=" + data);
        awaitReady("http://127.0.0.1:" + port, p);
        return p;
    }

    static void await(String what, Proc proc, java.util.function.BooleanSupplier cond) throws Exception {
        while (!cond.getAsBoolean()) {
            if (!proc.p.isAlive()) fail("server died while waiting for " + what + ": " + proc.stdout());
            Thread.sleep(20);
        }
    }

    /**
     * A data directory on a read-only file system: start-up fails with exit code 1 and one clear line on stderr
     * naming the directory and the cause, and the log carries no stack trace (an operator's condition, not a bug).
     */
    @Test
    void readOnlyFileSystemAtStartFailsClearlyWithExitCode1() throws Exception {
        try (Tmpfs fs = Tmpfs.mount(tmp.resolve("ro"), "8m", "DiskFullServerTest")) {
            Path mnt = fs.dir;
            Files.createDirectories(mnt.resolve("data"));
            fs.remount(true);
            for (String data : new String[]{mnt.resolve("data").toString(), mnt.resolve("data/new").toString()}) {
                List<String> cmd = new java.util.ArrayList<>(classpathCommand());
                cmd.add("--listen=127.0.0.1:" + ServerTest.freePort());
                cmd.add("--data=" + data);
                Process s = new ProcessBuilder(cmd).directory(tmp.toFile()).start();
                String stdout = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                String stderr = new String(s.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(s.waitFor(60, TimeUnit.SECONDS));
                assertEquals(1, s.exitValue(), "exit code; stderr: " + stderr);
                assertEquals(1, stderr.lines().count(), "one line on stderr: " + stderr);
                assertTrue(stderr.contains("failed to start") && stderr.contains("read-only file system") && stderr.contains(data), stderr);
                assertFalse(stdout.contains("\\tat ") || stderr.contains("\tat "), "no stack trace: " + stdout + stderr);
                String logLine = stdout.lines().filter(l -> l.contains("\"level\":\"ERROR\"")).findFirst().orElse("");
                assertTrue(logLine.contains("read-only file system"), "the log says why: " + stdout);
                System.out.println("read-only data directory " + data + ": " + stderr.strip());
            }
        }
    }

    @Test
    void fullDiskDuringRemoteWriteLosesNoAcknowledgedSampleAndWritesResumeWithoutRestart() throws Exception {
        try (Tmpfs fs = Tmpfs.mount(tmp.resolve("mnt"), "48m", "DiskFullServerTest")) {
            run(fs);
        }
    }

    private void run(Tmpfs fs) throws Exception {
        Proc proc = null;
        try {
            Path mnt = fs.dir;
            Path data = mnt.resolve("data");
            long base = (System.currentTimeMillis() - 120_000) / 1000 * 1000;
            proc = start(data);
            String url = "http://127.0.0.1:" + port(proc);
            CrashLoad load = new CrashLoad(url, base, SENDERS, 0).start();
            load.awaitAcked(10, 1000, proc);

            // the disk fills up
            Path filler = mnt.resolve("filler");
            long filled = fs.fill("filler");
            long ackedAtFull = load.ackedBatches();
            await("writes refused on the full disk", proc, () -> load.non2xx.get() >= 20);
            long ackedWhileFull = load.ackedBatches() - ackedAtFull;
            List<String> bodies = List.copyOf(load.non2xxBodies);
            for (String b : bodies) {
                assertTrue(b.startsWith("503: "), b);
                assertTrue(b.contains("No space left on device") && b.contains("nothing from this request was stored"), b);
            }
            // refused writes are undone; queries and readiness are unaffected
            assertTrue(CrashLoad.metric(url, "tsdb_wal_write_errors_total") >= 20);
            assertTrue(CrashLoad.metric(url, "tsdb_wal_restored_writes_total") >= 20);
            assertEquals(0.0, CrashLoad.metric(url, "tsdb_storage_writes_refused"));
            assertEquals(200, TestHttp.get(url + "/-/ready").statusCode());
            HttpResponse<String> q = TestHttp.get(url + "/api/v1/query?query=count(crash_test)");
            assertEquals(200, q.statusCode(), q.body());
            assertTrue(q.body().contains("\"" + CrashLoad.SERIES * SENDERS + "\""), q.body());
            int refused = load.non2xx.get();

            // space comes back: writes are acknowledged again, without a restart
            Files.delete(filler);
            long ackedAtFree = load.ackedBatches();
            await("40 more acknowledged batches", proc, () -> load.ackedBatches() >= ackedAtFree + 40);
            int refusedAfterFree = load.non2xx.get() - refused;
            int inflight = load.killNow(proc);
            long acked = load.ackedBatches();
            System.out.printf("disk full at %d bytes of filler: %d batches acknowledged before, %d while full (into already "
                            + "allocated pages), %d refused with 503 (%d more around the moment space returned), %d acknowledged "
                            + "after; killed with %d in flight%n",
                    filled, ackedAtFull, ackedWhileFull, refused, refusedAfterFree, acked - ackedAtFree, inflight);

            // restart: every acknowledged sample is there, the WAL had no torn record
            proc = start(data);
            url = "http://127.0.0.1:" + port(proc);
            long exported = CrashLoad.verify(url, base, SENDERS, CrashLoad.merge(List.of(load)), Map.of(), load.maxSent());
            assertTrue(exported >= acked * CrashLoad.BATCH_SAMPLES, exported + " samples exported, " + acked + " batches acknowledged");
            assertEquals(0.0, CrashLoad.metric(url, "tsdb_wal_corruptions"), "no torn record was left in the WAL");
            System.out.printf("after the restart: %d acknowledged batches (%d samples) all answered, %d samples exported%n",
                    acked, acked * CrashLoad.BATCH_SAMPLES, exported);
            stopWithSigterm(proc);
        } finally {
            if (proc != null && proc.p.isAlive()) {   // before the tmpfs is unmounted
                proc.p.destroyForcibly();
                proc.p.waitFor(60, TimeUnit.SECONDS);
            }
        }
    }
}
