package io.tsdb.core.chunk;

import java.nio.ByteOrder;

import org.agrona.DirectBuffer;

import io.tsdb.core.histogram.CounterResetHint;

/**
 * Descriptor of the histogram chunk encodings (spec: docs/format/histogram-chunks.md): encoding ids, header
 * offsets, flag bits, the zero-threshold byte code and the cut reasons an appender reports. Like every chunk, a
 * histogram chunk starts with its encoding id; the ids share the space of {@link ChunkFormat}.
 */
public final class HistogramChunkFormat {
    private HistogramChunkFormat() {}

    /** Integer histograms (counts are integers): varbit delta-of-delta of absolute bucket counts. */
    public static final byte ENC_HISTOGRAM = 0x03;
    /** Float histograms: every field XOR-coded against the previous sample's. */
    public static final byte ENC_FLOAT_HISTOGRAM = 0x04;

    /**
     * Offset of the little-endian u16 holding the sample count (bits 0-13) and the counter-reset hint of the first
     * sample (bits 14-15, {@link CounterResetHint#code}).
     */
    public static final int OFF_COUNT = 1;
    public static final int COUNT_MASK = 0x3fff;
    public static final int HINT_SHIFT = 14;
    /** Offset of the bitstream: the layout (zero threshold, schema, spans, custom bounds), then the samples. */
    public static final int OFF_BITS = 3;
    public static final int HEADER_SIZE = 3;

    /** Zero-threshold code: 0 = 0.0, 1..254 = 2^(code - ZT_POWER_BIAS), ZT_RAW = 8 raw bytes follow. */
    public static final int ZT_RAW = 255;
    public static final int ZT_POWER_BIAS = 244;

    /** Largest number of samples in one histogram chunk. */
    public static final int MAX_SAMPLES = COUNT_MASK;

    // ---- what HistogramChunkAppender.append answers ----
    /** The sample was appended. */
    public static final int APPENDED = 0;
    /** The chunk is full (sample count or the buffer region): cut it, append to a new one. */
    public static final int CUT_FULL = 1;
    /** Schema, zero threshold or custom bounds differ from the chunk's: cut, new chunk (hint as the sample says). */
    public static final int CUT_LAYOUT = 2;
    /** A counter reset (by hint or detected): cut, the new chunk starts with hint COUNTER_RESET. */
    public static final int CUT_COUNTER_RESET = 3;
    /** The sample is a gauge histogram and the chunk holds counters, or the other way round: cut. */
    public static final int CUT_KIND = 4;

    public static boolean isHistogramEncoding(byte enc) { return enc == ENC_HISTOGRAM || enc == ENC_FLOAT_HISTOGRAM; }

    /** Sample count of the histogram chunk at [off, off+len). */
    public static int sampleCount(DirectBuffer buf, int off, int len) {
        if (len < HEADER_SIZE) throw new ChunkFormatException("histogram chunk shorter than its header: " + len + " bytes");
        return buf.getShort(off + OFF_COUNT, ByteOrder.LITTLE_ENDIAN) & COUNT_MASK;
    }

    /** Counter-reset hint stored for the chunk's first sample. */
    public static CounterResetHint firstSampleHint(DirectBuffer buf, int off) {
        return CounterResetHint.ofCode((buf.getShort(off + OFF_COUNT, ByteOrder.LITTLE_ENDIAN) & 0xffff) >>> HINT_SHIFT);
    }

    public static String cutReason(int code) {
        switch (code) {
            case APPENDED: return "appended";
            case CUT_FULL: return "chunk full";
            case CUT_LAYOUT: return "schema, zero threshold or custom bounds changed";
            case CUT_COUNTER_RESET: return "counter reset";
            case CUT_KIND: return "gauge/counter histogram switch";
            default: return "unknown(" + code + ")";
        }
    }
}
