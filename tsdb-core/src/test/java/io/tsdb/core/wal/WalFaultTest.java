package io.tsdb.core.wal;

import io.tsdb.core.Labels;
import io.tsdb.core.fs.FaultInjectingFileLayer;
import io.tsdb.core.fs.FaultInjectingFileLayer.Op;
import io.tsdb.core.registry.LabelsCodec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The WAL under injected storage faults ({@link FaultInjectingFileLayer}): failed and short writes, failed
 * truncations, failed fsyncs (with a simulated power loss afterwards), failed segment creation, an interrupted
 * writer. Records are SERIES records numbered by their id; after each scenario the WAL is reopened and replay must
 * return every record whose write (and, under ALWAYS, sync) succeeded, and none whose write failed.
 */
class WalFaultTest {
    @TempDir Path dir;
    static final AtomicInteger CASES = new AtomicInteger();

    @AfterAll static void report() {
        System.out.println("WalFaultTest: " + CASES.get() + " injected-fault cases run");
    }

    static ByteBuffer record(int id) {
        byte[] lb = LabelsCodec.encode(Labels.of("__name__", "wal_fault_test", "id", Integer.toString(id), "pad", "x".repeat(id % 97)));
        ByteBuffer b = ByteBuffer.allocate(WalFormat.RECORD_HEADER_BYTES + 1 + 4 + 8 + lb.length).order(ByteOrder.LITTLE_ENDIAN);
        b.position(WalFormat.RECORD_HEADER_BYTES);
        b.put(WalFormat.TYPE_SERIES).putInt(1).putInt(id).putInt(lb.length).put(lb);
        WalFormat.seal(b);
        return b;
    }

    /** Replayed ids, in order. */
    static final class Ids implements WalReplayHandler {
        final List<Integer> ids = new ArrayList<>();
        @Override public void series(int id, Labels labels) {
            assertEquals(Integer.toString(id), labels.get("id"));
            ids.add(id);
        }
        @Override public void samples(ByteBuffer buf, int offset, int count) { fail("no samples written"); }
        @Override public void sample(int id, long t, long valueBits) { fail("no samples written"); }
        @Override public void seriesState(ByteBuffer buf, int offset, int count) { fail("no state written"); }
        @Override public void tombstones(ByteBuffer buf, int offset, int count) { fail("no tombstones written"); }
    }

    Wal open(FaultInjectingFileLayer fs, FsyncPolicy policy, Ids into) throws IOException {
        return Wal.open(fs, dir, policy, 64 * 1024, 60_000, into);
    }

    Wal open(FaultInjectingFileLayer fs, FsyncPolicy policy) throws IOException {
        return open(fs, policy, new Ids());
    }

    /** Reopens on the real file system and returns the ids replayed, and the replay result. */
    record Replay(List<Integer> ids, WalReplayResult result) {}

    Replay reopen() throws IOException {
        Ids ids = new Ids();
        Wal w = Wal.open(dir, FsyncPolicy.ALWAYS, 64 * 1024, 60_000, ids);
        WalReplayResult r = w.replayResult();
        w.close();
        return new Replay(ids.ids, r);
    }

    static final String SEGMENTS = "/\\d{8}$";

    @Test void failedWriteIsUndoneBeforeAnythingElseIsAppended() throws Exception {
        for (int partial : new int[]{0, 1, 9, 30}) {
            clean();
            FaultInjectingFileLayer fs = new FaultInjectingFileLayer();
            Wal w = open(fs, FsyncPolicy.ALWAYS);
            w.sync(w.write(record(1)));
            Path seg = dir.resolve(WalFormat.segmentName(w.currentSegment()));
            long size = Files.size(seg);
            fs.on(Op.WRITE, SEGMENTS).partial(partial);
            IOException e = assertThrows(IOException.class, () -> w.write(record(2)));
            CASES.incrementAndGet();
            assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());
            assertEquals(size, Files.size(seg), "the torn bytes were truncated away (partial " + partial + ")");
            assertNull(w.refusal());
            assertEquals(1, w.restoredWrites());
            w.sync(w.write(record(3)));
            w.close();
            Replay r = reopen();
            assertEquals(List.of(1, 3), r.ids(), "partial " + partial);
            assertEquals(0, r.result().corruptions());
        }
    }

    @Test void shortWritesAreCompletedByTheWriter() throws Exception {
        FaultInjectingFileLayer fs = new FaultInjectingFileLayer();
        fs.shortWrites(SEGMENTS, 7);
        Wal w = open(fs, FsyncPolicy.ALWAYS);
        for (int i = 0; i < 50; i++) w.sync(w.write(record(i)));
        w.close();
        assertTrue(fs.shortWritesDone() > 50, "short writes happened: " + fs.shortWritesDone());
        CASES.incrementAndGet();
        Replay r = reopen();
        assertEquals(50, r.ids().size());
        assertEquals(0, r.result().corruptions());
    }

    /**
     * The write fails and so does the truncation that should undo it: the segment is sealed; under ALWAYS the record
     * written before (not yet fsynced, so not acknowledged) is declared lost and its sync fails; a new segment takes
     * the next writes at once.
     */
    @Test void writeThatCannotBeUndoneSealsTheSegmentAndLosesOnlyUnacknowledgedRecords() throws Exception {
        FaultInjectingFileLayer fs = new FaultInjectingFileLayer();
        Wal w = open(fs, FsyncPolicy.ALWAYS);
        w.sync(w.write(record(1)));
        long sealed = w.currentSegment();
        long p2 = w.write(record(2));                       // written, not yet synced
        fs.on(Op.WRITE, SEGMENTS).partial(20);
        fs.on(Op.TRUNCATE, SEGMENTS);                        // the undo fails once
        assertThrows(IOException.class, () -> w.write(record(3)));
        CASES.incrementAndGet();
        assertNull(w.refusal(), "a new segment was started");
        assertEquals(sealed + 1, w.currentSegment());
        assertEquals(1, w.sealedSegments());
        IOException lost = assertThrows(IOException.class, () -> w.sync(p2));
        assertTrue(lost.getMessage().contains("dropped"), lost.getMessage());
        w.sync(w.write(record(4)));
        w.close();
        Replay r = reopen();
        assertEquals(List.of(1, 4), r.ids());
    }

    @Test void refusesWritesWhileNoSegmentCanBeStartedAndRecoversByItselfOnceTheFaultClears() throws Exception {
        FaultInjectingFileLayer fs = new FaultInjectingFileLayer();
        Wal w = open(fs, FsyncPolicy.ALWAYS);
        w.sync(w.write(record(1)));
        fs.on(Op.WRITE, SEGMENTS).always();
        fs.on(Op.TRUNCATE, SEGMENTS).always();
        fs.on(Op.OPEN, SEGMENTS).always().message("Read-only file system");
        assertThrows(IOException.class, () -> w.write(record(2)));
        CASES.incrementAndGet();
        assertNotNull(w.refusal());
        IOException refused = assertThrows(IOException.class, () -> w.write(record(3)));
        assertTrue(refused.getMessage().contains("WAL refuses writes"), refused.getMessage());
        assertTrue(refused.getMessage().contains("Read-only file system"), refused.getMessage());
        fs.clear();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (w.refusal() != null) {   // the background retry (backoff from 100 ms) starts a new segment
            assertTrue(System.nanoTime() < deadline, "still refusing: " + w.refusal());
            Thread.onSpinWait();
            Thread.sleep(5);
        }
        w.sync(w.write(record(4)));
        w.close();
        Replay r = reopen();
        assertEquals(List.of(1, 4), r.ids());
    }

    /**
     * fsyncgate: an fsync fails. Under ALWAYS the writes it covered are answered as failed, the segment is sealed
     * and cut back to what the last successful fsync covered, the series definition written since is written again
     * into the new segment, and after a power loss (which drops what the failed fsync covered, and everything
     * never fsynced) exactly the acknowledged records come back.
     */
    @Test void failedFsyncFailsTheWritesItCoveredAndRewritesDefinitions() throws Exception {
        FaultInjectingFileLayer fs = new FaultInjectingFileLayer();
        Wal w = open(fs, FsyncPolicy.ALWAYS);
        w.sync(w.write(record(1)));
        long def = w.writeDefinition(record(2));
        long p3 = w.write(record(3));
        fs.on(Op.FSYNC, SEGMENTS);
        IOException e = assertThrows(IOException.class, () -> w.sync(p3));
        CASES.incrementAndGet();
        assertTrue(e.getMessage().contains("Input/output error"), e.getMessage());
        assertThrows(IOException.class, () -> w.sync(def), "the definition's own position is lost too");
        assertNull(w.refusal());
        assertEquals(1, w.fsyncErrors());
        w.sync(w.write(record(4)));
        w.abandon();
        fs.powerLoss();
        Replay r = reopen();
        assertEquals(List.of(1, 2, 4), r.ids(), "3 was never acknowledged; 2 was written again");
    }

    /** Under PERIODIC the records since the last fsync were acknowledged already: they stay, and the owner is asked to persist. */
    @Test void failedFsyncUnderPeriodicKeepsAcknowledgedRecordsAndRequestsAHeadPersist() throws Exception {
        FaultInjectingFileLayer fs = new FaultInjectingFileLayer();
        Wal w = open(fs, FsyncPolicy.PERIODIC);
        w.write(record(1));
        w.write(record(2));
        fs.on(Op.FSYNC, SEGMENTS);
        assertThrows(IOException.class, w::syncAll);
        CASES.incrementAndGet();
        assertTrue(w.headPersistRequested());
        assertEquals(1, w.sealedSegments());
        w.write(record(3));
        w.syncAll();
        w.close();
        assertEquals(List.of(1, 2, 3), reopen().ids());
    }

    @Test void segmentThatCannotBeCreatedAtRotationLeavesTheCurrentOneInUse() throws Exception {
        FaultInjectingFileLayer fs = new FaultInjectingFileLayer();
        Wal w = open(fs, FsyncPolicy.ALWAYS);
        int id = 0;
        long first = w.currentSegment();
        while (Files.size(dir.resolve(WalFormat.segmentName(first))) < 60 * 1024) w.sync(w.write(record(id++)));
        for (Op op : new Op[]{Op.OPEN, Op.WRITE, Op.FSYNC, Op.FSYNC_DIR}) {
            String next = "/" + WalFormat.segmentName(w.currentSegment() + 1) + "$";
            fs.on(op, op == Op.FSYNC_DIR ? java.util.regex.Pattern.quote(dir.toAbsolutePath().normalize().toString()) + "$" : next);
            int failing = id;
            while (w.currentSegment() == first) {
                try {
                    w.sync(w.write(record(id++)));
                } catch (IOException e) {
                    CASES.incrementAndGet();
                    assertEquals(first, w.currentSegment(), op + ": still in the first segment");
                    assertNull(w.refusal());
                    assertFalse(Files.exists(dir.resolve(WalFormat.segmentName(first + 1))), op + ": the failed segment was removed");
                    fs.clear();
                    break;
                }
                assertTrue(id - failing < 1000, op + ": the rotation never failed");
            }
            assertEquals(first, w.currentSegment(), op.toString());
        }
        w.sync(w.write(record(id++)));
        assertEquals(first + 1, w.currentSegment());
        w.close();
        Replay r = reopen();
        Set<Integer> got = new TreeSet<>(r.ids());
        assertEquals(r.ids().size(), got.size());
        assertEquals(0, r.result().corruptions());
        assertEquals(id - 4, got.size(), "every record but the four whose write failed");
    }

    @Test void interruptedWriterDoesNotBreakTheWalForOthers() throws Exception {
        Wal w = open(new FaultInjectingFileLayer(), FsyncPolicy.ALWAYS);
        w.sync(w.write(record(1)));
        Thread.currentThread().interrupt();
        try {
            assertThrows(ClosedByInterruptException.class, () -> w.write(record(2)));
        } finally {
            assertTrue(Thread.interrupted(), "the interrupt status is kept");
        }
        w.sync(w.write(record(3)));
        long p4 = w.write(record(4));
        Thread.currentThread().interrupt();
        try {
            assertThrows(java.io.InterruptedIOException.class, () -> w.sync(p4));
        } finally {
            assertTrue(Thread.interrupted());
        }
        w.sync(p4);   // the segment was reopened: the record is still there and now fsynced
        w.sync(w.write(record(5)));
        assertEquals(0, w.sealedSegments());
        w.close();
        assertEquals(List.of(1, 3, 4, 5), reopen().ids());
    }

    /**
     * Writers commit concurrently (group commit) while fsyncs fail now and then; after a power loss every record
     * whose sync returned is there, and none whose write or sync failed.
     */
    @Test void concurrentCommitsUnderFailingFsyncsLoseNothingAcknowledged() throws Exception {
        for (int round = 0; round < 4; round++) {
            clean();
            FaultInjectingFileLayer fs = new FaultInjectingFileLayer();
            // single faults spread over the run; each is recovered from at once (a fault that persists makes the WAL
            // refuse writes for a while, see refusesWritesWhileNoSegmentCanBeStarted...)
            fs.on(Op.FSYNC, SEGMENTS).skip(20 + 15 * round);
            fs.on(Op.FSYNC, SEGMENTS).skip(90 + 7 * round);
            fs.on(Op.WRITE, SEGMENTS).skip(200 + 50 * round).partial(11);
            fs.on(Op.WRITE, SEGMENTS).skip(400 + 10 * round);
            Wal w = open(fs, FsyncPolicy.ALWAYS);
            ConcurrentSkipListSet<Integer> acked = new ConcurrentSkipListSet<>(), failed = new ConcurrentSkipListSet<>();
            AtomicInteger next = new AtomicInteger();
            List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                Thread th = new Thread(() -> {
                    for (int k = 0; k < 150; k++) {
                        int id = next.getAndIncrement();
                        try {
                            w.sync(w.write(record(id)));
                            acked.add(id);
                        } catch (IOException e) {
                            failed.add(id);
                        }
                    }
                });
                ts.add(th);
                th.start();
            }
            for (Thread th : ts) th.join();
            w.abandon();
            fs.powerLoss();
            CASES.addAndGet((int) fs.injected());
            assertEquals(4, fs.injected(), "faults were injected: " + fs);
            assertFalse(failed.isEmpty());
            Set<Integer> replayed = new TreeSet<>(reopen().ids());
            for (int id : acked) assertTrue(replayed.contains(id), "acknowledged record " + id + " lost (round " + round + ")");
            for (int id : failed) assertFalse(replayed.contains(id), "failed record " + id + " replayed (round " + round + ")");
        }
    }

    /** Version-1 segments (no sync marker) written by earlier builds are replayed; new segments are version 2. */
    @Test void version1SegmentsAreStillReplayed() throws Exception {
        Files.createDirectories(dir);
        ByteBuffer seg = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        seg.putInt(WalFormat.MAGIC).putShort(WalFormat.VERSION_1).putShort((short) 0);
        for (int id = 1; id <= 3; id++) {
            ByteBuffer r = record(id);
            // v1 record = length | crc32c | type | body: the v2 header without the salt
            seg.putInt(r.getInt(WalFormat.RECORD_LENGTH_OFFSET)).putInt(r.getInt(WalFormat.RECORD_CRC_OFFSET));
            seg.put(r.array(), WalFormat.RECORD_HEADER_BYTES, r.limit() - WalFormat.RECORD_HEADER_BYTES);
        }
        Files.write(dir.resolve(WalFormat.segmentName(1)), java.util.Arrays.copyOf(seg.array(), seg.position()));
        Ids ids = new Ids();
        Wal w = Wal.open(dir, FsyncPolicy.ALWAYS, 64 * 1024, 60_000, ids);
        assertEquals(List.of(1, 2, 3), ids.ids);
        assertEquals(0, w.replayResult().corruptions());
        w.sync(w.write(record(4)));
        long cur = w.currentSegment();
        w.close();
        ByteBuffer h = ByteBuffer.wrap(Files.readAllBytes(dir.resolve(WalFormat.segmentName(cur)))).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(WalFormat.VERSION, h.getShort(4));
        assertEquals(List.of(1, 2, 3, 4), reopen().ids());
    }

    void clean() throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) if (!p.equals(dir)) Files.delete(p);
        }
    }
}
