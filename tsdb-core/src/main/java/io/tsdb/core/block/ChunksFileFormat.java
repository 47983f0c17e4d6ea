package io.tsdb.core.block;

import java.nio.file.Path;

/**
 * Descriptor of the block chunks files ({@code <block>/chunks/000001 ...}); see docs/format/block-chunks.md.
 *
 * <pre>
 * segment  := header chunk*
 * header   := magic u32 (0x54534443 "TSDC") | version u8 (1) | reserved 3 bytes (0)
 * chunk    := uvarint dataLen | encoding u8 | data (dataLen bytes) | crc32c u32 over (encoding, data)
 * </pre>
 * Encodings: 1, 2 and later registered {@link BlockChunkCodec}s (float samples); {@link #ENC_HISTOGRAM} and
 * {@link #ENC_FLOAT_HISTOGRAM} (native histogram chunks, stored as they are).
 * A chunk reference is {@code (segment number << 32) | byte offset of the chunk in that segment}; segment
 * numbers start at 1. Integers are big-endian.
 */
public final class ChunksFileFormat {
    public static final int MAGIC = 0x54534443;
    public static final int VERSION = 1;
    public static final int HEADER_SIZE = 8;
    public static final String DIR = "chunks";
    /** A segment is closed once it reaches this size (a chunk never spans two segments). */
    public static final long MAX_SEGMENT_BYTES = 512L << 20;
    /** Largest encoded chunk accepted by readers (guards against corrupt lengths). */
    public static final int MAX_CHUNK_BYTES = 64 << 20;
    public static final int CRC_SIZE = 4;
    /**
     * Chunk encoding ids of native histogram chunks, stored byte for byte (docs/format/histogram-chunks.md); not
     * {@link BlockChunkCodec} ids ({@link ChunkCodecs#register} refuses them).
     */
    public static final int ENC_HISTOGRAM = io.tsdb.core.chunk.HistogramChunkFormat.ENC_HISTOGRAM;
    public static final int ENC_FLOAT_HISTOGRAM = io.tsdb.core.chunk.HistogramChunkFormat.ENC_FLOAT_HISTOGRAM;

    private ChunksFileFormat() {}

    public static String segmentName(int seq) { return String.format("%06d", seq); }

    public static Path segmentPath(Path blockDir, int seq) { return blockDir.resolve(DIR).resolve(segmentName(seq)); }

    public static long ref(int segment, long offset) { return ((long) segment << 32) | offset; }

    public static int refSegment(long ref) { return (int) (ref >>> 32); }

    public static int refOffset(long ref) { return (int) ref; }
}
