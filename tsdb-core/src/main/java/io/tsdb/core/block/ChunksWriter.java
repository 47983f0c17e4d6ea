package io.tsdb.core.block;

import io.tsdb.core.fs.FileLayer;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * Appends encoded chunks to segment files of a block being written; fsyncs each segment when it is full and at
 * {@link #finish()}.
 */
final class ChunksWriter implements Closeable {
    private final FileLayer fs;
    private final Path dir;
    private final CRC32C crc = new CRC32C();
    private final ByteOut frame = new ByteOut(1 << 16);
    private FileChannel ch;
    private int segment;
    private long segmentPos;
    private long totalBytes;

    ChunksWriter(FileLayer fs, Path blockDir) throws IOException {
        this.fs = fs;
        this.dir = blockDir.resolve(ChunksFileFormat.DIR);
        fs.createDirectories(dir);
    }

    private void nextSegment() throws IOException {
        finishSegment();
        segment++;
        ch = fs.open(dir.resolve(ChunksFileFormat.segmentName(segment)),
                StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        ByteBuffer h = ByteBuffer.allocate(ChunksFileFormat.HEADER_SIZE);
        h.putInt(ChunksFileFormat.MAGIC).put((byte) ChunksFileFormat.VERSION).put((byte) 0).put((byte) 0).put((byte) 0).flip();
        writeFully(h);
        segmentPos = ChunksFileFormat.HEADER_SIZE;
    }

    private void writeFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

    /** Writes one chunk whose encoded payload is {@code data[0, len)}; returns its reference. */
    long write(int encoding, byte[] data, int len) throws IOException {
        if (len > ChunksFileFormat.MAX_CHUNK_BYTES) throw new IOException("chunk too large: " + len + " bytes");
        long frameLen = ByteOut.uvarintSize(len) + 1L + len + ChunksFileFormat.CRC_SIZE;
        if (ch == null || (segmentPos + frameLen > ChunksFileFormat.MAX_SEGMENT_BYTES && segmentPos > ChunksFileFormat.HEADER_SIZE)) {
            nextSegment();
        }
        frame.reset();
        frame.uvarint(len);
        frame.u8(encoding);
        frame.bytes(data, 0, len);
        crc.reset();
        crc.update(encoding);
        crc.update(data, 0, len);
        frame.u32((int) crc.getValue());
        long ref = ChunksFileFormat.ref(segment, segmentPos);
        writeFully(ByteBuffer.wrap(frame.array(), 0, frame.length()));
        segmentPos += frame.length();
        totalBytes += frame.length();
        return ref;
    }

    long totalBytes() { return totalBytes; }

    private void finishSegment() throws IOException {
        if (ch != null) {
            ch.force(true);
            ch.close();
            ch = null;
        }
    }

    /** Finishes the last segment (fsynced) and fsyncs the directory; on failure the caller discards the block. */
    void finish() throws IOException {
        if (segment == 0) nextSegment(); // an empty block still has one (empty) segment with a valid header
        finishSegment();
        fs.fsyncDirectory(dir);
    }

    /** Closes an open segment without finishing it (after a failure). */
    @Override public void close() throws IOException {
        if (ch != null) {
            ch.close();
            ch = null;
        }
    }
}
