package io.tsdb.core.block;

/**
 * Descriptor of a block's tombstones file ({@code <block>/tombstones}); spec: docs/format/tombstones.md.
 *
 * <pre>
 * file     := header count entry* crc
 * header   := magic u32 (0x54534454 "TSDT") | version u8 (1) | reserved 3 bytes (0)
 * count    := u32                                    number of entries
 * entry    := series u32 | n u32 | (mint i64 | maxt i64) * n
 * crc      := crc32c u32 over every byte before it
 * </pre>
 * Integers are big-endian, like the block index. {@code series} is the block-local series id (the ordinal of
 * the series in the index's series table); entries are sorted by it and unique; intervals are inclusive, sorted
 * by {@code mint}, non-empty ({@code mint <= maxt}), and neither overlap nor touch (merged when written).
 * A block without the file has no deleted data. The file is replaced atomically ({@link #TMP_FILE}, fsync,
 * rename, directory fsync), never modified in place, so hard links taken by a snapshot keep their version.
 */
public final class TombstonesFormat {
    public static final int MAGIC = 0x54534454;
    public static final int VERSION = 1;
    public static final int HEADER_SIZE = 8;
    /** Header plus the entry count. */
    public static final int PREFIX_SIZE = HEADER_SIZE + 4;
    public static final int CRC_SIZE = 4;
    /** Bytes of one interval. */
    public static final int INTERVAL_SIZE = 16;
    /** Bytes of an entry before its intervals. */
    public static final int ENTRY_HEADER_SIZE = 8;
    public static final String FILE = "tombstones";
    /** Name of the file being written; a leftover (crash while writing) is deleted when the block opens. */
    public static final String TMP_FILE = "tombstones.tmp";

    /** Section names, as used in {@link CorruptBlockException#section()}. */
    public static final String HEADER = "header";
    public static final String ENTRIES = "entries";
    public static final String CRC = "crc";

    private TombstonesFormat() {}
}
