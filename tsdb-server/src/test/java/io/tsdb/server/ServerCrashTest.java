package io.tsdb.server;

import io.tsdb.core.wal.WalFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import static io.tsdb.server.ServerProcessTest.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Crash safety of the real server process (issue 3): {@code Main} runs as a child JVM with the default WAL
 * policy (fsync always); senders post remote-write batches continuously; the process is killed with SIGKILL
 * while requests are in flight, restarted on the same data directory, and every batch that was answered 2xx
 * must be readable with its exact timestamps and values. A second test damages the WAL tail on disk (flipped
 * bytes in the last record, then a torn partial record) and checks what the server keeps and reports.
 * No timing is asserted; the timeouts only guard against hangs.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class ServerCrashTest {
    static final int SENDERS = 3;
    private static final Pattern REPLAY = Pattern.compile("WAL replay: (\\d+) segments, (\\d+) records, (\\d+) samples, (\\d+) series in (\\d+) ms");

    @TempDir Path tmp;

    private Proc start(Path data) throws Exception {
        int port = ServerTest.freePort();
        Proc p = launch(classpathCommand(), tmp, "--listen=127.0.0.1:" + port, "--data=" + data);
        awaitReady(url(port), p);
        return p;
    }

    private static int port(Proc p) throws IOException {
        String line = p.stdout().lines().filter(l -> l.contains("\"msg\":\"starting tsdb\"")).findFirst().orElseThrow();
        Matcher m = Pattern.compile("\"listen\":\"127\\.0\\.0\\.1:(\\d+)\"").matcher(line);
        assertTrue(m.find(), line);
        return Integer.parseInt(m.group(1));
    }

    private static String url(int port) { return "http://127.0.0.1:" + port; }

    /** Samples replayed, as logged by the WAL and as exposed in /metrics; both must agree. */
    private static long replayedSamples(Proc p, String url) throws Exception {
        Matcher m = REPLAY.matcher(CrashLoad.logLine(p, "WAL replay:"));
        assertTrue(m.find());
        long logged = Long.parseLong(m.group(3));
        assertEquals((double) logged, CrashLoad.metric(url, "tsdb_wal_replay_samples"));
        return logged;
    }

    private static long startBase() { return (System.currentTimeMillis() - 120_000) / 1000 * 1000; }

    @Test
    void everyAcknowledgedSampleSurvivesTwoKillNineCycles() throws Exception {
        Path data = tmp.resolve("data");
        long base = startBase();
        List<CrashLoad> loads = new ArrayList<>();
        long nextSeq = 0;
        Proc proc = start(data);
        for (int cycle = 1; cycle <= 3; cycle++) {
            String url = url(port(proc));
            if (cycle > 1) {
                // restarted after a kill: everything acknowledged so far is there, and it came from the WAL
                long acked = loads.stream().mapToLong(CrashLoad::ackedBatches).sum();
                long exported = CrashLoad.verify(url, base, SENDERS, CrashLoad.merge(loads), Map.of(), nextSeq - 1);
                long replayed = replayedSamples(proc, url);
                assertTrue(replayed >= acked * CrashLoad.BATCH_SAMPLES,
                        "replayed " + replayed + " samples, acknowledged " + acked * CrashLoad.BATCH_SAMPLES);
                assertTrue(exported >= acked * CrashLoad.BATCH_SAMPLES);
                System.out.printf("cycle %d: %d batches acknowledged before the kill(s), %d samples exported, %d replayed%n",
                        cycle, acked, exported, replayed);
            }
            if (cycle == 3) break;
            CrashLoad load = new CrashLoad(url, base, SENDERS, nextSeq).start();
            load.awaitAcked(10, 2000, proc);
            int inflight = load.killNow(proc);
            System.out.printf("cycle %d: killed with %d requests in flight; %d acknowledged batches, %d non-2xx %s, %d failed by the kill%n",
                    cycle, inflight, load.ackedBatches(), load.non2xx.get(), load.non2xxBodies, load.failedAfterKill.get());
            loads.add(load);
            nextSeq = load.maxSent() + 1;
            proc = start(data);
        }
        // still writable after two crashes, and a graceful stop works
        String url = url(port(proc));
        assertEquals(204, CrashLoad.post(url, base, 0, nextSeq).statusCode());
        CrashLoad.verify(url, base, 1, Map.of(0, List.of(nextSeq)), Map.of(), nextSeq);
        stopWithSigterm(proc);
    }

    /** One record of a WAL segment: where it starts, its total size, its type and (for samples) count and baseT. */
    record WalRecord(long offset, int size, byte type, int count, long baseT) {}

    /** The valid records of a segment, read as the format spec says (length, CRC32C), and where the valid part ends. */
    record Segment(Path path, long size, List<WalRecord> records, long validEnd, long salt) {
        WalRecord last() { return records.get(records.size() - 1); }
    }

    static Segment newestSegment(Path walDir) throws IOException {
        Path newest;
        try (Stream<Path> s = Files.list(walDir)) {
            newest = s.filter(p -> WalFormat.parseSegmentName(p.getFileName().toString()) >= 0)
                    .max(java.util.Comparator.comparing(p -> p.getFileName().toString())).orElseThrow();
        }
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(newest)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(WalFormat.MAGIC, b.getInt(0), "segment magic");
        assertEquals(WalFormat.VERSION, b.getShort(4), "segment version");
        long salt = b.getLong(WalFormat.SEGMENT_SALT_OFFSET);
        List<WalRecord> recs = new ArrayList<>();
        int pos = WalFormat.SEGMENT_HEADER_BYTES;
        CRC32C crc = new CRC32C();
        while (pos + WalFormat.RECORD_HEADER_BYTES < b.limit()) {
            if (b.getLong(pos + WalFormat.RECORD_SALT_OFFSET) != salt) break;   // no record starts here
            int len = b.getInt(pos + WalFormat.RECORD_LENGTH_OFFSET);
            if (len <= 0 || len > b.limit() - pos - WalFormat.RECORD_HEADER_BYTES) break;   // torn
            crc.reset();
            crc.update(b.slice(pos + WalFormat.RECORD_HEADER_BYTES, len));
            if ((int) crc.getValue() != b.getInt(pos + WalFormat.RECORD_CRC_OFFSET)) break;
            int body = pos + WalFormat.RECORD_HEADER_BYTES + 1;
            byte type = b.get(body - 1);
            int count = b.getInt(body);
            long baseT = type == WalFormat.TYPE_SAMPLES_VARINT ? b.getLong(body + 4) : Long.MIN_VALUE;
            recs.add(new WalRecord(pos, WalFormat.RECORD_HEADER_BYTES + len, type, count, baseT));
            pos += WalFormat.RECORD_HEADER_BYTES + len;
        }
        return new Segment(newest, b.limit(), recs, pos, salt);
    }

    @Test
    void corruptOrTornWalTailIsCutAndEverythingBeforeItIsRecovered() throws Exception {
        Path data = tmp.resolve("data");
        Path walDir = data.resolve("wal");
        long base = startBase();
        Proc proc = start(data);

        // --- case 1: bytes flipped inside the last complete record of the newest segment. The senders stop
        // before the kill, so that record is an acknowledged batch: exactly that batch is lost, nothing else.
        CrashLoad load1 = new CrashLoad(url(port(proc)), base, SENDERS, 0).start();
        load1.awaitAcked(10, 1000, proc);
        load1.stopAndJoin();
        assertEquals(0, load1.killNow(proc), "no request in flight");
        Segment seg = newestSegment(walDir);
        WalRecord last = seg.last();
        assertEquals(WalFormat.TYPE_SAMPLES_VARINT, last.type(), "the last record holds one batch's samples: " + last);
        assertEquals(CrashLoad.BATCH_SAMPLES, last.count(), "one request = one commit = one record");
        long rel = last.baseT() - base;
        assertEquals(0, rel % CrashLoad.PER_SERIES, "baseT is the batch's first timestamp");
        int lostSender = (int) (rel % CrashLoad.STRIDE / CrashLoad.PER_SERIES);
        long lostSeq = rel / CrashLoad.STRIDE;
        assertTrue(lostSender < SENDERS && load1.acked.get(lostSender).contains(lostSeq), "last record " + last + " is an acknowledged batch");
        try (var ch = java.nio.channels.FileChannel.open(seg.path(), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            for (long off : new long[]{last.offset() + last.size() / 2, last.offset() + last.size() - 1}) {
                ByteBuffer one = ByteBuffer.allocate(1);
                ch.read(one, off);
                one.put(0, (byte) ~one.get(0)).rewind();
                ch.write(one, off);
            }
        }
        long expectDropped1 = seg.size() - last.offset();
        System.out.printf("corrupting the last record %s = batch %d of sender %d; %d bytes after it%n",
                last, lostSeq, lostSender, seg.size() - last.offset() - last.size());   // the record and any torn bytes the kill left after it
        Map<Integer, TreeSet<Long>> expected = CrashLoad.merge(List.of(load1));
        Map<Integer, Set<Long>> absent = Map.of(lostSender, Set.of(lostSeq));
        expected.get(lostSender).remove(lostSeq);

        proc = start(data);
        String url = url(port(proc));
        CrashLoad.verify(url, base, SENDERS, expected, absent, load1.maxSent());
        String warn = CrashLoad.logLine(proc, "WAL corruption in segment");
        assertTrue(warn.contains("\"level\":\"WARN\""), warn);
        assertTrue(warn.contains(seg.path().getFileName() + " at offset " + last.offset() + ": CRC32C mismatch; truncating "
                + expectDropped1 + " bytes"), warn);
        assertEquals(1.0, CrashLoad.metric(url, "tsdb_wal_corruptions"));
        assertEquals((double) expectDropped1, CrashLoad.metric(url, "tsdb_wal_truncated_bytes"));
        assertEquals(last.offset(), Files.size(seg.path()), "segment cut at the end of the last good record");

        // ingest works after the repair; this time the kill lands while requests are in flight
        CrashLoad load2 = new CrashLoad(url, base, SENDERS, load1.maxSent() + 1).start();
        load2.awaitAcked(10, 1000, proc);
        load2.killNow(proc);
        for (int k = 0; k < SENDERS; k++) expected.get(k).addAll(load2.acked.get(k));

        // --- case 2: a torn partial record appended to the newest segment (a write cut short)
        seg = newestSegment(walDir);
        assertNotEquals(WalFormat.parseSegmentName(seg.path().getFileName().toString()), 1L, "a new segment after the restart");
        byte[] torn = tornRecord(seg.salt());
        Files.write(seg.path(), torn, StandardOpenOption.APPEND);
        long expectDropped2 = seg.size() - seg.validEnd() + torn.length;

        proc = start(data);
        url = url(port(proc));
        long maxSeq = load2.maxSent();
        CrashLoad.verify(url, base, SENDERS, expected, absent, maxSeq);
        warn = CrashLoad.logLine(proc, "WAL corruption in segment");
        assertTrue(warn.contains(seg.path().getFileName() + " at offset " + seg.validEnd() + ": "), warn);
        if (seg.size() == seg.validEnd())
            assertTrue(warn.contains("torn record (length 65536 beyond end of file); truncating " + torn.length + " bytes"), warn);
        assertEquals(1.0, CrashLoad.metric(url, "tsdb_wal_corruptions"));
        assertEquals((double) expectDropped2, CrashLoad.metric(url, "tsdb_wal_truncated_bytes"));
        assertEquals(seg.validEnd(), Files.size(seg.path()));
        assertTrue(replayedSamples(proc, url) > 0);

        // writable again: acknowledged and readable without another restart
        for (int k = 0; k < SENDERS; k++) {
            assertEquals(204, CrashLoad.post(url, base, k, maxSeq + 1).statusCode());
            expected.get(k).add(maxSeq + 1);
        }
        CrashLoad.verify(url, base, SENDERS, expected, absent, maxSeq + 1);
        stopWithSigterm(proc);
    }

    /** A record header announcing 65,536 bytes of which only 100 follow, as a write cut short by a crash leaves it. */
    static byte[] tornRecord(long salt) {
        ByteBuffer b = ByteBuffer.allocate(WalFormat.RECORD_HEADER_BYTES + 100).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(salt).putInt(65_536).putInt(0x12345678).put(WalFormat.TYPE_SAMPLES_VARINT);
        while (b.hasRemaining()) b.put((byte) 0x55);
        return b.array();
    }
}
