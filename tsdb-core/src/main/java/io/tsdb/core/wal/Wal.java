package io.tsdb.core.wal;

import io.tsdb.core.registry.LabelsCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * Write-ahead log: numbered segment files of CRC32C-checked records. Writers call {@link #write}
 * (ordered by a lock, one write syscall per record) and then {@link #sync} with the returned position;
 * with {@link FsyncPolicy#ALWAYS} concurrent committers share fsyncs (group commit: whoever syncs covers
 * everything written before it). A new segment is started at open and when the current one is full.
 */
public final class Wal implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(Wal.class);

    private final Path dir;
    private final FsyncPolicy policy;
    private final long segmentBytes;
    private final Object writeLock = new Object();
    private final Object syncLock = new Object();
    private FileChannel channel;
    private long segmentIndex;
    private long segmentSize;
    private long written;               // logical bytes written since open (guarded by writeLock)
    private volatile long synced;       // logical position known durable
    private volatile boolean closed;
    private final AtomicLong fsyncs = new AtomicLong();
    private final AtomicLong bytesWritten = new AtomicLong();
    private final AtomicLong diskBytes = new AtomicLong();
    private final ScheduledExecutorService syncer;
    private WalReplayResult replay;

    private Wal(Path dir, FsyncPolicy policy, long segmentBytes, long syncIntervalMs) {
        this.dir = dir;
        this.policy = policy;
        this.segmentBytes = segmentBytes;
        if (policy == FsyncPolicy.PERIODIC) {
            syncer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "wal-fsync");
                t.setDaemon(true);
                return t;
            });
            syncer.scheduleWithFixedDelay(this::periodicSync, syncIntervalMs, syncIntervalMs, TimeUnit.MILLISECONDS);
        } else {
            syncer = null;
        }
    }

    /** Replays every segment in {@code dir} into {@code handler}, repairs a corrupt tail, and opens for writing. */
    public static Wal open(Path dir, FsyncPolicy policy, long segmentBytes, long syncIntervalMs, WalReplayHandler handler) throws IOException {
        Files.createDirectories(dir);
        Wal wal = new Wal(dir, policy, segmentBytes, syncIntervalMs);
        try {
            wal.replay = wal.replayAll(handler);
            long last = 0;
            for (long idx : wal.segments()) last = Math.max(last, idx);
            wal.startSegment(last + 1);
        } catch (IOException | RuntimeException e) {
            wal.closeQuietly();
            throw e;
        }
        return wal;
    }

    public WalReplayResult replayResult() { return replay; }

    /** Indices of the segment files present, ascending. */
    public List<Long> segments() throws IOException {
        List<Long> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.forEach(p -> {
                long idx = WalFormat.parseSegmentName(p.getFileName().toString());
                if (idx >= 0) out.add(idx);
            });
        }
        out.sort(null);
        return out;
    }

    private Path segmentPath(long idx) { return dir.resolve(WalFormat.segmentName(idx)); }

    private WalReplayResult replayAll(WalReplayHandler handler) throws IOException {
        long t0 = System.nanoTime();
        long cpu0 = processCpuNanos();
        List<Long> segs = segments();
        long records = 0, samples = 0, series = 0, truncated = 0;
        int corruptions = 0;
        CRC32C crc = new CRC32C();
        SamplesCodec.Sink sink = handler::sample;
        for (int si = 0; si < segs.size(); si++) {
            Path p = segmentPath(segs.get(si));
            long good;
            String problem = null;
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
                long size = ch.size();
                diskBytes.addAndGet(size);
                if (size > Integer.MAX_VALUE) throw new IOException("WAL segment " + p + " is larger than 2 GiB");
                MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
                m.order(ByteOrder.LITTLE_ENDIAN);
                int pos = 0;
                if (size < WalFormat.SEGMENT_HEADER_BYTES) {
                    problem = "truncated segment header (" + size + " bytes)";
                } else if (m.getInt(0) != WalFormat.MAGIC) {
                    problem = String.format("bad magic 0x%08x", m.getInt(0));
                } else if (m.getShort(4) != WalFormat.VERSION) {
                    throw new IOException("WAL segment " + p + " has unsupported version " + m.getShort(4));
                } else {
                    pos = WalFormat.SEGMENT_HEADER_BYTES;
                }
                while (problem == null && pos < size) {
                    if (size - pos < WalFormat.RECORD_HEADER_BYTES + 1) { problem = "torn record header"; break; }
                    int len = m.getInt(pos);
                    if (len <= 0 || len > WalFormat.MAX_RECORD_BYTES) { problem = "invalid record length " + len; break; }
                    if (len > size - pos - WalFormat.RECORD_HEADER_BYTES) { problem = "torn record (length " + len + " beyond end of file)"; break; }
                    int bodyStart = pos + WalFormat.RECORD_HEADER_BYTES;
                    crc.reset();
                    crc.update(m.slice(bodyStart, len));
                    if ((int) crc.getValue() != m.getInt(pos + 4)) { problem = "CRC32C mismatch"; break; }
                    try {
                        byte type = m.get(bodyStart);
                        int body = bodyStart + 1;
                        int count = m.getInt(body);
                        if (type == WalFormat.TYPE_SAMPLES || type == WalFormat.TYPE_SERIES_STATE || type == WalFormat.TYPE_TOMBSTONES) {
                            if (count < 0 || (long) count * WalFormat.SAMPLE_BYTES != len - 5L) { problem = "bad entry count " + count; break; }
                            if (type == WalFormat.TYPE_SAMPLES) {
                                handler.samples(m, body + 4, count);
                                samples += count;
                            } else if (type == WalFormat.TYPE_TOMBSTONES) {
                                handler.tombstones(m, body + 4, count);
                            } else {
                                handler.seriesState(m, body + 4, count);
                            }
                        } else if (type == WalFormat.TYPE_SAMPLES_VARINT) {
                            int end = bodyStart + len;
                            if (handler.bufferSamples(count)) {
                                // one pass: the handler takes the samples back if the body is malformed
                                try {
                                    samples += SamplesCodec.decode(m, body, end, sink);
                                } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
                                    handler.discardSamples();
                                    throw e;
                                }
                            } else {
                                SamplesCodec.decode(m, body, end, null);   // validate fully before applying any sample
                                samples += SamplesCodec.decode(m, body, end, sink);
                            }
                        } else if (type == WalFormat.TYPE_SERIES) {
                            int q = body + 4;
                            for (int i = 0; i < count; i++) {
                                int id = m.getInt(q);
                                int ll = m.getInt(q + 4);
                                if (ll < 0 || q + 8L + ll > bodyStart + (long) len) throw new IllegalArgumentException("series record overruns");
                                byte[] lb = new byte[ll];
                                m.get(q + 8, lb);
                                handler.series(id, LabelsCodec.decode(lb));
                                q += 8 + ll;
                                series++;
                            }
                        } else {
                            problem = "unknown record type " + type;
                            break;
                        }
                    } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
                        problem = "malformed record: " + e.getMessage();
                        break;
                    }
                    records++;
                    pos = bodyStart + len;
                }
                good = pos;
            }
            if (problem != null) {
                corruptions++;
                long size = Files.size(p);
                long dropped = size - good;
                List<Long> later = segs.subList(si + 1, segs.size());
                for (long idx : later) dropped += Files.size(segmentPath(idx));
                log.warn("WAL corruption in segment {} at offset {}: {}; truncating {} bytes (this segment's tail{}), keeping everything before",
                        p, good, problem, dropped, later.isEmpty() ? "" : " and " + later.size() + " later segment(s)");
                truncated += dropped;
                diskBytes.addAndGet(-(size - good));
                if (good <= WalFormat.SEGMENT_HEADER_BYTES) {
                    Files.delete(p);
                    diskBytes.addAndGet(-good);
                } else {
                    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
                        ch.truncate(good);
                        ch.force(true);
                    }
                }
                for (long idx : later) Files.deleteIfExists(segmentPath(idx));
                break;
            }
        }
        handler.finish();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        long cpu1 = processCpuNanos();
        long cpuMs = cpu0 < 0 || cpu1 < 0 ? ms : (cpu1 - cpu0) / 1_000_000;
        WalReplayResult r = new WalReplayResult(segs.size(), records, samples, series, corruptions, truncated, ms, cpuMs);
        if (records > 0 || corruptions > 0)
            log.info("WAL replay: {} segments, {} records, {} samples, {} series in {} ms ({} ms CPU)", segs.size(), records, samples, series, ms, cpuMs);
        return r;
    }

    /** CPU time of the whole process (all threads, incl. GC and JIT), or -1 when unavailable. */
    private static long processCpuNanos() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os)
            return os.getProcessCpuTime();
        return -1;
    }

    private void startSegment(long idx) throws IOException {
        Path p = segmentPath(idx);
        FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        ByteBuffer h = WalFormat.segmentHeader();
        while (h.hasRemaining()) ch.write(h);
        if (policy != FsyncPolicy.NEVER) {
            ch.force(true);
            syncDir();
        }
        channel = ch;
        segmentIndex = idx;
        segmentSize = WalFormat.SEGMENT_HEADER_BYTES;
        diskBytes.addAndGet(WalFormat.SEGMENT_HEADER_BYTES);
    }

    private void syncDir() {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            log.debug("directory fsync not supported for {}: {}", dir, e.toString());
        }
    }

    /** Closes the current segment (forcing it unless policy NEVER) and starts the next; holds writeLock. */
    private void rotate() throws IOException {
        if (policy != FsyncPolicy.NEVER) {
            channel.force(false);
            fsyncs.incrementAndGet();
        }
        channel.close();
        synced = written;
        startSegment(segmentIndex + 1);
    }

    /** Appends one sealed record (see {@link WalFormat#seal}); returns the logical end position for {@link #sync}. */
    public long write(ByteBuffer record) throws IOException {
        synchronized (writeLock) {
            if (closed) throw new IOException("WAL is closed");
            int len = record.remaining();
            if (segmentSize + len > segmentBytes && segmentSize > WalFormat.SEGMENT_HEADER_BYTES) rotate();
            while (record.hasRemaining()) channel.write(record);
            segmentSize += len;
            written += len;
            bytesWritten.addAndGet(len);
            diskBytes.addAndGet(len);
            return written;
        }
    }

    /** Returns once everything up to {@code pos} is durable per the policy (a no-op unless ALWAYS). */
    public void sync(long pos) throws IOException {
        if (policy == FsyncPolicy.ALWAYS) force(pos);
    }

    /** Forces everything written so far to disk regardless of the policy. */
    public void syncAll() throws IOException {
        long pos;
        synchronized (writeLock) { pos = written; }
        force(pos);
    }

    private void force(long pos) throws IOException {
        if (synced >= pos) return;
        synchronized (syncLock) {
            if (synced >= pos) return;
            FileChannel ch;
            long target;
            synchronized (writeLock) {
                if (closed) throw new IOException("WAL is closed");
                ch = channel;
                target = written;
            }
            try {
                ch.force(false);
                fsyncs.incrementAndGet();
            } catch (ClosedChannelException e) {
                // rotated meanwhile: rotation forced the old segment up to at least target
                if (synced < target) throw e;
            }
            if (target > synced) synced = target;
        }
    }

    private void periodicSync() {
        try {
            if (!closed) syncAll();
        } catch (IOException e) {
            if (!closed) log.error("periodic WAL fsync failed", e);
        }
    }

    /** Starts a new segment (forcing the current one) and returns its index. */
    public long cut() throws IOException {
        synchronized (writeLock) {
            if (closed) throw new IOException("WAL is closed");
            rotate();
            return segmentIndex;
        }
    }

    /**
     * Deletes every segment with an index below {@code idx}. The caller guarantees that their contents are
     * persisted elsewhere (the head was written to a block).
     */
    public void deleteBefore(long idx) throws IOException {
        synchronized (writeLock) {
            for (long i : segments()) {
                if (i < idx && i != segmentIndex) {
                    Path p = segmentPath(i);
                    long sz = Files.size(p);
                    Files.delete(p);
                    diskBytes.addAndGet(-sz);
                }
            }
            if (policy != FsyncPolicy.NEVER) syncDir();
        }
    }

    /** Starts a new segment and deletes all earlier ones. */
    public void truncateAll() throws IOException {
        deleteBefore(cut());
    }

    public FsyncPolicy policy() { return policy; }
    public long fsyncs() { return fsyncs.get(); }
    public long bytesWritten() { return bytesWritten.get(); }
    /** Bytes of WAL segment files on disk. */
    public long diskBytes() { return diskBytes.get(); }
    public long currentSegment() { synchronized (writeLock) { return segmentIndex; } }

    private void closeQuietly() {
        try { close(); } catch (IOException ignored) { }
    }

    /** Closes the file without forcing it (crash simulation in tests). */
    public void abandon() throws IOException {
        if (syncer != null) syncer.shutdownNow();
        synchronized (writeLock) {
            closed = true;
            if (channel != null) channel.close();
        }
    }

    @Override public void close() throws IOException {
        if (syncer != null) syncer.shutdownNow();
        synchronized (syncLock) {
            synchronized (writeLock) {
                if (closed) return;
                closed = true;
                if (channel != null) {
                    if (policy != FsyncPolicy.NEVER) channel.force(false);
                    channel.close();
                }
            }
        }
    }
}
