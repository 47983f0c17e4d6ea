package io.tsdb.core.block;

/**
 * Descriptor of the block index file ({@code <block>/index}); see docs/format/block-index.md.
 *
 * <pre>
 * file     := header section(symbols) section(series) section(series_offsets) section(postings)
 *             section(postings_table) toc
 * header   := magic u32 (0x54534449 "TSDI") | version u8 (3) | reserved 3 bytes (0)
 * section  := payloadLen u32 | payload | crc32c(payload) u32
 * toc      := symbolsOff u64 | seriesOff u64 | seriesOffsetsOff u64 | seriesRefsOff u64 | postingsOff u64
 *             | postingsTableOff u64 | numSeries u32 | crc32c(header, previous 52 bytes) u32   (version 3; without the
 *             header before)
 * </pre>
 * Version 2 added {@code series_refs} (the storage-wide series id of each series, u32, 0xFFFFFFFF = unknown);
 * version 1 files (without it, a 48-byte TOC) stay readable. Version 3 writes a series' labels as (name index, value
 * index) positions in the postings table instead of two symbol refs, and starts the series section with a base time
 * (varint) from which each series' first chunk's minTime is an uvarint; versions 1 and 2 stay readable.
 * Integers are big-endian; varints are LEB128 (zig-zag for signed). Series ids are the ordinals of the
 * series in label order, so iterating a postings bitmap yields series sorted by labels.
 */
public final class BlockIndexFormat {
    public static final int MAGIC = 0x54534449;
    public static final int VERSION = 3;
    /** First version whose series entries name labels by position (postings table) and time chunks from a base time. */
    public static final int VERSION_3 = 3;
    /** Oldest version still read. */
    public static final int VERSION_1 = 1;
    public static final int HEADER_SIZE = 8;
    public static final int TOC_SIZE = 6 * 8 + 4 + 4;
    public static final int TOC_SIZE_V1 = 5 * 8 + 4 + 4;
    /** Value of a {@code series_refs} entry for a series whose storage-wide id is unknown. */
    public static final int UNKNOWN_REF = -1;
    public static final String FILE = "index";

    /** Section names, as used in docs and {@link CorruptBlockException#section()}. */
    public static final String SYMBOLS = "symbols";
    public static final String SERIES = "series";
    public static final String SERIES_OFFSETS = "series_offsets";
    public static final String SERIES_REFS = "series_refs";
    public static final String POSTINGS = "postings";
    public static final String POSTINGS_TABLE = "postings_table";
    public static final String TOC = "toc";
    public static final String HEADER = "header";

    /** Section order in the file and in the TOC. */
    static final String[] SECTIONS = {SYMBOLS, SERIES, SERIES_OFFSETS, SERIES_REFS, POSTINGS, POSTINGS_TABLE};
    /** Section order of version 1. */
    static final String[] SECTIONS_V1 = {SYMBOLS, SERIES, SERIES_OFFSETS, POSTINGS, POSTINGS_TABLE};

    static String[] sections(int version) { return version == VERSION_1 ? SECTIONS_V1 : SECTIONS; }

    static int tocSize(int version) { return version == VERSION_1 ? TOC_SIZE_V1 : TOC_SIZE; }

    private BlockIndexFormat() {}
}
