package io.tsdb.core.head;

import java.util.Locale;

/**
 * Descriptor of the head's chunk segment files, {@code <data>/chunks_head/NNNNNNNN} (docs/format/head-chunks.md).
 *
 * <p>When the head cuts a chunk (its open chunk is full) it appends the closed chunk's bytes to the newest segment
 * with a positional write and reads it back through a read-only memory mapping of the segment. The closed chunks of
 * the head thereby live in the page cache, which the kernel can write back and evict, instead of in the process'
 * anonymous memory: resident memory follows the active series, not the samples of the last hours.
 *
 * <p>The files are a cache of memory, not a durable store: the write-ahead log stays the record of every
 * acknowledged sample, segments are never fsynced, and opening the database deletes them all before the WAL is
 * replayed (which cuts the replayed chunks into fresh segments). A segment is deleted as soon as every chunk in it
 * has been freed (flushed to a block and no longer readable by an open querier).
 *
 * <p>Layout of a segment: an 8-byte header ({@link #MAGIC} u32 big-endian, {@link #VERSION} u8, 3 zero bytes),
 * then chunks back to back, each exactly the bytes of a closed chunk (docs/format/chunks.md: the first byte is the
 * chunk's encoding id). Nothing in the file says where a chunk starts: the head keeps each chunk's segment, offset
 * and length in memory. A segment holds at most {@link #SEGMENT_BYTES}; its file is sized to that up front (a
 * sparse file: only written blocks take disk space) so that the mapping covers every offset that will be written.
 */
public final class HeadChunkFormat {
    private HeadChunkFormat() { }

    /** Directory below the data directory. */
    public static final String DIR = "chunks_head";
    /** "TSHC" (tsdb head chunks). */
    public static final int MAGIC = 0x54534843;
    public static final int VERSION = 1;
    public static final int HEADER_SIZE = 8;
    /** Size of a segment's file and mapping; a chunk offset fits {@link #OFFSET_BITS} bits. */
    public static final int SEGMENT_BYTES = 64 << 20;
    static final int OFFSET_BITS = 27;
    /** Segments addressable at once (a ring of slots; a slot is reused once its segment was deleted). */
    static final int SLOTS = 1 << 12;

    /** File name of segment {@code seq} (8 decimal digits). */
    public static String segmentName(long seq) {
        return String.format(Locale.ROOT, "%08d", seq);
    }

    /** Whether {@code name} is a segment file name. */
    public static boolean isSegmentName(String name) {
        return name.length() == 8 && name.chars().allMatch(c -> c >= '0' && c <= '9');
    }
}
