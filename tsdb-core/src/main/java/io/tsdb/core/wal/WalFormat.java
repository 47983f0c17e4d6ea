package io.tsdb.core.wal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * Descriptor of the WAL segment format (spec: docs/format/wal.md). All integers little-endian.
 *
 * <pre>
 * segment  = header record*
 * header   = magic:u32 "TWAL" | version:u16 | flags:u16            (8 bytes)
 * record   = length:u32 | crc32c:u32 | type:u8 | body               (length = 1 + body bytes;
 *                                                                    crc32c over type and body)
 * SERIES   body = count:u32 { id:i32 | labelsLen:u32 | labels (LabelsCodec) }*
 * SAMPLES  body = count:u32 { id:i32 | t:i64 | valueBits:i64 }*
 * SAMPLES4 body = count:u32 | baseT:i64 { idFlag:uvarint | zigzag(t-baseT):uvarint | value }*   (SamplesCodec)
 * STATE    body = count:u32 { id:i32 | maxT:i64 | lastValueBits:i64 }*   (newest sample of each series,
 *                                                                    written after a WAL truncation)
 * TOMBSTONES body = count:u32 { id:i32 | mint:i64 | maxt:i64 }*    (delete_series: the head samples of each
 *                                                                    series in [mint, maxt] written before it
 *                                                                    are deleted)
 * </pre>
 */
public final class WalFormat {
    public static final int MAGIC = 0x4C415754;          // "TWAL" read as little-endian u32
    public static final short VERSION = 1;
    public static final int SEGMENT_HEADER_BYTES = 8;
    public static final int RECORD_HEADER_BYTES = 8;     // length + crc32c
    public static final byte TYPE_SERIES = 1;
    public static final byte TYPE_SAMPLES = 2;
    public static final byte TYPE_SERIES_STATE = 3;
    /** Compact samples (see {@link SamplesCodec}); what commits write. TYPE_SAMPLES stays readable. */
    public static final byte TYPE_SAMPLES_VARINT = 4;
    /** Head deletions (delete_series): same 20-byte entry layout as SAMPLES, {id, mint, maxt}. */
    public static final byte TYPE_TOMBSTONES = 5;
    public static final int SAMPLE_BYTES = 20;
    /** Larger declared lengths are treated as corruption. */
    public static final int MAX_RECORD_BYTES = 256 << 20;
    /** Samples per SAMPLES record at most (a commit may span several records). */
    public static final int MAX_SAMPLES_PER_RECORD = 1 << 20;
    public static final long DEFAULT_SEGMENT_BYTES = 128L << 20;
    public static final String SEGMENT_NAME_FORMAT = "%08d";

    private WalFormat() {}

    public static String segmentName(long index) { return String.format(SEGMENT_NAME_FORMAT, index); }

    /** Parses a segment file name, or -1 when it is not one. */
    public static long parseSegmentName(String name) {
        if (name.length() != 8) return -1;
        for (int i = 0; i < 8; i++) if (name.charAt(i) < '0' || name.charAt(i) > '9') return -1;
        return Long.parseLong(name);
    }

    public static ByteBuffer segmentHeader() {
        ByteBuffer b = ByteBuffer.allocate(SEGMENT_HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).putShort(VERSION).putShort((short) 0).flip();
        return b;
    }

    /**
     * Completes a record whose type byte is at {@code RECORD_HEADER_BYTES} and whose body follows, from
     * position 0 to {@code buf.position()}: fills length and CRC and flips the buffer for writing.
     */
    public static void seal(ByteBuffer buf) {
        int end = buf.position();
        int len = end - RECORD_HEADER_BYTES;
        CRC32C crc = new CRC32C();
        ByteBuffer dup = buf.duplicate();
        dup.position(RECORD_HEADER_BYTES).limit(end);
        crc.update(dup);
        buf.putInt(0, len);
        buf.putInt(4, (int) crc.getValue());
        buf.position(0).limit(end);
    }
}
