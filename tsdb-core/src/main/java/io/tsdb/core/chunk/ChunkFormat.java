package io.tsdb.core.chunk;

import org.agrona.DirectBuffer;

/**
 * Descriptor of the chunk encoding (spec: docs/format/chunks.md): encoding ids, column codec ids,
 * header layout offsets and limits. A chunk is a self-describing byte string; its first byte is the
 * encoding id, which also carries the version (a new layout gets a new id, old ids stay decodable).
 *
 * <p>Chunks carry no checksum of their own: the container (block chunk files, head snapshots)
 * stores a CRC32C over every chunk it holds; see the block format page.
 */
public final class ChunkFormat {
    private ChunkFormat() {}

    /** Encoding id of a head chunk: streaming Gorilla bitstream (delta-of-delta timestamps, XOR values). */
    public static final byte ENC_XOR_STREAM = 0x01;
    /** Encoding id of a closed chunk: a timestamp column and a value column, each with its own codec. */
    public static final byte ENC_COLUMNAR = 0x02;

    // ---- XOR stream layout (ENC_XOR_STREAM) ----
    /** Offset of the encoding id byte. */
    public static final int OFF_ENCODING = 0;
    /** Offset of the flags byte (reserved, 0). */
    public static final int XOR_OFF_FLAGS = 1;
    /** Offset of the little-endian u16 sample count. */
    public static final int XOR_OFF_COUNT = 2;
    /** Offset of the first bitstream byte (bits are MSB-first, written as big-endian 64-bit words). */
    public static final int XOR_OFF_BITS = 4;
    /** Header size of an XOR stream chunk. */
    public static final int XOR_HEADER_SIZE = 4;

    // ---- column codecs ----
    /** Timestamp column: integer sequence (delta order 0/1/2, frame of reference or zig-zag, patched bit packing). */
    public static final byte TS_INT_SEQ = 0x01;
    /** Value column: every value has the same 64-bit pattern (8 raw bytes). */
    public static final byte VAL_CONST = 0x01;
    /** Value column: decimals m / 10^scale with a common scale; mantissas as an integer sequence. */
    public static final byte VAL_DECIMAL = 0x02;
    /** Value column: byte-aligned XOR (4-bit code per value + 0..8 payload bytes). */
    public static final byte VAL_XOR_BYTES = 0x03;
    /**
     * Value column: like VAL_DECIMAL, plus a few special values (NaN incl. stale markers, +-Inf, -0.0)
     * stored raw as exceptions, so e.g. an integer series ending in a stale marker stays compact.
     */
    public static final byte VAL_DECIMAL_SPECIALS = 0x04;

    /** Largest number of samples in one chunk (either encoding). */
    public static final int MAX_SAMPLES = 65535;
    /** Largest decimal scale used by VAL_DECIMAL (10^scale is exact in a double up to 22). */
    public static final int MAX_DECIMAL_SCALE = 15;
    /** Largest |mantissa| of VAL_DECIMAL (2^53: every such long converts to a double exactly). */
    public static final long MAX_DECIMAL_MANTISSA = 1L << 53;

    /** Encoding id of the chunk at {@code off}. */
    public static byte encoding(DirectBuffer buf, int off) {
        return buf.getByte(off + OFF_ENCODING);
    }

    /** Number of samples in the chunk at [off, off+len) without decoding it. */
    public static int sampleCount(DirectBuffer buf, int off, int len) {
        if (len < 1) throw new ChunkFormatException("empty chunk (0 bytes)");
        byte enc = buf.getByte(off);
        switch (enc) {
            case ENC_XOR_STREAM:
                if (len < XOR_HEADER_SIZE) throw new ChunkFormatException("XOR chunk shorter than its header: " + len + " bytes");
                return buf.getShort(off + XOR_OFF_COUNT, java.nio.ByteOrder.LITTLE_ENDIAN) & 0xffff;
            case ENC_COLUMNAR: {
                long n = 0;
                int shift = 0;
                for (int p = off + 1; p < off + len && shift < 35; p++, shift += 7) {
                    int b = buf.getByte(p);
                    n |= (long) (b & 0x7f) << shift;
                    if (b >= 0) {
                        if (n > MAX_SAMPLES) throw new ChunkFormatException("columnar chunk declares " + n + " samples, max " + MAX_SAMPLES);
                        return (int) n;
                    }
                }
                throw new ChunkFormatException("columnar chunk: truncated sample count");
            }
            case HistogramChunkFormat.ENC_HISTOGRAM:
            case HistogramChunkFormat.ENC_FLOAT_HISTOGRAM:
                return HistogramChunkFormat.sampleCount(buf, off, len);
            default:
                throw new ChunkFormatException("unknown chunk encoding id " + (enc & 0xff) + " at offset " + off);
        }
    }

    /** Human-readable name of an encoding id, for diagnostics. */
    public static String encodingName(byte enc) {
        switch (enc) {
            case ENC_XOR_STREAM: return "xor-stream";
            case ENC_COLUMNAR: return "columnar";
            case HistogramChunkFormat.ENC_HISTOGRAM: return "histogram";
            case HistogramChunkFormat.ENC_FLOAT_HISTOGRAM: return "float-histogram";
            default: return "unknown(" + (enc & 0xff) + ")";
        }
    }
}
