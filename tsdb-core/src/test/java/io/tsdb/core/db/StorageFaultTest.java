package io.tsdb.core.db;

import io.tsdb.core.AppendStatus;
import io.tsdb.core.Appender;
import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.fs.FaultInjectingFileLayer;
import io.tsdb.core.fs.FaultInjectingFileLayer.Op;
import io.tsdb.core.fs.FileLayer;
import io.tsdb.core.wal.FsyncPolicy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static io.tsdb.core.db.TsdbTestSupport.S;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The storage engine under injected storage faults while several threads ingest (issue 19): a full disk under the
 * WAL, failed fsyncs (followed by a simulated power loss), failures at every step of a head flush. Every case
 * proves that each acknowledged batch (commit returned) is answered, in the running process and after a restart,
 * that no failed batch was stored, and that writes are accepted again without a restart once the fault is gone.
 */
class StorageFaultTest {
    static final long NOW = 1_700_000_000_000L;
    static final int SERIES = 20;
    static final AtomicInteger CASES = new AtomicInteger();
    @TempDir Path dir;

    @AfterAll static void report() {
        System.out.println("StorageFaultTest: " + CASES.get() + " injected-fault cases run");
    }

    Tsdb open(FileLayer fs) throws IOException {
        return Tsdb.open(TsdbOptions.builder(dir).walFsync(FsyncPolicy.ALWAYS).walSegmentBytes(64 * 1024).fileLayer(fs).build(), () -> NOW);
    }

    String wal() { return Pattern.quote(dir.resolve("wal").toAbsolutePath().normalize().toString()) + "/\\d{8}$"; }
    String blocks() { return Pattern.quote(dir.resolve("blocks").toAbsolutePath().normalize().toString()); }

    static Labels series(int thread, int s) { return Labels.of("__name__", "fault_test", "thread", "" + thread, "s", "" + s); }
    static long ts(int batch) { return NOW - 10_000_000 + batch * 1000L; }
    static double value(int thread, int s, int batch) { return batch % 2 == 0 ? batch * 100 + s : batch + s / 8.0 + thread; }

    /** Threads committing batches (one sample for each of their series) until told to stop; what each commit answered. */
    static final class Load {
        final Tsdb db;
        final int threads;
        final List<ConcurrentSkipListSet<Integer>> acked = new ArrayList<>(), failed = new ArrayList<>();
        final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
        final AtomicInteger next;
        final int first;
        volatile boolean stop;
        final List<Thread> ts = new ArrayList<>();
        /** Thread {@code threads} (when newSeries) creates a new series per batch. */
        final boolean newSeries;
        final ConcurrentSkipListSet<Integer> newAcked = new ConcurrentSkipListSet<>(), newFailed = new ConcurrentSkipListSet<>();

        Load(Tsdb db, int threads, int firstBatch, boolean newSeries) {
            this.db = db;
            this.threads = threads;
            this.next = new AtomicInteger(firstBatch);
            this.first = firstBatch;
            this.newSeries = newSeries;
            for (int t = 0; t < threads; t++) {
                acked.add(new ConcurrentSkipListSet<>());
                failed.add(new ConcurrentSkipListSet<>());
            }
        }

        Load start() {
            for (int t = 0; t < threads; t++) {
                int thread = t;
                Thread th = new Thread(() -> run(thread), "fault-load-" + t);
                ts.add(th);
                th.start();
            }
            if (newSeries) {
                Thread th = new Thread(this::runNewSeries, "fault-load-new-series");
                ts.add(th);
                th.start();
            }
            return this;
        }

        private void run(int thread) {
            Appender a = db.appender();
            int b = first;
            while (!stop) {
                b++;
                try {
                    for (int s = 0; s < SERIES; s++) {
                        AppendStatus st = a.append(series(thread, s), ts(b), value(thread, s, b));
                        if (st != AppendStatus.OK) throw new IllegalStateException(st + ": " + a.lastError());
                    }
                    a.commit();
                    acked.get(thread).add(b);
                } catch (IOException e) {
                    failed.get(thread).add(b);
                    if (errors.size() < 20) errors.add(e.getMessage());
                } catch (Throwable e) {
                    unexpected.add(e);
                    return;
                }
            }
        }

        private void runNewSeries() {
            Appender a = db.appender();
            int b = 0;
            while (!stop) {
                b++;
                AppendStatus st = a.append(Labels.of("__name__", "fault_new_series", "n", "" + b), ts(1), b);
                try {
                    if (st == AppendStatus.STORAGE_ERROR) {
                        assertThrows(IOException.class, a::commit, "a batch with a storage error is not committed");
                        newFailed.add(b);
                        continue;
                    }
                    if (st != AppendStatus.OK) throw new IllegalStateException(st + ": " + a.lastError());
                    a.commit();
                    newAcked.add(b);
                } catch (IOException e) {
                    newFailed.add(b);
                } catch (Throwable e) {
                    unexpected.add(e);
                    return;
                }
            }
        }

        long ackedCount() { return acked.stream().mapToLong(ConcurrentSkipListSet::size).sum(); }

        /**
         * Whether every writer thread has had a batch acknowledged: its series are registered and in the head. A
         * fault armed before that would meet a thread's first series (a registry tier or WAL definition to write) on a
         * loaded machine, where one thread can start long after the others.
         */
        boolean everyThreadAcked() { return acked.stream().noneMatch(ConcurrentSkipListSet::isEmpty); }
        long failedCount() { return failed.stream().mapToLong(ConcurrentSkipListSet::size).sum(); }

        void await(BooleanSupplier cond, String what) throws InterruptedException {
            long deadline = System.nanoTime() + 120_000_000_000L;
            while (!cond.getAsBoolean()) {
                if (!unexpected.isEmpty()) fail("a load thread failed", unexpected.peek());
                assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what + ": acked " + ackedCount() + ", failed " + failedCount());
                Thread.sleep(2);
            }
        }

        void stop() throws InterruptedException {
            stop = true;
            for (Thread t : ts) t.join();
            if (!unexpected.isEmpty()) fail("a load thread failed", unexpected.peek());
        }
    }

    /** Every acknowledged batch is there with exact values; no failed batch left a sample. Returns samples checked. */
    static long verify(Tsdb db, Load load) {
        long n = 0;
        // what was acknowledged before the read (the load may still be running)
        List<List<Integer>> acked = new ArrayList<>();
        for (int t = 0; t < load.threads; t++) acked.add(List.copyOf(load.acked.get(t)));
        List<Integer> newAcked = List.copyOf(load.newAcked);
        Map<Labels, List<S>> all = TsdbTestSupport.read(db, Long.MIN_VALUE, Long.MAX_VALUE, Matcher.eq("__name__", "fault_test"));
        for (int t = 0; t < load.threads; t++) {
            for (int s = 0; s < SERIES; s++) {
                List<S> got = all.getOrDefault(series(t, s), List.of());
                java.util.Set<Long> times = new java.util.HashSet<>();
                for (S x : got) times.add(x.t());
                for (int b : acked.get(t)) {
                    assertTrue(got.contains(new S(ts(b), value(t, s, b))), "acknowledged batch " + b + " of thread " + t + " missing in series " + s);
                    n++;
                }
                for (int b : load.failed.get(t)) assertFalse(times.contains(ts(b)), "failed batch " + b + " of thread " + t + " was stored");
            }
        }
        if (load.newSeries) {
            Map<Labels, List<S>> fresh = TsdbTestSupport.read(db, Long.MIN_VALUE, Long.MAX_VALUE, Matcher.eq("__name__", "fault_new_series"));
            for (int b : newAcked) assertEquals(List.of(new S(ts(1), b)), fresh.get(Labels.of("__name__", "fault_new_series", "n", "" + b)), "new series " + b);
            for (int b : load.newFailed) {
                List<S> got = fresh.get(Labels.of("__name__", "fault_new_series", "n", "" + b));
                assertTrue(got == null || got.isEmpty(), "failed new series " + b + " has samples: " + got);
            }
        }
        return n;
    }

    /**
     * The issue's scenario in-process: the disk fills during ingest (every WAL write fails after writing a few bytes),
     * commits fail and nothing of them is stored, new series are refused; space comes back and commits succeed
     * again at once, without a restart; after a crash every acknowledged sample is there.
     */
    @Test void diskFullUnderTheWalFailsCommitsCleanlyAndWritesResumeWhenSpaceReturns() throws Exception {
        for (int partial : new int[]{0, 7, 3000}) {
            clean();
            FaultInjectingFileLayer fs = new FaultInjectingFileLayer();
            Tsdb db = open(fs);
            Load load = new Load(db, 3, 0, true).start();
            load.await(() -> load.ackedCount() >= 30 && load.everyThreadAcked(), "acknowledged batches of every thread before the disk fills");
            FaultInjectingFileLayer.Rule full = fs.on(Op.WRITE, wal()).partial(partial).always();
            long ackedBefore = load.ackedCount();
            load.await(() -> load.failedCount() >= 30 && load.newFailed.size() >= 3, "failed commits while the disk is full");
            CASES.incrementAndGet();
            assertTrue(full.fired() >= 30);
            assertNull(db.writeRefusal(), "a failed write is undone; the WAL does not refuse");
            assertTrue(db.walRestoredWrites() >= 30);
            assertTrue(load.errors.stream().anyMatch(m -> m.contains("No space left on device")), load.errors.toString());
            fs.clear();   // space freed
            long failedAtClear = load.failedCount();
            load.await(() -> load.ackedCount() >= ackedBefore + 60 && !load.newAcked.tailSet(load.newFailed.last()).isEmpty(),
                    "commits acknowledged again without a restart");
            load.stop();
            assertTrue(load.failedCount() <= failedAtClear + 3, "commits succeed once space is back: failed " + load.failedCount() + " vs " + failedAtClear);
            verify(db, load);
            db.crashForTesting();
            try (Tsdb again = open(FileLayer.SYSTEM)) {
                long checked = verify(again, load);
                assertTrue(checked >= 90 * SERIES);
                assertEquals(0, again.walCorruptions(), "no torn record was left in the WAL");
            }
        }
    }

    /**
     * fsyncgate: WAL fsyncs fail now and then (with fsync=always). The commits they covered fail; after a power loss
     * (which drops whatever the failed fsyncs covered and everything never fsynced) each acknowledged batch is there.
     */
    @Test void failedWalFsyncsLoseNoAcknowledgedBatchAcrossAPowerLoss() throws Exception {
        for (int k : new int[]{3, 11, 40, 97}) {
            clean();
            FaultInjectingFileLayer fs = new FaultInjectingFileLayer();
            Tsdb db = open(fs);
            fs.on(Op.FSYNC, wal()).skip(k);
            fs.on(Op.FSYNC, wal()).skip(k + 30);
            Load load = new Load(db, 3, 0, true).start();
            load.await(() -> fs.injected() == 2 && load.ackedCount() >= 150, "two failed fsyncs and more commits");
            load.stop();
            CASES.addAndGet(2);
            assertTrue(load.failedCount() + load.newFailed.size() >= 1, "the commits covered by the failed fsyncs failed");
            assertTrue(load.errors.stream().allMatch(m -> m.contains("Input/output error")), load.errors.toString());
            assertEquals(2, db.walFsyncErrors());
            assertNull(db.writeRefusal());
            verify(db, load);
            db.crashForTesting();
            fs.powerLoss();
            try (Tsdb again = open(FileLayer.SYSTEM)) {
                verify(again, load);
            }
        }
    }

    /**
     * A head flush fails at each step of writing its block (chunks, index, meta.json, fsyncs, the rename, the
     * directory fsync): the flush throws, queries keep answering everything, ingest goes on, the WAL keeps the
     * samples (a crash right then loses nothing), and the next flush succeeds once the fault is gone.
     */
    @Test void failedHeadFlushKeepsTheWalAndSucceedsLater() throws Exception {
        Op[] ops = {Op.MKDIR, Op.OPEN, Op.WRITE, Op.FSYNC, Op.FSYNC_DIR, Op.RENAME};
        for (Op op : ops) {
            for (int k : new int[]{0, 1, 2}) {
                clean();
                FaultInjectingFileLayer fs = new FaultInjectingFileLayer();
                Tsdb db = open(fs);
                Load load = new Load(db, 2, 0, false).start();
                load.await(() -> load.ackedCount() >= 20 && load.everyThreadAcked(), "batches of every thread before the flush");
                FaultInjectingFileLayer.Rule rule = fs.on(op, blocks()).skip(k);
                try {
                    db.flush();
                } catch (IOException expected) {
                    // the usual outcome; with a high k the fault may miss this flush
                }
                if (rule.fired() == 0) {
                    load.stop();
                    db.close();
                    continue;
                }
                CASES.incrementAndGet();
                assertEquals(0, db.blockCount(), op + " #" + k);
                long acked = load.ackedCount();
                load.await(() -> load.ackedCount() >= acked + 20, "ingest after the failed flush");
                verify(db, load);   // queries answer the frozen and the new samples
                if (k == 0) {
                    // crash now: the WAL still holds everything
                    load.stop();
                    db.crashForTesting();
                    try (Tsdb again = open(FileLayer.SYSTEM)) {
                        verify(again, load);
                        again.flush();
                        assertEquals(1, again.blockCount());
                    }
                } else {
                    fs.clear();
                    db.flush();   // writes the frozen block first, then flushes again
                    load.stop();
                    assertTrue(db.blockCount() >= 1, op + " #" + k);
                    verify(db, load);
                    db.crashForTesting();
                    fs.powerLoss();
                    try (Tsdb again = open(FileLayer.SYSTEM)) {
                        verify(again, load);
                    }
                }
                for (String e : entries(dir.resolve("blocks"))) assertFalse(e.endsWith(".tmp"), op + " #" + k + ": leftover " + e);
            }
        }
    }

    /**
     * The fsync that should make a flush's WAL checkpoint durable fails (fsync always): the flush fails after
     * freezing the head; maintenance writes the frozen block later but keeps the WAL segments before the checkpoint
     * (it may be lost); after a power loss every acknowledged batch is there.
     */
    @Test void failedFsyncOfAFlushCheckpointKeepsTheOlderWalSegments() throws Exception {
        FaultInjectingFileLayer fs = new FaultInjectingFileLayer();
        Tsdb db = open(fs);
        Load load = new Load(db, 2, 0, false).start();
        load.await(() -> load.ackedCount() >= 30, "batches before the flush");
        load.stop();
        long segmentsBefore;
        try (Stream<Path> st = Files.list(dir.resolve("wal"))) { segmentsBefore = st.count(); }
        // the flush's third WAL fsync: the new segment's header and the old segment at the cut pass, the fsync of
        // the checkpoint (syncAll, after the head is frozen) fails
        fs.on(Op.FSYNC, wal()).skip(2);
        IOException e = assertThrows(IOException.class, db::flush);
        CASES.incrementAndGet();
        assertTrue(e.getMessage().contains("Input/output error"), e.getMessage());
        assertEquals(0, db.blockCount());
        db.maintain();   // writes the frozen block
        assertEquals(1, db.blockCount());
        try (Stream<Path> st = Files.list(dir.resolve("wal"))) {
            assertTrue(st.count() >= segmentsBefore, "the segments before the lost checkpoint are kept");
        }
        Load more = new Load(db, 2, 100, false).start();
        more.await(() -> more.ackedCount() >= 20, "batches after the flush");
        more.stop();
        verify(db, load);
        verify(db, more);
        db.crashForTesting();
        fs.powerLoss();
        try (Tsdb again = open(FileLayer.SYSTEM)) {
            verify(again, load);
            verify(again, more);
        }
    }

    /**
     * With fsync periodic a failed fsync leaves acknowledged records in a sealed segment that may not be on disk: the
     * WAL asks for the head to be persisted and the next maintenance flushes it to a block although the head spans
     * less than the block duration; after a power loss everything acknowledged before the flush is there.
     */
    @Test void failedFsyncUnderPeriodicMakesMaintenancePersistTheHead() throws Exception {
        FaultInjectingFileLayer fs = new FaultInjectingFileLayer();
        Tsdb db = Tsdb.open(TsdbOptions.builder(dir).walFsync(FsyncPolicy.PERIODIC).walFsyncInterval(java.time.Duration.ofHours(1))
                .walSegmentBytes(64 * 1024).fileLayer(fs).build(), () -> NOW);
        Load load = new Load(db, 2, 0, false).start();
        load.await(() -> load.ackedCount() >= 30, "batches");
        load.stop();
        fs.on(Op.FSYNC, wal());
        assertThrows(IOException.class, () -> db.walForTesting().syncAll());   // what the periodic fsync does
        CASES.incrementAndGet();
        assertEquals(0, db.blockCount());
        db.maintain();
        assertEquals(1, db.blockCount(), "the head was persisted");
        db.crashForTesting();
        fs.powerLoss();
        try (Tsdb again = open(FileLayer.SYSTEM)) {
            verify(again, load);
        }
    }

    static List<String> entries(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }

    void clean() throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) if (!p.equals(dir)) Files.delete(p);
        }
    }
}
