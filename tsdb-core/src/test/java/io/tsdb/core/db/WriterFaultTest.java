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
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static io.tsdb.core.db.TsdbTestSupport.S;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Each writer of the storage engine that {@link StorageFaultTest} and {@code BlockWriteFaultTest} do not drive
 * through a whole {@link Tsdb}: a block's tombstones (delete_series), the block rewrite of clean_tombstones, a
 * snapshot, the creation of a series registry tier, the WAL checkpoint of a head flush and retention's deletion
 * of an expired block. For each, a fault-free
 * dry run counts the file operations of each type the writer makes; then each operation fails in turn (every call
 * when there are few, else the first, second, middle and last) while two threads keep ingesting, and the case
 * proves:
 * <ul>
 *   <li>the writer reports the failure (an {@link IOException}) and leaves the previous consistent state: queries
 *       answer every acknowledged batch and the writer's own data as before;</li>
 *   <li>ingestion goes on, and the same work succeeds once the fault is gone, without a restart;</li>
 *   <li>after a crash and a simulated power loss (what no successful fsync covered is gone) a restart answers
 *       every acknowledged batch and the completed work.</li>
 * </ul>
 * A last case makes every write of every file short (the writers must loop) through all of them.
 */
class WriterFaultTest {
    static final long NOW = StorageFaultTest.NOW;
    static final Op[] OPS = {Op.MKDIR, Op.OPEN, Op.WRITE, Op.FSYNC, Op.TRUNCATE, Op.RENAME, Op.DELETE, Op.FSYNC_DIR};
    static final AtomicInteger CASES = new AtomicInteger();
    /** Series written before the load starts, flushed to a block: kept ones must survive everything. */
    static final int KEPT = 30, DOOMED = 10, OLD_SAMPLES = 40;
    @TempDir Path dir;
    /** The storage's retention (the retention case shortens it). */
    java.time.Duration retention = java.time.Duration.ofDays(30);

    @AfterAll static void report() {
        System.out.println("WriterFaultTest: " + CASES.get() + " injected-fault cases run");
    }

    Tsdb open(FileLayer fs) throws IOException {
        return Tsdb.open(TsdbOptions.builder(dir).walFsync(FsyncPolicy.ALWAYS).walSegmentBytes(64 * 1024).registryCapacity(1024)
                .retention(retention).fileLayer(fs).build(), () -> NOW);
    }

    String under(String sub) { return Pattern.quote(dir.resolve(sub).toAbsolutePath().normalize().toString()); }

    static Labels kept(int s) { return Labels.of("__name__", "kept", "s", "" + s); }
    static Labels doomed(int s) { return Labels.of("__name__", "doomed", "s", "" + s); }
    static long oldTs(int i) { return NOW - 20_000_000 + i * 10_000L; }
    static double oldValue(int s, int i) { return s * 1000 + i + 0.25; }

    /** Kept and doomed series with {@link #OLD_SAMPLES} samples each, flushed to a block. */
    static void writeOld(Tsdb db) throws IOException {
        Appender a = db.appender();
        for (int i = 0; i < OLD_SAMPLES; i++) {
            for (int s = 0; s < KEPT; s++) assertEquals(AppendStatus.OK, a.append(kept(s), oldTs(i), oldValue(s, i)));
            for (int s = 0; s < DOOMED; s++) assertEquals(AppendStatus.OK, a.append(doomed(s), oldTs(i), oldValue(s, i)));
            a.commit();
        }
        db.flush();
    }

    /** {@link #writeOld}, then one sample of each of {@link #KEPT} series left in the head. */
    static void writeOldAndHead(Tsdb db) throws IOException {
        writeOld(db);
        Appender a = db.appender();
        for (int s = 0; s < KEPT; s++) assertEquals(AppendStatus.OK, a.append(Labels.of("__name__", "unflushed", "s", "" + s), NOW - 15_000_000, s));
        a.commit();
    }

    static void verifyUnflushed(Tsdb db, String what) {
        Map<Labels, List<S>> all = TsdbTestSupport.read(db, Long.MIN_VALUE, Long.MAX_VALUE, Matcher.eq("__name__", "unflushed"));
        assertEquals(KEPT, all.size(), what + ": unflushed series");
        for (int s = 0; s < KEPT; s++) assertEquals(List.of(new S(NOW - 15_000_000, s)), all.get(Labels.of("__name__", "unflushed", "s", "" + s)), what);
    }

    static void verifyKept(Tsdb db, String what) {
        Map<Labels, List<S>> all = TsdbTestSupport.read(db, Long.MIN_VALUE, Long.MAX_VALUE, Matcher.eq("__name__", "kept"));
        assertEquals(KEPT, all.size(), what + ": kept series");
        for (int s = 0; s < KEPT; s++) {
            List<S> got = all.get(kept(s));
            assertEquals(OLD_SAMPLES, got.size(), what + ": samples of kept series " + s);
            for (int i = 0; i < OLD_SAMPLES; i++) assertEquals(new S(oldTs(i), oldValue(s, i)), got.get(i), what);
        }
    }

    /** Samples of the doomed series answered: all of them or none (a deletion is never half applied per block). */
    static int doomedSamples(Tsdb db, String what) {
        Map<Labels, List<S>> all = TsdbTestSupport.read(db, Long.MIN_VALUE, Long.MAX_VALUE, Matcher.eq("__name__", "doomed"));
        int n = 0;
        for (List<S> l : all.values()) n += l.size();
        assertTrue(n == 0 || n == DOOMED * OLD_SAMPLES, what + ": doomed samples " + n);
        return n;
    }

    /** One writer under test. */
    interface Step { void run(Tsdb db) throws Exception; }
    /** What the writer's data must look like; {@code done}: the writer's work succeeded. */
    interface Check { void run(Tsdb db, boolean done, String what) throws Exception; }

    /**
     * Runs {@code work} with each file operation under {@code pathRegex} failing in turn (see the class comment);
     * {@code setup} runs first on a fresh data directory, without faults. Returns the cases run.
     */
    int faultEachOperation(String writer, String pathRegex, Step setup, Step work, Check check) throws Exception {
        return faultEachOperation(writer, pathRegex, setup, work, check, false);
    }

    /** As above; {@code persistent}: the operation keeps failing (every later matching call) until the fault clears. */
    int faultEachOperation(String writer, String pathRegex, Step setup, Step work, Check check, boolean persistent) throws Exception {
        Map<Op, Integer> calls = new EnumMap<>(Op.class);
        {
            clean();
            FaultInjectingFileLayer fs = new FaultInjectingFileLayer();
            Tsdb db = open(fs);
            setup.run(db);
            Map<Op, FaultInjectingFileLayer.Rule> counters = new EnumMap<>(Op.class);
            for (Op op : OPS) counters.put(op, fs.on(op, pathRegex).skip(Integer.MAX_VALUE));
            work.run(db);
            for (Op op : OPS) calls.put(op, counters.get(op).seen());
            check.run(db, true, writer + " dry run");
            db.close();
        }
        System.out.println(writer + ": file operations per type " + calls);
        int cases = 0;
        for (Op op : OPS) {
            int n = calls.get(op);
            TreeSet<Integer> ks = new TreeSet<>();
            if (n <= 4) for (int k = 0; k < n; k++) ks.add(k);
            else ks.addAll(List.of(0, 1, n / 2, n - 1));
            for (int k : ks) {
                String what = writer + ", " + op + " #" + k + " of " + n;
                long t0 = System.nanoTime();
                clean();
                FaultInjectingFileLayer fs = new FaultInjectingFileLayer();
                Tsdb db = open(fs);
                setup.run(db);
                StorageFaultTest.Load load = new StorageFaultTest.Load(db, 2, 0, false).start();
                load.await(() -> load.ackedCount() >= 10 && load.everyThreadAcked(), "batches of every thread before the fault");
                FaultInjectingFileLayer.Rule rule = fs.on(op, pathRegex).skip(k);
                if (persistent) rule.always();
                boolean done;
                try {
                    work.run(db);
                    done = true;
                } catch (IOException e) {
                    done = false;
                }
                if (rule.fired() == 0) {   // the work took another path this time (concurrent ingest): not a case
                    load.stop();
                    db.close();
                    continue;
                }
                cases++;
                // queries are answered and ingestion goes on
                long acked = load.ackedCount();
                load.await(() -> load.ackedCount() >= acked + 10, what + ": ingest after the fault");
                StorageFaultTest.verify(db, load);
                check.run(db, done, what);
                fs.clear();
                if (!done) work.run(db);   // succeeds once the fault is gone, without a restart
                check.run(db, true, what + ", after the fault cleared");
                load.stop();
                StorageFaultTest.verify(db, load);
                db.crashForTesting();
                fs.powerLoss();
                try (Tsdb again = open(FileLayer.SYSTEM)) {
                    StorageFaultTest.verify(again, load);
                    check.run(again, true, what + ", after a power loss and a restart");
                }
                System.out.println(what + ": " + (done ? "succeeded" : "failed") + ", recovered; " + (System.nanoTime() - t0) / 1_000_000 + " ms");
            }
        }
        assertTrue(cases >= 4, writer + ": only " + cases + " cases");
        CASES.addAndGet(cases);
        return cases;
    }

    /** delete_series on a block: its tombstones file is replaced (temporary, fsync, rename, directory fsync). */
    @Test void tombstonesWriteFailingAtEachFileOperation() throws Exception {
        faultEachOperation("tombstones", under("blocks"), WriterFaultTest::writeOld,
                db -> db.deleteSeries(List.of(List.of(Matcher.eq("__name__", "doomed"))), Long.MIN_VALUE, Long.MAX_VALUE),
                (db, done, what) -> {
                    verifyKept(db, what);
                    int n = doomedSamples(db, what);
                    if (done) assertEquals(0, n, what + ": deleted");
                    for (String e : entries(db.options().dataDir().resolve("blocks")))
                        assertFalse(e.endsWith(".tmp"), what + ": leftover " + e);
                });
    }

    /** clean_tombstones: the block is rewritten without the deleted data, and the old one deleted. */
    @Test void cleanTombstonesFailingAtEachFileOperation() throws Exception {
        faultEachOperation("clean_tombstones", under("blocks"),
                db -> {
                    writeOld(db);
                    db.deleteSeries(List.of(List.of(Matcher.eq("__name__", "doomed"))), Long.MIN_VALUE, Long.MAX_VALUE);
                },
                db -> assertEquals(1, db.cleanTombstones()),
                (db, done, what) -> {
                    verifyKept(db, what);
                    assertEquals(0, doomedSamples(db, what), what + ": stays deleted");
                    if (done) {
                        db.maintain();   // retries a deletion of the old block that failed
                        try (Stream<Path> s = Files.walk(db.options().dataDir().resolve("blocks"))) {
                            assertTrue(s.noneMatch(p -> p.getFileName().toString().equals("tombstones")), what + ": tombstones cleaned");
                        }
                    }
                });
    }

    /** A snapshot: blocks linked, the head written as a block, the registry copied, all under a temporary name. */
    @Test void snapshotFailingAtEachFileOperation() throws Exception {
        String[] name = {null};
        faultEachOperation("snapshot", under("snapshots"), WriterFaultTest::writeOldAndHead,
                db -> name[0] = db.snapshot(false),
                (db, done, what) -> {
                    verifyKept(db, what);
                    verifyUnflushed(db, what);
                    assertEquals(DOOMED * OLD_SAMPLES, doomedSamples(db, what));
                    Path snaps = db.options().dataDir().resolve("snapshots");
                    List<String> complete = Files.isDirectory(snaps) ? entries(snaps).stream().filter(e -> !e.endsWith(".tmp")).toList() : List.of();
                    if (!done) {
                        assertEquals(List.of(), complete, what + ": no snapshot under its final name");
                        return;
                    }
                    assertEquals(List.of(name[0]), complete, what);
                    // the snapshot is a data directory a server starts on, with everything
                    Path copy = dir.resolveSibling(dir.getFileName() + "-snapshot");
                    deleteTree(copy);
                    copyTree(snaps.resolve(name[0]), copy);
                    try (Tsdb s = Tsdb.open(TsdbOptions.builder(copy).registryCapacity(1024).build(), () -> NOW)) {
                        verifyKept(s, what + " (the snapshot)");
                        verifyUnflushed(s, what + " (the snapshot: the head's samples)");
                        assertEquals(DOOMED * OLD_SAMPLES, doomedSamples(s, what + " (the snapshot)"));
                    } finally {
                        deleteTree(copy);
                    }
                });
    }

    /**
     * The registry's first tier (1,024 series) fills up during a commit of new series: the second tier is created
     * (Chronicle Map under a temporary name, every block written out, fsync, rename, allocated marker, directory
     * fsync). A failure refuses the new series (the commit fails, nothing of it is stored); existing series go on.
     */
    @Test void registryTierCreationFailingAtEachFileOperation() throws Exception {
        faultEachOperation("registry tier", Pattern.quote(dir.resolve("registry").toAbsolutePath().normalize().toString())
                        + "(/series-01\\.registry.*)?$",
                db -> {
                    Appender a = db.appender();
                    for (int s = 0; s < 900; s++) assertEquals(AppendStatus.OK, a.append(Labels.of("__name__", "filler", "s", "" + s), NOW - 1000, s));
                    a.commit();
                },
                db -> {
                    Appender a = db.appender();
                    for (int s = 0; s < 200; s++) {
                        AppendStatus st = a.append(Labels.of("__name__", "tier_new", "s", "" + s), NOW - 1000, s);
                        if (st == AppendStatus.STORAGE_ERROR) {
                            assertTrue(a.lastError().contains("cannot create series registry tier 1"), a.lastError());
                            break;
                        }
                        assertEquals(AppendStatus.OK, st, a.lastError());
                    }
                    a.commit();   // throws when a series was refused: nothing of the batch is stored
                },
                (db, done, what) -> {
                    Map<Labels, List<S>> fresh = TsdbTestSupport.read(db, Long.MIN_VALUE, Long.MAX_VALUE, Matcher.eq("__name__", "tier_new"));
                    assertEquals(done ? 200 : 0, fresh.size(), what + ": new series");
                    for (int s = 0; s < (done ? 200 : 0); s++) assertEquals(List.of(new S(NOW - 1000, s)), fresh.get(Labels.of("__name__", "tier_new", "s", "" + s)));
                    assertEquals(900, TsdbTestSupport.read(db, Long.MIN_VALUE, Long.MAX_VALUE, Matcher.eq("__name__", "filler")).size(), what);
                    List<String> tiers = entries(db.options().dataDir().resolve("registry")).stream().filter(e -> e.matches("series-\\d{2}\\.registry")).toList();
                    assertEquals(done ? 2 : 1, tiers.size(), what + ": " + tiers);
                });
    }

    /**
     * A head flush writes a checkpoint into the WAL (series definitions, series state) and cuts the WAL; a WAL
     * operation failing there (the load's commits share the WAL: whichever call meets the fault fails) makes the
     * flush fail; the samples stay in the WAL and the head until a flush succeeds.
     */
    @Test void flushCheckpointFailingAtEachWalOperation() throws Exception {
        faultEachOperation("flush checkpoint", under("wal"), WriterFaultTest::writeOldAndHead, Tsdb::flush,
                (db, done, what) -> {
                    verifyKept(db, what);
                    assertEquals(DOOMED * OLD_SAMPLES, doomedSamples(db, what));
                    verifyUnflushed(db, what);
                    if (done) assertTrue(db.blockCount() >= 2, what + ": blocks " + db.blockCount());
                });
    }

    /**
     * Retention deletes the expired block (renamed to {@code <ulid>.deleting}, the directory fsynced, its files and
     * directories deleted): a failure leaves the block out of the store (queries no longer answer it) and its
     * directory for the maintenance to delete later, or for the next open; the load's samples are untouched. The
     * fault persists until it is cleared (the maintenance retries the deletion at once).
     */
    @Test void retentionDeletionFailingAtEachFileOperation() throws Exception {
        retention = java.time.Duration.ofHours(4);   // the old block (5.5 h ago) expires, the load's samples (2.8 h) do not
        faultEachOperation("retention", under("blocks"), WriterFaultTest::writeOld,
                db -> {
                    db.maintain();
                    if (entries(db.options().dataDir().resolve("blocks")).size() > 0) throw new IOException("the expired block's deletion is pending");
                },
                (db, done, what) -> {
                    assertEquals(0, db.blockCount(), what + ": the expired block left the store");
                    assertEquals(0, TsdbTestSupport.read(db, Long.MIN_VALUE, Long.MAX_VALUE, Matcher.eq("__name__", "kept")).size(), what);
                    assertEquals(0, doomedSamples(db, what));
                    if (done) assertEquals(List.of(), entries(db.options().dataDir().resolve("blocks")), what + ": deleted");
                }, true);
    }

    /** Every write of every file is short (at most 7 bytes per call, no error): each writer completes its writes. */
    @Test void shortWritesEverywhere() throws Exception {
        FaultInjectingFileLayer fs = new FaultInjectingFileLayer();
        fs.shortWrites(Pattern.quote(dir.toAbsolutePath().normalize().toString()), 7);
        Tsdb db = open(fs);
        writeOld(db);
        StorageFaultTest.Load load = new StorageFaultTest.Load(db, 2, 0, true).start();
        load.await(() -> load.ackedCount() >= 20, "batches");
        db.deleteSeries(List.of(List.of(Matcher.eq("__name__", "doomed"), Matcher.eq("s", "3"))), Long.MIN_VALUE, Long.MAX_VALUE);
        assertEquals(1, db.cleanTombstones());
        db.flush();
        String snap = db.snapshot(false);
        Appender a = db.appender();
        for (int s = 0; s < 1100; s++) assertEquals(AppendStatus.OK, a.append(Labels.of("__name__", "tier_new", "s", "" + s), NOW - 1000, s));
        a.commit();
        load.stop();
        assertTrue(fs.shortWritesDone() > 1000, "short writes: " + fs.shortWritesDone());
        CASES.incrementAndGet();
        StorageFaultTest.verify(db, load);
        db.crashForTesting();
        fs.powerLoss();
        try (Tsdb again = open(FileLayer.SYSTEM)) {
            StorageFaultTest.verify(again, load);
            verifyKept(again, "after a restart");
            assertEquals((DOOMED - 1) * OLD_SAMPLES, TsdbTestSupport.read(again, Long.MIN_VALUE, Long.MAX_VALUE, Matcher.eq("__name__", "doomed"))
                    .values().stream().mapToInt(List::size).sum());
            assertEquals(1100, TsdbTestSupport.read(again, Long.MIN_VALUE, Long.MAX_VALUE, Matcher.eq("__name__", "tier_new")).size());
            assertTrue(Files.isDirectory(dir.resolve("snapshots").resolve(snap)));
        }
    }

    static List<String> entries(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    void clean() throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) if (!p.equals(dir)) Files.delete(p);
        }
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else Files.copy(p, t);
            }
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
