package io.tsdb.core.head;

import io.tsdb.core.fs.FileLayer;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The head's closed chunks in memory-mapped segment files (format and rationale: {@link HeadChunkFormat},
 * docs/format/head-chunks.md).
 *
 * <p>Invariants: a chunk is written (positional write, complete) before its location is returned, so a reader that
 * got the location from the series it belongs to (under that series' monitor) sees its bytes through the mapping
 * (the page cache is shared between {@code write} and mappings). A slot holds a segment until every chunk written to
 * it was {@link #free freed} and it is no longer the segment being appended to; then the file is deleted (its mapping
 * is released when the buffer is collected, so a late reader can never fault). Space is reserved under this object's
 * monitor; the write itself runs outside it. No other lock is taken while holding the monitor.
 *
 * <p>A segment's disk blocks are only given back when its file is deleted, so a segment must not outlive its chunks:
 * the segment being appended to is deleted too once its last chunk is freed (the next chunk starts a new one), and
 * a flush {@link #cutSegment cuts} it, so that the segments holding the flushed chunks go as soon as those are freed
 * instead of staying allocated (up to {@link HeadChunkFormat#SEGMENT_BYTES} each) under the next head's chunks.
 *
 * <p>A failed write (no space left, I/O error) is not an error for the head: {@link #write} answers -1 and the caller
 * keeps the chunk in off-heap memory instead; writes are then not tried again for {@link #RETRY_AFTER_NANOS}.
 */
public final class HeadChunkFiles implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(HeadChunkFiles.class);
    static final long RETRY_AFTER_NANOS = 10_000_000_000L;

    private final FileLayer fs;
    private final Path dir;
    private final int segmentBytes;
    private final Segment[] slots = new Segment[HeadChunkFormat.SLOTS];
    private Segment active;
    private long nextSeq = 1;
    private long liveBytes;
    private long writeFailures;
    private long retryAt = System.nanoTime();
    private boolean closed;

    private static final class Segment {
        final int slot;
        final Path path;
        final FileChannel channel;
        final UnsafeBuffer buffer;
        int writePos = HeadChunkFormat.HEADER_SIZE;
        long live;

        Segment(int slot, Path path, FileChannel channel, UnsafeBuffer buffer) {
            this.slot = slot;
            this.path = path;
            this.channel = channel;
            this.buffer = buffer;
        }
    }

    private HeadChunkFiles(FileLayer fs, Path dir, int segmentBytes) {
        if (segmentBytes <= HeadChunkFormat.HEADER_SIZE || segmentBytes > 1 << HeadChunkFormat.OFFSET_BITS) throw new IllegalArgumentException("segment size " + segmentBytes);
        this.fs = fs;
        this.dir = dir;
        this.segmentBytes = segmentBytes;
    }

    /** Opens {@code dir}, creating it, and deletes the segments a previous run left (they are not durable). */
    public static HeadChunkFiles open(FileLayer fs, Path dir) throws IOException {
        return open(fs, dir, HeadChunkFormat.SEGMENT_BYTES);
    }

    /** As {@link #open(FileLayer, Path)} with segments of {@code segmentBytes} (tests). */
    static HeadChunkFiles open(FileLayer fs, Path dir, int segmentBytes) throws IOException {
        fs.createDirectoriesDurably(dir);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                if (HeadChunkFormat.isSegmentName(p.getFileName().toString())) fs.deleteIfExists(p);
            }
        }
        return new HeadChunkFiles(fs, dir, segmentBytes);
    }

    /**
     * Appends {@code len} bytes of {@code src} to the newest segment; returns the chunk's location (slot in the high
     * bits, offset in the low {@link HeadChunkFormat#OFFSET_BITS}), or -1 when it could not be written.
     */
    public long write(byte[] src, int len) {
        if (len <= 0 || len > segmentBytes - HeadChunkFormat.HEADER_SIZE) throw new IllegalArgumentException("chunk of " + len + " bytes");
        Segment s;
        int pos;
        synchronized (this) {
            if (closed || System.nanoTime() - retryAt < 0) return -1;
            try {
                if (active == null || active.writePos + len > segmentBytes) rotate();
            } catch (IOException | RuntimeException e) {
                failed(e);
                return -1;
            }
            if (active == null) return -1;
            s = active;
            pos = s.writePos;
            s.writePos += len;
            s.live += len;
            liveBytes += len;
        }
        try {
            ByteBuffer b = ByteBuffer.wrap(src, 0, len);
            long at = pos;
            while (b.hasRemaining()) at += s.channel.write(b, at);
        } catch (IOException | RuntimeException e) {
            synchronized (this) {
                failed(e);
                release(s, len);
            }
            return -1;
        }
        return ((long) s.slot << HeadChunkFormat.OFFSET_BITS) | pos;
    }

    /** The mapping of the segment holding the chunk at {@code location}. */
    public UnsafeBuffer buffer(long location) {
        return slots[(int) (location >>> HeadChunkFormat.OFFSET_BITS)].buffer;
    }

    /** The chunk's offset in {@link #buffer}. */
    public static int offset(long location) {
        return (int) (location & ((1 << HeadChunkFormat.OFFSET_BITS) - 1));
    }

    /** Frees the {@code len} bytes of the chunk at {@code location}; deletes its segment once nothing in it is live. */
    public synchronized void free(long location, int len) {
        Segment s = slots[(int) (location >>> HeadChunkFormat.OFFSET_BITS)];
        if (s != null) release(s, len);
    }

    private void release(Segment s, int len) {
        s.live -= len;
        liveBytes -= len;
        if (s.live == 0) {
            // live counts the bytes reserved by writes in flight too: none is writing to s
            if (s == active) active = null;
            retire(s);
        }
    }

    /**
     * Ends the segment being appended to: the next chunk starts a new segment, and this one is deleted as soon as
     * its chunks are freed (called when the head is frozen for a flush: its chunks are then all frozen ones).
     */
    public synchronized void cutSegment() {
        Segment s = active;
        if (s == null) return;
        active = null;
        if (s.live == 0) retire(s);
    }

    /** Starts a new segment (the caller holds the monitor); leaves {@code active} null when every slot is taken. */
    private void rotate() throws IOException {
        Segment old = active;
        active = null;
        if (old != null && old.live == 0) retire(old);
        int slot = (int) (nextSeq % HeadChunkFormat.SLOTS);
        if (slots[slot] != null) return;    // 256 GiB of live head chunks: keep the next ones in memory
        Path p = dir.resolve(HeadChunkFormat.segmentName(nextSeq));
        FileChannel ch = fs.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            ByteBuffer h = ByteBuffer.allocate(HeadChunkFormat.HEADER_SIZE).order(ByteOrder.BIG_ENDIAN);
            h.putInt(HeadChunkFormat.MAGIC).put((byte) HeadChunkFormat.VERSION).put(new byte[3]).flip();
            while (h.hasRemaining()) ch.write(h, h.position());
            MappedByteBuffer m;
            // mapped through a plain channel: the file layer's channel need not support mapping; mapping a writable
            // channel beyond its end extends the file (sparse) to the segment size
            try (FileChannel mc = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                m = mc.map(FileChannel.MapMode.READ_ONLY, 0, segmentBytes);
            }
            Segment s = new Segment(slot, p, ch, new UnsafeBuffer(m));
            slots[slot] = s;
            active = s;
            nextSeq++;
        } catch (IOException | RuntimeException e) {
            ch.close();
            fs.deleteIfExists(p);
            throw e;
        }
    }

    private void retire(Segment s) {
        slots[s.slot] = null;
        try {
            s.channel.close();
            fs.deleteIfExists(s.path);
        } catch (IOException e) {
            LOG.warn("could not delete head chunk segment {}: {}", s.path, e.toString());
        }
    }

    private void failed(Exception e) {
        writeFailures++;
        retryAt = System.nanoTime() + RETRY_AFTER_NANOS;
        LOG.warn("could not write a head chunk to {} ({}); keeping head chunks in memory, trying the disk again in {} s",
                dir, e.toString(), RETRY_AFTER_NANOS / 1_000_000_000L);
    }

    /** Bytes of chunks written and not yet freed. */
    public synchronized long liveBytes() { return liveBytes; }

    /** Chunk writes that failed (the chunk was kept in memory). */
    public synchronized long writeFailures() { return writeFailures; }

    /** Segment files that exist. */
    public synchronized int segments() {
        int n = 0;
        for (Segment s : slots) if (s != null) n++;
        return n;
    }

    /** Closes the segments' files without deleting them (a simulated crash; the next open deletes them). */
    public synchronized void abandon() {
        closed = true;
        active = null;
        for (Segment s : slots) {
            if (s == null) continue;
            try {
                s.channel.close();
            } catch (IOException e) {
                LOG.debug("closing {}: {}", s.path, e.toString());
            }
        }
    }

    /** Closes and deletes every segment; later writes answer -1. Readers must be done. */
    @Override public synchronized void close() {
        closed = true;
        active = null;
        for (Segment s : slots) if (s != null) retire(s);
    }
}
