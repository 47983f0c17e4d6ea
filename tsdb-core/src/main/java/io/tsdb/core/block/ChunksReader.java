package io.tsdb.core.block;

import io.tsdb.core.chunk.HistogramChunkFormat;
import io.tsdb.core.chunk.HistogramChunkIterator;
import io.tsdb.core.head.HistogramBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Memory-mapped read access to a block's chunk segments. Every decode verifies the chunk's CRC32C and that
 * the sample count matches the index, so a flipped byte surfaces as a {@link CorruptBlockException}.
 * Thread-safe (uses absolute reads on shared read-only buffers).
 */
final class ChunksReader {
    private final Path dir;
    private final MappedByteBuffer[] segments; // index = segment number - 1

    ChunksReader(Path blockDir) throws IOException {
        this.dir = blockDir.resolve(ChunksFileFormat.DIR);
        List<MappedByteBuffer> segs = new ArrayList<>();
        try {
            mapSegments(segs);
        } catch (IOException | RuntimeException e) {
            for (MappedByteBuffer b : segs) Unmapper.unmap(b);
            throw e;
        }
        this.segments = segs.toArray(new MappedByteBuffer[0]);
    }

    private void mapSegments(List<MappedByteBuffer> segs) throws IOException {
        for (int seq = 1; ; seq++) {
            Path p = dir.resolve(ChunksFileFormat.segmentName(seq));
            if (!Files.exists(p)) break;
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
                long size = ch.size();
                if (size > Integer.MAX_VALUE) throw new CorruptBlockException(p, "header", "segment larger than 2 GiB: " + size);
                if (size < ChunksFileFormat.HEADER_SIZE) throw new CorruptBlockException(p, "header", "file too short: " + size + " bytes");
                MappedByteBuffer b = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
                segs.add(b); // unmapped by the caller if this segment fails validation
                int magic = b.getInt(0);
                if (magic != ChunksFileFormat.MAGIC) {
                    throw new CorruptBlockException(p, "header", String.format("bad magic 0x%08x, expected 0x%08x", magic, ChunksFileFormat.MAGIC));
                }
                int version = b.get(4) & 0xFF;
                if (version != ChunksFileFormat.VERSION) {
                    throw new CorruptBlockException(p, "header", "unsupported version " + version + ", this build reads " + ChunksFileFormat.VERSION);
                }
                if ((b.getInt(4) & 0xFFFFFF) != 0) throw new CorruptBlockException(p, "header", "reserved header bytes are not zero");
            }
        }
        if (segs.isEmpty()) throw new CorruptBlockException(dir.resolve(ChunksFileFormat.segmentName(1)), "header", "missing chunks segment");
    }

    /** Releases the mappings; nothing may read this reader afterwards. */
    void unmap() {
        for (MappedByteBuffer b : segments) Unmapper.unmap(b);
    }

    long sizeBytes() {
        long n = 0;
        for (MappedByteBuffer b : segments) n += b.capacity();
        return n;
    }

    private Path segPath(int seg) { return dir.resolve(ChunksFileFormat.segmentName(seg)); }

    private static String section(int seg, int off) { return "chunk@" + ChunksFileFormat.segmentName(seg) + ":" + off; }

    /**
     * Decodes chunk {@code ref} into {@code ts}/{@code vs} (length at least {@code expectedCount}).
     * @return the number of samples, always equal to {@code expectedCount}
     */
    int decode(long ref, int expectedCount, long[] ts, double[] vs, CRC32C crc) {
        return decode(ref, expectedCount, ts, vs, null, crc);
    }

    private final ThreadLocal<HistogramChunkIterator> histIt = ThreadLocal.withInitial(HistogramChunkIterator::new);
    private final ThreadLocal<UnsafeBuffer> histView = ThreadLocal.withInitial(() -> new UnsafeBuffer(0, 0));

    /**
     * As {@link #decode(long, int, long[], double[], CRC32C)}, and a native histogram chunk (encodings
     * {@code 0x03}/{@code 0x04}, docs/format/histogram-chunks.md) into {@code hist} (cleared first; its timestamps are
     * also copied into {@code ts}): {@code hist.n > 0} afterwards tells a histogram chunk. With {@code hist} null a
     * histogram chunk is an error.
     */
    int decode(long ref, int expectedCount, long[] ts, double[] vs, HistogramBuffer hist, CRC32C crc) {
        if (hist != null) hist.clear();
        int seg = ChunksFileFormat.refSegment(ref);
        int off = ChunksFileFormat.refOffset(ref);
        if (seg < 1 || seg > segments.length) {
            throw new CorruptBlockException(segPath(seg), "chunk@" + off, "reference to missing segment " + seg + " (have " + segments.length + ")");
        }
        ByteBuffer b = segments[seg - 1];
        int limit = b.capacity();
        if (off < ChunksFileFormat.HEADER_SIZE || off >= limit) {
            throw new CorruptBlockException(segPath(seg), section(seg, off), "offset outside the segment (size " + limit + ")");
        }
        int p = off;
        long len = 0;
        int shift = 0;
        while (true) {
            if (p >= limit || shift > 28) throw new CorruptBlockException(segPath(seg), section(seg, off), "bad chunk length varint");
            int x = b.get(p++);
            len |= (long) (x & 0x7F) << shift;
            if (x >= 0) break;
            shift += 7;
        }
        if (len > ChunksFileFormat.MAX_CHUNK_BYTES || p + 1 + len + ChunksFileFormat.CRC_SIZE > limit) {
            throw new CorruptBlockException(segPath(seg), section(seg, off), "chunk length " + len + " runs past the end of the segment");
        }
        int dataLen = (int) len;
        int encoding = b.get(p) & 0xFF;
        crc.reset();
        ByteBuffer view = b.slice(p, 1 + dataLen);
        crc.update(view);
        int stored = b.getInt(p + 1 + dataLen);
        if ((int) crc.getValue() != stored) {
            throw new CorruptBlockException(segPath(seg), section(seg, off),
                    String.format("CRC32C mismatch: stored 0x%08x, computed 0x%08x", stored, (int) crc.getValue()));
        }
        if (HistogramChunkFormat.isHistogramEncoding((byte) encoding)) {
            if (hist == null) throw new IllegalStateException("chunk " + section(seg, off) + " holds native histograms; this reader takes floats only");
            int n;
            try {
                UnsafeBuffer v = histView.get();
                v.wrap(b, p + 1, dataLen);
                if (dataLen < HistogramChunkFormat.HEADER_SIZE || v.getByte(0) != (byte) encoding) throw new IllegalArgumentException("chunk bytes do not start with their encoding " + encoding);
                HistogramChunkIterator it = histIt.get().reset(v, 0, dataLen);
                n = it.size();
                if (n != expectedCount) throw new IllegalArgumentException("chunk claims " + n + " samples, index says " + expectedCount);
                hist.addChunk(it, Long.MIN_VALUE, Long.MAX_VALUE);
                v.wrap(0, 0);
            } catch (RuntimeException e) {
                throw new CorruptBlockException(segPath(seg), section(seg, off), "undecodable histogram chunk: " + e.getMessage(), e);
            }
            if (hist.n != expectedCount) {
                throw new CorruptBlockException(segPath(seg), section(seg, off), "chunk holds " + hist.n + " samples, index says " + expectedCount);
            }
            System.arraycopy(hist.t, 0, ts, 0, n);
            return n;
        }
        BlockChunkCodec codec = ChunkCodecs.byId(encoding);
        if (codec == null) throw new CorruptBlockException(segPath(seg), section(seg, off), "unknown chunk encoding " + encoding);
        int n;
        try {
            n = codec.decode(b, p + 1, dataLen, expectedCount, ts, vs);
        } catch (RuntimeException e) {
            throw new CorruptBlockException(segPath(seg), section(seg, off), "undecodable " + codec.name() + " chunk: " + e.getMessage(), e);
        }
        if (n != expectedCount) {
            throw new CorruptBlockException(segPath(seg), section(seg, off), "chunk holds " + n + " samples, index says " + expectedCount);
        }
        return n;
    }
}
