package io.tsdb.core.wal;

import io.tsdb.core.fs.FileLayer;
import io.tsdb.core.registry.LabelsCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;

/**
 * Replays WAL segments into a {@link WalReplayHandler} and repairs what it must (docs/format/wal.md, "Replay and
 * corruption handling"). A damaged record in a version-2 segment is skipped: replay searches the following bytes
 * for the segment's salt (the sync marker every record starts with) and resumes at the first record there whose
 * CRC and body hold; only damage with no valid record after it in its segment (a torn or zeroed tail) is
 * truncated. Later segments are always replayed. Version-1 segments, which have no sync marker, are truncated at
 * their first damaged record.
 */
final class WalReader {
    private static final Logger log = LoggerFactory.getLogger(Wal.class);   // one logger name for the WAL's messages

    private final FileLayer fs;
    private final WalReplayHandler handler;
    private final AtomicLong diskBytes;
    private final CRC32C crc = new CRC32C();
    private final SamplesCodec.Sink sink;
    private final HistogramSamplesCodec.Reader histograms = new HistogramSamplesCodec.Reader();
    private final HistogramSamplesCodec.Sink histogramSink;
    long records, samples, series, truncated, skipped;
    int corruptions;

    WalReader(FileLayer fs, WalReplayHandler handler, AtomicLong diskBytes) {
        this.fs = fs;
        this.handler = handler;
        this.diskBytes = diskBytes;
        this.sink = handler::sample;
        this.histogramSink = new HistogramSamplesCodec.Sink() {
            @Override public void histogram(int id, long t, io.tsdb.core.histogram.Histogram h) { handler.histogram(id, t, h); }

            @Override public void floatHistogram(int id, long t, io.tsdb.core.histogram.FloatHistogram h) { handler.floatHistogram(id, t, h); }
        };
    }

    WalReplayResult replay(List<Path> segments) throws IOException {
        long t0 = System.nanoTime();
        long cpu0 = processCpuNanos();
        for (Path p : segments) replaySegment(p);
        handler.finish();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        long cpu1 = processCpuNanos();
        long cpuMs = cpu0 < 0 || cpu1 < 0 ? ms : (cpu1 - cpu0) / 1_000_000;
        WalReplayResult r = new WalReplayResult(segments.size(), records, samples, series, corruptions, truncated, skipped, ms, cpuMs);
        if (records > 0 || corruptions > 0)
            log.info("WAL replay: {} segments, {} records, {} samples, {} series in {} ms ({} ms CPU)", segments.size(), records, samples, series, ms, cpuMs);
        if (corruptions > 0)
            log.warn("WAL replay found {} damaged region(s): {} bytes skipped between valid records, {} bytes truncated from segment tails",
                    corruptions, skipped, truncated);
        return r;
    }

    /** CPU time of the whole process (all threads, incl. GC and JIT), or -1 when unavailable. */
    private static long processCpuNanos() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os)
            return os.getProcessCpuTime();
        return -1;
    }

    private void replaySegment(Path p) throws IOException {
        long cut = -1;      // where the segment is truncated (its valid part ends), -1 when intact
        String problem = null;
        long size;
        int headerBytes = 0;
        try (FileChannel ch = fs.open(p, StandardOpenOption.READ)) {
            size = ch.size();
            diskBytes.addAndGet(size);
            if (size > Integer.MAX_VALUE) throw new IOException("WAL segment " + p + " is larger than 2 GiB");
            MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
            m.order(ByteOrder.LITTLE_ENDIAN);
            int end = (int) size;
            int recordHeader;
            boolean salted;
            long salt = 0;
            if (size < WalFormat.SEGMENT_HEADER_BYTES_V1) {
                problem = "truncated segment header (" + size + " bytes)";
                recordHeader = 0;
                salted = false;
            } else if (m.getInt(0) != WalFormat.MAGIC) {
                problem = String.format("bad magic 0x%08x", m.getInt(0));
                recordHeader = 0;
                salted = false;
            } else {
                short version = m.getShort(4);
                if (version == WalFormat.VERSION_1) {
                    headerBytes = WalFormat.SEGMENT_HEADER_BYTES_V1;
                    recordHeader = WalFormat.RECORD_HEADER_BYTES_V1;
                    salted = false;
                } else if (version == WalFormat.VERSION) {
                    headerBytes = WalFormat.SEGMENT_HEADER_BYTES;
                    recordHeader = WalFormat.RECORD_HEADER_BYTES;
                    salted = true;
                    if (size < headerBytes) problem = "truncated segment header (" + size + " bytes)";
                    else salt = m.getLong(WalFormat.SEGMENT_SALT_OFFSET);
                } else {
                    throw new IOException("WAL segment " + p + " has unsupported version " + version
                            + " (this build reads versions " + WalFormat.VERSION_1 + " and " + WalFormat.VERSION + ")");
                }
            }
            if (problem != null) {
                cut = 0;
            } else {
                int pos = headerBytes;
                while (pos < end) {
                    problem = record(m, pos, end, recordHeader, salted, salt, true);
                    if (problem == null) {
                        records++;
                        pos += recordHeader + m.getInt(pos + recordHeader - 8);
                        continue;
                    }
                    int next = salted ? nextRecord(m, pos + 1, end, salt) : -1;
                    if (next < 0) {
                        cut = pos;
                        break;
                    }
                    corruptions++;
                    skipped += next - pos;
                    log.warn("WAL corruption in segment {} at offset {}: {}; skipped {} bytes to the next valid record at offset {}",
                            p, pos, problem, next - pos, next);
                    problem = null;
                    pos = next;
                }
            }
        }
        if (cut < 0) return;
        corruptions++;
        long dropped = size - cut;
        truncated += dropped;
        boolean nothingLeft = cut <= headerBytes;
        log.warn("WAL corruption in segment {} at offset {}: {}; truncating {} bytes (this segment's tail), keeping everything before and every later segment",
                p, cut, problem, dropped);
        diskBytes.addAndGet(-dropped);
        if (nothingLeft) {
            fs.delete(p);
            diskBytes.addAndGet(-cut);
        } else {
            try (FileChannel ch = fs.open(p, StandardOpenOption.WRITE)) {
                ch.truncate(cut);
                ch.force(true);
            }
        }
    }

    /**
     * The first offset in [from, end) where a valid record of this segment starts (salt, length, CRC and body all
     * hold), or -1. The body is validated without applying anything.
     */
    private int nextRecord(MappedByteBuffer m, int from, int end, long salt) {
        for (int q = from; q <= end - WalFormat.RECORD_HEADER_BYTES - 1; q++) {
            if (m.getLong(q) != salt) continue;
            if (record(m, q, end, WalFormat.RECORD_HEADER_BYTES, true, salt, false) == null) return q;
        }
        return -1;
    }

    /**
     * Checks the record at {@code pos} and, with {@code apply}, hands it to the handler. Returns null when it is
     * valid (and applied), else what is wrong; nothing of an invalid record is applied.
     */
    private String record(MappedByteBuffer m, int pos, int end, int header, boolean salted, long salt, boolean apply) {
        if (end - pos < header + 1) return "torn record header";
        if (salted && m.getLong(pos) != salt) return "no record starts here (sync marker mismatch)";
        int len = m.getInt(pos + header - 8);
        if (len <= 0 || len > WalFormat.MAX_RECORD_BYTES) return "invalid record length " + len;
        if (len > end - pos - header) return "torn record (length " + len + " beyond end of file)";
        int bodyStart = pos + header;
        crc.reset();
        crc.update(m.slice(bodyStart, len));
        if ((int) crc.getValue() != m.getInt(pos + header - 4)) return "CRC32C mismatch";
        try {
            return body(m, bodyStart, len, apply);
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            return "malformed record: " + e.getMessage();
        }
    }

    private String body(MappedByteBuffer m, int bodyStart, int len, boolean apply) {
        byte type = m.get(bodyStart);
        int body = bodyStart + 1;
        int count = m.getInt(body);
        int end = bodyStart + len;
        switch (type) {
            case WalFormat.TYPE_SAMPLES, WalFormat.TYPE_SERIES_STATE, WalFormat.TYPE_TOMBSTONES -> {
                if (count < 0 || (long) count * WalFormat.SAMPLE_BYTES != len - 5L) return "bad entry count " + count;
                if (!apply) return null;
                if (type == WalFormat.TYPE_SAMPLES) {
                    handler.samples(m, body + 4, count);
                    samples += count;
                } else if (type == WalFormat.TYPE_TOMBSTONES) {
                    handler.tombstones(m, body + 4, count);
                } else {
                    handler.seriesState(m, body + 4, count);
                }
            }
            case WalFormat.TYPE_SAMPLES_VARINT -> {
                if (!apply) {
                    SamplesCodec.decode(m, body, end, null);
                } else if (handler.bufferSamples(count)) {
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
            }
            case WalFormat.TYPE_HISTOGRAM_SAMPLES -> {
                histograms.decode(m, body, end, null);   // validate the whole body before applying any sample
                if (!apply) return null;
                samples += histograms.decode(m, body, end, histogramSink);
            }
            case WalFormat.TYPE_SERIES -> {
                // validate the whole record first, then apply
                int q = body + 4;
                for (int i = 0; i < count; i++) {
                    if (q + 8L > end) throw new IllegalArgumentException("series record overruns");
                    int ll = m.getInt(q + 4);
                    if (ll < 0 || q + 8L + ll > end) throw new IllegalArgumentException("series record overruns");
                    q += 8 + ll;
                }
                if (q != end) return (end - q) + " trailing bytes after " + count + " series";
                if (!apply) return null;
                int[] ids = new int[count];
                io.tsdb.core.Labels[] labels = new io.tsdb.core.Labels[count];
                q = body + 4;
                for (int i = 0; i < count; i++) {
                    ids[i] = m.getInt(q);
                    int ll = m.getInt(q + 4);
                    byte[] lb = new byte[ll];
                    m.get(q + 8, lb);
                    labels[i] = LabelsCodec.decode(lb);   // all decoded before any is applied
                    q += 8 + ll;
                }
                for (int i = 0; i < count; i++) handler.series(ids[i], labels[i]);
                series += count;
            }
            default -> {
                return "unknown record type " + type;
            }
        }
        return null;
    }
}
