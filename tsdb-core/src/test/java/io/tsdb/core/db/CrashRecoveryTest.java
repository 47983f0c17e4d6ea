package io.tsdb.core.db;

import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SampleCursor;
import io.tsdb.core.SeriesSet;
import io.tsdb.core.wal.FsyncPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Runs {@link CrashIngestMain} in a child JVM, kills it with SIGKILL during sustained ingest, reopens the
 * data directory and checks that every acknowledged batch is fully present.
 */
class CrashRecoveryTest {
    static final int THREADS = 3;
    @TempDir Path dir;

    @Test void everyAcknowledgedSampleSurvivesKill9() throws Exception {
        int[][] acked = new int[2][];
        acked[0] = runAndKill(FsyncPolicy.ALWAYS, 0, 300);
        verify(acked, 1);
        // a second crash on top of the recovered state (registry recovery + WAL replay again)
        acked[1] = runAndKill(FsyncPolicy.PERIODIC, 1, 100);
        verify(acked, 2);
    }

    /** Returns, per thread, the highest acknowledged batch (-1 if none). */
    private int[] runAndKill(FsyncPolicy policy, int epoch, int minAcksPerThread) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--add-") || arg.startsWith("-Dchronicle")) cmd.add(arg);
        }
        cmd.add("-Xmx256m");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(CrashIngestMain.class.getName());
        cmd.add(dir.toString());
        cmd.add(policy.name());
        cmd.add("" + THREADS);
        cmd.add("" + epoch);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.to(new File(dir.toFile(), "child-stderr.txt")));
        Process p = pb.start();
        int[] last = new int[THREADS];
        java.util.Arrays.fill(last, -1);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            boolean killed = false;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("ACK ")) {
                    String[] f = line.split(" ");
                    if (f.length != 3) continue;   // a torn line cut by the kill is not an acknowledgement
                    int t = Integer.parseInt(f[1]), b = Integer.parseInt(f[2]);
                    assertEquals(last[t] + 1, b, "acks in order per thread");
                    last[t] = b;
                }
                if (min(last) >= minAcksPerThread || System.nanoTime() > deadline) {
                    // SIGKILL on Unix. Acks the child printed after this point are not read (destroy closes
                    // the pipe), so only the acknowledgements seen so far are verified.
                    p.destroyForcibly();
                    killed = true;
                    break;
                }
            }
            assertTrue(killed, "child exited before being killed; see " + dir.resolve("child-stderr.txt"));
        }
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertNotEquals(0, p.exitValue());
        assertTrue(min(last) >= 1, "child acknowledged too little before the kill");
        return last;
    }

    private static int min(int[] a) {
        int m = Integer.MAX_VALUE;
        for (int x : a) m = Math.min(m, x);
        return m;
    }

    private void verify(int[][] acked, int epochs) throws Exception {
        try (Tsdb db = Tsdb.open(TsdbOptions.builder(dir).build())) {
            int series = 0;
            try (Querier q = db.querier(Long.MIN_VALUE, Long.MAX_VALUE)) {
                SeriesSet ss = q.select(List.of(Matcher.eq("__name__", "crash_test")));
                while (ss.next()) {
                    series++;
                    int t = Integer.parseInt(ss.labels().get("thread"));
                    SampleCursor c = ss.cursor();
                    int[] expect = new int[epochs];
                    while (c.next()) {
                        int e = (int) ((c.timestamp() - CrashIngestMain.BASE) / CrashIngestMain.EPOCH_MS);
                        assertTrue(e < epochs, "timestamp outside the runs' ranges");
                        long base = CrashIngestMain.BASE + e * CrashIngestMain.EPOCH_MS;
                        assertEquals(base + expect[e] * 1000L, c.timestamp(), ss.labels() + " epoch " + e + " batch " + expect[e]);
                        assertEquals(expect[e], c.value());
                        expect[e]++;
                    }
                    for (int e = 0; e < epochs; e++)
                        assertTrue(expect[e] - 1 >= acked[e][t], ss.labels() + " epoch " + e + ": last recovered batch "
                                + (expect[e] - 1) + " < acknowledged " + acked[e][t]);
                }
            }
            assertEquals(THREADS * CrashIngestMain.SERIES_PER_THREAD, series);
        }
    }
}
