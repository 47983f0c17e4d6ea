package io.tsdb.core.db;

import io.tsdb.core.Appender;
import io.tsdb.core.Labels;
import io.tsdb.core.wal.FsyncPolicy;
import io.tsdb.core.wal.WalFormat;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SampleCursor;
import io.tsdb.core.SeriesSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** Corrupt or truncate the WAL tail, reopen, and check that everything before the damage is intact. */
class WalRecoveryTest {
    static final long NOW = 1_700_000_000_000L;
    @TempDir Path dir;

    Tsdb open() throws Exception {
        return Tsdb.open(TsdbOptions.builder(dir).walFsync(FsyncPolicy.ALWAYS).build(), () -> NOW);
    }

    /**
     * Writes {@code batches} commits of 10 series x 1 sample and crashes (no flush, so the WAL holds them);
     * returns the byte offset in the last segment after each commit.
     */
    long[] write(int batches) throws Exception {
        long[] ends = new long[batches];
        Tsdb db = open();
        Appender a = db.appender();
        for (int b = 0; b < batches; b++) {
            for (int s = 0; s < 10; s++) a.append(Labels.of("__name__", "m", "s", "" + s), NOW - 1_000_000 + b * 1000L, b * 10 + s);
            a.commit();
            ends[b] = Files.size(lastSegment());
        }
        db.crashForTesting();
        return ends;
    }

    Path lastSegment() throws Exception {
        try (Stream<Path> s = Files.list(dir.resolve("wal"))) {
            return s.filter(p -> WalFormat.parseSegmentName(p.getFileName().toString()) >= 0).sorted().reduce((a, b) -> b).orElseThrow();
        }
    }

    /** Number of complete batches (all 10 series present at that timestamp) and checks values. */
    int batchesPresent(Tsdb db) {
        java.util.BitSet b = batches(db);
        int n = b.nextClearBit(0);
        assertEquals(n, b.cardinality(), "batches after the first missing one: " + b);
        return n;
    }

    /** The batches present, each checked to be complete (all 10 series) with the right values. */
    java.util.BitSet batches(Tsdb db) {
        int[] count = new int[1000];
        try (Querier q = db.querier(Long.MIN_VALUE, Long.MAX_VALUE)) {
            SeriesSet ss = q.select(List.of(Matcher.eq("__name__", "m")));
            while (ss.next()) {
                int s = Integer.parseInt(ss.labels().get("s"));
                SampleCursor c = ss.cursor();
                while (c.next()) {
                    int b = (int) ((c.timestamp() - (NOW - 1_000_000)) / 1000);
                    assertEquals(b * 10 + s, c.value(), 1e-9);
                    count[b]++;
                }
            }
        }
        java.util.BitSet present = new java.util.BitSet();
        for (int i = 0; i < count.length; i++) {
            if (count[i] == 10) present.set(i);
            else assertEquals(0, count[i], "batch " + i + " partially present");
        }
        return present;
    }

    static java.util.BitSet allBut(int n, int... missing) {
        java.util.BitSet b = new java.util.BitSet();
        b.set(0, n);
        for (int m : missing) b.clear(m);
        return b;
    }

    int otherSamples(Tsdb db) {
        int n = 0;
        try (Querier q = db.querier(Long.MIN_VALUE, Long.MAX_VALUE)) {
            SeriesSet ss = q.select(List.of(Matcher.eq("__name__", "other")));
            while (ss.next()) for (SampleCursor c = ss.cursor(); c.next(); ) n++;
        }
        return n;
    }

    @Test void truncatedTailIsCutAtLastGoodRecord() throws Exception {
        long[] ends = write(20);
        Path seg = lastSegment();
        // cut in the middle of the last record
        try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
            f.setLength(ends[19] - 7);
        }
        try (Tsdb db = open()) {
            assertEquals(19, batchesPresent(db));
            assertEquals(1, db.walCorruptions());
            assertEquals(ends[19] - 7 - ends[18], db.walTruncatedBytes());
            assertEquals(ends[18], Files.size(seg), "segment truncated at the last good record");
        }
        // the repaired log opens cleanly again, with nothing lost
        try (Tsdb db = open()) {
            assertEquals(19, batchesPresent(db));
            assertEquals(0, db.walCorruptions());
        }
    }

    /**
     * Flipped bits in a record in the middle of a segment: that record is skipped, replay finds the next record by
     * its sync marker and keeps everything after it (the issue-19 bug: the acknowledged records after a damaged one
     * were truncated away).
     */
    @Test void corruptRecordInTheMiddleIsSkippedAndEveryLaterRecordIsKept() throws Exception {
        long[] ends = write(20);
        Path seg = lastSegment();
        long segSize = Files.size(seg);
        try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
            long p = ends[16] + 30;   // inside the 18th batch record's body
            f.seek(p);
            int b = f.read();
            f.seek(p);
            f.write(b ^ 0x5A);
        }
        try (Tsdb db = open()) {
            assertEquals(allBut(20, 17), batches(db));
            assertEquals(19 * 10, db.walReplaySamples());
            assertEquals(1, db.walCorruptions());
            assertEquals(ends[17] - ends[16], db.walSkippedBytes(), "exactly the damaged record is skipped");
            assertEquals(0, db.walTruncatedBytes());
            assertEquals(segSize, Files.size(seg), "the segment is left as it is (its records are still needed)");
            // still writable, and new data survives the next restart
            Appender a = db.appender();
            a.append(Labels.of("__name__", "other"), NOW, 1);
            a.commit();
        }
        try (Tsdb db = open()) {
            assertEquals(allBut(20, 17), batches(db));
            assertEquals(0, db.walCorruptions(), "the clean close flushed the head to a block and dropped the damaged segment");
            assertEquals(1, otherSamples(db));
        }
    }

    /** A zeroed range across several records (a page lost to a failed writeback): only those records are lost. */
    @Test void zeroedRangeInTheMiddleLosesOnlyTheRecordsItCovers() throws Exception {
        long[] ends = write(30);
        Path seg = lastSegment();
        long from = ends[9] + 5, to = ends[12] + 3;   // from inside batch 10 to inside batch 13
        try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
            f.seek(from);
            f.write(new byte[(int) (to - from)]);
        }
        try (Tsdb db = open()) {
            assertEquals(allBut(30, 10, 11, 12, 13), batches(db));
            assertEquals(1, db.walCorruptions());
            assertEquals(ends[13] - ends[9], db.walSkippedBytes());
        }
    }

    /**
     * The damaged record is the last of its segment and a later segment (a later session) follows: the tail is
     * truncated and the later segment is replayed, not deleted.
     */
    @Test void damagedTailOfAnEarlierSegmentKeepsEveryLaterSegment() throws Exception {
        long[] ends = write(5);
        Path first = lastSegment();
        Tsdb db2 = open();
        Appender a2 = db2.appender();
        for (int i = 0; i < 3; i++) {
            a2.append(Labels.of("__name__", "other"), NOW - 100 + i, i);
            a2.commit();
        }
        db2.crashForTesting();
        assertNotEquals(first, lastSegment());
        try (RandomAccessFile f = new RandomAccessFile(first.toFile(), "rw")) {
            f.seek(ends[4] - 3);
            f.write(0x77);
        }
        try (Tsdb db = open()) {
            assertEquals(4, batchesPresent(db));
            assertEquals(3, otherSamples(db), "the later segment was replayed");
            assertEquals(1, db.walCorruptions());
            assertEquals(ends[4] - ends[3], db.walTruncatedBytes());
            assertEquals(ends[3], Files.size(first));
        }
    }

    /**
     * A record whose CRC matches but whose compact samples body is malformed (the declared count is one less
     * than the samples present: trailing bytes after 9 decoded samples; or one more: the body runs out). Replay
     * decodes a record once; none of the samples it decoded before noticing may be applied, while everything
     * buffered from the records before it is.
     */
    @Test void wellSealedButMalformedSamplesRecordAppliesNoneOfItsSamples() throws Exception {
        for (int delta : new int[]{-1, 1}) {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) if (!p.equals(dir)) Files.delete(p);
            }
            long[] ends = write(20);
            Path seg = lastSegment();
            int start = (int) ends[16], len = (int) (ends[17] - ends[16]);   // the 18th batch's record
            try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
                byte[] rec = new byte[len];
                f.seek(start);
                f.readFully(rec);
                java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(rec).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                assertEquals(WalFormat.TYPE_SAMPLES_VARINT, b.get(WalFormat.RECORD_HEADER_BYTES));
                int countAt = WalFormat.RECORD_HEADER_BYTES + 1;
                assertEquals(10, b.getInt(countAt));
                b.putInt(countAt, 10 + delta);
                java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
                crc.update(rec, WalFormat.RECORD_HEADER_BYTES, len - WalFormat.RECORD_HEADER_BYTES);
                b.putInt(WalFormat.RECORD_CRC_OFFSET, (int) crc.getValue());
                f.seek(start);
                f.write(rec);
            }
            try (Tsdb db = open()) {
                assertEquals(allBut(20, 17), batches(db), "delta " + delta);   // also fails on a partially present batch
                assertEquals(19 * 10, db.walReplaySamples(), "delta " + delta);
                assertEquals(1, db.walCorruptions());
                assertEquals(len, db.walSkippedBytes());
                assertEquals(0, db.walTruncatedBytes());
            }
        }
    }

    @Test void garbageAppendedAfterLastRecordIsDropped() throws Exception {
        long[] ends = write(5);
        Path seg = lastSegment();
        Files.write(seg, new byte[]{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, java.nio.file.StandardOpenOption.APPEND);
        try (Tsdb db = open()) {
            assertEquals(5, batchesPresent(db));
            assertEquals(1, db.walCorruptions());
            assertEquals(12, db.walTruncatedBytes());
        }
    }

    @Test void damagedSegmentHeaderDropsOnlyThatSegment() throws Exception {
        write(3);
        Path first = lastSegment();
        // a second session writes into a new segment, then crashes
        Tsdb db2 = open();
        Appender a2 = db2.appender();
        a2.append(Labels.of("__name__", "other"), NOW - 1, 1);
        a2.commit();
        db2.crashForTesting();
        Path second = lastSegment();
        assertNotEquals(first, second);
        try (RandomAccessFile f = new RandomAccessFile(second.toFile(), "rw")) {
            f.seek(0);
            f.write(new byte[]{1, 2, 3, 4});
        }
        try (Tsdb db = open()) {
            assertEquals(3, batchesPresent(db));
            assertEquals(1, db.walCorruptions());
            assertEquals(0, otherSamples(db));
        }
    }
}
