package io.tsdb.core.wal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.SecureRandom;
import java.util.zip.CRC32C;

/**
 * Descriptor of the WAL segment format (spec: docs/format/wal.md). All integers little-endian.
 *
 * <pre>
 * segment  = header record*
 * header   = magic:u32 "TWAL" | version:u16 (2) | flags:u16 | salt:u64       (16 bytes)
 * record   = salt:u64 | length:u32 | crc32c:u32 | type:u8 | body             (salt = the segment's; length = 1 +
 *                                                                             body bytes; crc32c over type and body)
 * SERIES   body = count:u32 { id:i32 | labelsLen:u32 | labels (LabelsCodec) }*
 * SAMPLES  body = count:u32 { id:i32 | t:i64 | valueBits:i64 }*
 * SAMPLES4 body = count:u32 | baseT:i64 { idFlag:uvarint | zigzag(t-baseT):uvarint | value }*   (SamplesCodec)
 * STATE    body = count:u32 { id:i32 | maxT:i64 | lastValueBits:i64 }*   (newest sample of each series,
 *                                                                    written after a WAL truncation)
 * TOMBSTONES body = count:u32 { id:i32 | mint:i64 | maxt:i64 }*    (delete_series: the head samples of each
 *                                                                    series in [mint, maxt] written before it
 *                                                                    are deleted)
 * HISTOGRAMS body = count:u32 | baseT:i64 { native histogram sample }*   (HistogramSamplesCodec)
 * </pre>
 *
 * Every record starts with its segment's random salt, a sync marker: after a damaged record replay finds the
 * next record by searching for the salt (data written by clients cannot forge it: they never see it) and
 * checking that record's CRC. Version 1 segments (8-byte header without salt, 8-byte record header
 * {@code length | crc32c}) are still read; see docs/format/wal.md "Versions".
 */
public final class WalFormat {
    public static final int MAGIC = 0x4C415754;          // "TWAL" read as little-endian u32
    public static final short VERSION = 2;
    public static final short VERSION_1 = 1;
    public static final int SEGMENT_HEADER_BYTES = 16;
    public static final int SEGMENT_HEADER_BYTES_V1 = 8;
    /** Offset of the salt in the segment header. */
    public static final int SEGMENT_SALT_OFFSET = 8;
    public static final int RECORD_HEADER_BYTES = 16;    // salt + length + crc32c
    public static final int RECORD_HEADER_BYTES_V1 = 8;  // length + crc32c
    public static final int RECORD_SALT_OFFSET = 0;
    public static final int RECORD_LENGTH_OFFSET = 8;
    public static final int RECORD_CRC_OFFSET = 12;
    public static final byte TYPE_SERIES = 1;
    public static final byte TYPE_SAMPLES = 2;
    public static final byte TYPE_SERIES_STATE = 3;
    /** Compact samples (see {@link SamplesCodec}); what commits write. TYPE_SAMPLES stays readable. */
    public static final byte TYPE_SAMPLES_VARINT = 4;
    /** Head deletions (delete_series): same 20-byte entry layout as SAMPLES, {id, mint, maxt}. */
    public static final byte TYPE_TOMBSTONES = 5;
    /** Native histogram samples, integer and float (see {@link HistogramSamplesCodec}). */
    public static final byte TYPE_HISTOGRAM_SAMPLES = 6;
    public static final int SAMPLE_BYTES = 20;
    /** Larger declared lengths are treated as corruption. */
    public static final int MAX_RECORD_BYTES = 256 << 20;
    /** Samples per SAMPLES record at most (a commit may span several records). */
    public static final int MAX_SAMPLES_PER_RECORD = 1 << 20;
    public static final long DEFAULT_SEGMENT_BYTES = 128L << 20;
    public static final String SEGMENT_NAME_FORMAT = "%08d";

    private static final SecureRandom RANDOM = new SecureRandom();

    private WalFormat() {}

    public static String segmentName(long index) { return String.format(SEGMENT_NAME_FORMAT, index); }

    /** Parses a segment file name, or -1 when it is not one. */
    public static long parseSegmentName(String name) {
        if (name.length() != 8) return -1;
        for (int i = 0; i < 8; i++) if (name.charAt(i) < '0' || name.charAt(i) > '9') return -1;
        return Long.parseLong(name);
    }

    /**
     * A fresh random segment salt. Never a value a zero-filled or 0xFF-filled region, or a run of one repeated
     * byte, could be mistaken for.
     */
    public static long newSalt() {
        while (true) {
            long s = RANDOM.nextLong();
            long b = s & 0xFF;
            if (s != b * 0x0101010101010101L) return s;
        }
    }

    /** The 16-byte header of a new segment with the given salt. */
    public static ByteBuffer segmentHeader(long salt) {
        ByteBuffer b = ByteBuffer.allocate(SEGMENT_HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).putShort(VERSION).putShort((short) 0).putLong(salt).flip();
        return b;
    }

    /**
     * Completes a record whose type byte is at {@code RECORD_HEADER_BYTES} and whose body follows, from
     * position 0 to {@code buf.position()}: fills length and CRC and flips the buffer for writing. The salt is
     * filled in by {@link Wal#write} (it depends on the segment the record lands in).
     */
    public static void seal(ByteBuffer buf) {
        int end = buf.position();
        int len = end - RECORD_HEADER_BYTES;
        CRC32C crc = new CRC32C();
        ByteBuffer dup = buf.duplicate();
        dup.position(RECORD_HEADER_BYTES).limit(end);
        crc.update(dup);
        buf.putLong(RECORD_SALT_OFFSET, 0);
        buf.putInt(RECORD_LENGTH_OFFSET, len);
        buf.putInt(RECORD_CRC_OFFSET, (int) crc.getValue());
        buf.position(0).limit(end);
    }
}
