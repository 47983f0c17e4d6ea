package io.tsdb.core.block;

/**
 * Descriptor of the block index file ({@code <block>/index}); see docs/format/block-index.md.
 *
 * <pre>
 * file     := header section(symbols) section(series) section(series_offsets) section(postings)
 *             section(postings_table) toc
 * header   := magic u32 (0x54534449 "TSDI") | version u8 (1) | reserved 3 bytes (0)
 * section  := payloadLen u32 | payload | crc32c(payload) u32
 * toc      := symbolsOff u64 | seriesOff u64 | seriesOffsetsOff u64 | postingsOff u64 | postingsTableOff u64
 *             | numSeries u32 | crc32c(previous 44 bytes) u32
 * </pre>
 * Integers are big-endian; varints are LEB128 (zig-zag for signed). Series ids are the ordinals of the
 * series in label order, so iterating a postings bitmap yields series sorted by labels.
 */
public final class BlockIndexFormat {
    public static final int MAGIC = 0x54534449;
    public static final int VERSION = 1;
    public static final int HEADER_SIZE = 8;
    public static final int TOC_SIZE = 5 * 8 + 4 + 4;
    public static final String FILE = "index";

    /** Section names, as used in docs and {@link CorruptBlockException#section()}. */
    public static final String SYMBOLS = "symbols";
    public static final String SERIES = "series";
    public static final String SERIES_OFFSETS = "series_offsets";
    public static final String POSTINGS = "postings";
    public static final String POSTINGS_TABLE = "postings_table";
    public static final String TOC = "toc";
    public static final String HEADER = "header";

    /** Section order in the file and in the TOC. */
    static final String[] SECTIONS = {SYMBOLS, SERIES, SERIES_OFFSETS, POSTINGS, POSTINGS_TABLE};

    private BlockIndexFormat() {}
}
