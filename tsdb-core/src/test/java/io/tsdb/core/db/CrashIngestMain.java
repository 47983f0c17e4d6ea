package io.tsdb.core.db;

import io.tsdb.core.AppendStatus;
import io.tsdb.core.Appender;
import io.tsdb.core.Labels;
import io.tsdb.core.wal.FsyncPolicy;

import java.io.PrintStream;
import java.nio.file.Path;

/**
 * Child process of {@link CrashRecoveryTest}: ingests in a loop from several threads and prints
 * {@code ACK thread batch} after each commit returned. Exits by itself after a bounded time.
 */
public final class CrashIngestMain {
    static final int SERIES_PER_THREAD = 50;
    static final long BASE = 1_700_000_000_000L;
    /** Each run (epoch) writes its own time range so that runs never overlap. */
    static final long EPOCH_MS = 1_000_000_000L;

    static Labels labels(int thread, int s) {
        return Labels.of("__name__", "crash_test", "thread", "" + thread, "s", "" + s);
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        FsyncPolicy policy = FsyncPolicy.parse(args[1]);
        int threads = Integer.parseInt(args[2]);
        long base = BASE + Long.parseLong(args[3]) * EPOCH_MS;
        long deadline = System.currentTimeMillis() + 150_000;
        PrintStream out = System.out;
        Tsdb db = Tsdb.open(TsdbOptions.builder(dir).walFsync(policy).walSegmentBytes(256 * 1024).build(), () -> BASE + 100 * EPOCH_MS);
        out.println("READY");
        out.flush();
        Thread[] ts = new Thread[threads];
        for (int th = 0; th < threads; th++) {
            int thread = th;
            ts[th] = new Thread(() -> {
                try {
                    Appender a = db.appender();
                    for (int b = 0; System.currentTimeMillis() < deadline; b++) {
                        for (int s = 0; s < SERIES_PER_THREAD; s++) {
                            AppendStatus st = a.append(labels(thread, s), base + b * 1000L, b);
                            if (st != AppendStatus.OK) throw new IllegalStateException(st + ": " + a.lastError());
                        }
                        a.commit();
                        synchronized (out) {
                            out.println("ACK " + thread + " " + b);
                            out.flush();
                        }
                    }
                } catch (Exception e) {
                    e.printStackTrace();
                    System.exit(2);
                }
            });
            ts[th].start();
        }
        for (Thread t : ts) t.join();
        System.exit(0);
    }
}
