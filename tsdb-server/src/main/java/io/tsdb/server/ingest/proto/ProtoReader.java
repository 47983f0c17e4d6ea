package io.tsdb.server.ingest.proto;

import io.netty.buffer.ByteBuf;
import io.netty.util.internal.PlatformDependent;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A hand-written, zero-copy protobuf wire-format reader over a Netty {@link ByteBuf} using absolute
 * indexes (the buffer's reader index is not touched). Nested messages are read by narrowing the limit:
 * <pre>
 *   int len = r.lengthDelimited();   // checks len against the current limit
 *   int saved = r.pushLimit(len);
 *   while (r.hasRemaining()) { int tag = r.tag(); ... }
 *   r.popLimit(saved);
 * </pre>
 * Every malformation (truncated varint, length beyond the enclosing message, bad wire type, field number 0)
 * throws {@link ProtoException} naming the byte offset. Nothing is allocated while reading numbers.
 */
public final class ProtoReader {
    public static final int VARINT = 0, FIXED64 = 1, LEN = 2, START_GROUP = 3, END_GROUP = 4, FIXED32 = 5;
    /** Little-endian views of a heap array, for fixed-width fields without the ByteBuf's bounds and refCnt checks. */
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private ByteBuf buf;
    /** Fast access without per-byte bounds/refCnt checks: the heap array or the direct memory address. */
    private byte[] arr;
    private int arrOff;
    private long addr;
    private int pos;
    private int limit;
    private int base;
    /** Absolute index of the last tag read, for error messages. */
    private int tagAt;

    public ProtoReader() {}

    public ProtoReader(ByteBuf buf) { reset(buf); }

    /** Reads buf from its readerIndex to its writerIndex. */
    public ProtoReader reset(ByteBuf buf) {
        this.buf = buf;
        if (buf.hasArray()) {
            arr = buf.array();
            arrOff = buf.arrayOffset();
            addr = 0;
        } else {
            arr = null;
            addr = buf.hasMemoryAddress() && PlatformDependent.hasUnsafe() ? buf.memoryAddress() : 0;
        }
        this.base = buf.readerIndex();
        this.pos = tagAt = base;
        this.limit = buf.writerIndex();
        return this;
    }

    /**
     * Drops the references to the buffer last read, so that a reader kept between requests (per thread) does not
     * keep a request's buffer, or the pooled chunk under it, reachable after the request.
     */
    public void clear() {
        buf = null;
        arr = null;
        addr = 0;
        pos = limit = base = tagAt = 0;
    }

    public ByteBuf buffer() { return buf; }
    /** Absolute index of the next byte. */
    public int position() { return pos; }
    /** Offset relative to the start of the message, for error messages. */
    public int offset() { return pos - base; }
    public int limit() { return limit; }
    public boolean hasRemaining() { return pos < limit; }

    public void position(int absolute) {
        if (absolute < base || absolute > limit) throw new IllegalArgumentException("position out of range");
        pos = absolute;
    }

    /** Narrows the limit to the next {@code len} bytes; returns the previous limit for {@link #popLimit}. */
    public int pushLimit(int len) {
        int old = limit;
        limit = pos + len;
        return old;
    }

    /** Restores the limit; the current position must be at the end of the narrowed region. */
    public void popLimit(int oldLimit) {
        pos = limit;
        limit = oldLimit;
    }

    /** Reads a field tag; returns field number << 3 | wire type. */
    public int tag() {
        int at = tagAt = pos;
        long t = varint64();
        int field = (int) (t >>> 3);
        int wt = (int) (t & 7);
        if (field <= 0 || t >>> 32 != 0) throw new ProtoException("invalid field number " + (t >>> 3) + " at byte " + (at - base));
        if (wt == 6 || wt == 7) throw new ProtoException("invalid wire type " + wt + " for field " + field + " at byte " + (at - base));
        return (int) t;
    }

    public static int field(int tag) { return tag >>> 3; }
    public static int wireType(int tag) { return tag & 7; }

    public long varint64() {
        long result = 0;
        int shift = 0;
        int p = pos;
        while (true) {
            if (p >= limit) throw new ProtoException("truncated varint at byte " + (pos - base));
            byte b = at(p++);
            result |= (long) (b & 0x7f) << shift;
            if (b >= 0) break;
            shift += 7;
            if (shift >= 70) throw new ProtoException("malformed varint (more than 10 bytes) at byte " + (pos - base));
        }
        pos = p;
        return result;
    }

    /** The byte at an absolute index already checked against the limit (which never exceeds the writer index). */
    private byte at(int i) {
        if (arr != null) return arr[arrOff + i];
        if (addr != 0) return PlatformDependent.getByte(addr + i);
        return buf.getByte(i);
    }

    public int varint32() { return (int) varint64(); }

    /**
     * Copies {@code length} bytes at an absolute index (checked against the limit by the caller, e.g. a length read
     * by {@link #lengthDelimited}) into {@code dst}: from the heap array or the direct memory, without a call on the
     * ByteBuf. Every remote-write series' label bytes are copied so (its cache key); through ByteBuf.getBytes the
     * call site saw each buffer class a request body came in, and each new one deoptimised the decoder's
     * compiled code (5 recompilations of timeSeriesV1 in the harness's first seconds).
     */
    public void getBytes(int index, byte[] dst, int dstIndex, int length) {
        if (arr != null) System.arraycopy(arr, arrOff + index, dst, dstIndex, length);
        else if (addr != 0 && length >= 0 && dstIndex >= 0 && dstIndex + length <= dst.length) PlatformDependent.copyMemory(addr + index, dst, dstIndex, length);
        else buf.getBytes(index, dst, dstIndex, length);
    }

    public long sint64() { long n = varint64(); return (n >>> 1) ^ -(n & 1); }

    public long fixed64() {
        if (limit - pos < 8) throw new ProtoException("truncated fixed64 at byte " + (pos - base));
        // every sample's value: the heap array directly (checked against the limit above, which never exceeds the
        // writer index), else the buffer
        long v = arr != null ? (long) LONG_LE.get(arr, arrOff + pos) : buf.getLongLE(pos);
        pos += 8;
        return v;
    }

    public int fixed32() {
        if (limit - pos < 4) throw new ProtoException("truncated fixed32 at byte " + (pos - base));
        int v = arr != null ? (int) INT_LE.get(arr, arrOff + pos) : buf.getIntLE(pos);
        pos += 4;
        return v;
    }

    public double doubleValue() { return Double.longBitsToDouble(fixed64()); }

    private long sampleBits, sampleTs;

    /**
     * Reads, at the position, a field 2 holding a remote-write Sample in the encoding every sender uses (tag 0x12, a
     * one-byte length, {@code double value = 1} then {@code int64 timestamp = 2} and nothing else) from a heap buffer:
     * then moves past it and returns true ({@link #sampleValue()}, {@link #sampleTimestamp()}). Otherwise (another
     * field, another layout, a direct buffer, a truncated message) returns false and moves nothing, and the caller
     * reads the field the general way. The per-sample fast path of remote write: one bounds check for the sample,
     * no tag, length and limit bookkeeping per field.
     */
    public boolean canonicalSample() {
        byte[] a = arr;
        int p = pos, lim = limit;
        if (a == null || lim - p < 13) return false;
        int o = arrOff + p;
        int len = a[o + 1];   // a length of 128 or more is a negative byte here: not this layout
        if (a[o] != 0x12 || len < 11 || len > lim - p - 2 || a[o + 2] != 0x09 || a[o + 11] != 0x10) return false;
        int end = o + 2 + len;
        long ts = 0;
        int shift = 0, q = o + 12;
        while (true) {
            if (q >= end || shift >= 70) return false;
            byte b = a[q++];
            ts |= (long) (b & 0x7f) << shift;
            if (b >= 0) break;
            shift += 7;
        }
        if (q != end) return false;
        sampleBits = (long) LONG_LE.get(a, o + 3);
        sampleTs = ts;
        pos = p + 2 + len;
        return true;
    }

    /** The value of the sample {@link #canonicalSample()} read. */
    public double sampleValue() { return Double.longBitsToDouble(sampleBits); }

    /** The timestamp of the sample {@link #canonicalSample()} read. */
    public long sampleTimestamp() { return sampleTs; }

    /** Reads a length prefix and checks it fits in the enclosing message; position is then at the payload. */
    public int lengthDelimited() {
        int at = pos;
        long len = varint64();
        if (len < 0 || len > limit - pos) {
            throw new ProtoException("length " + len + " at byte " + (at - base) + " exceeds the " + (limit - pos)
                    + " bytes remaining in the enclosing message");
        }
        return (int) len;
    }

    /**
     * Opens one occurrence of a repeated scalar field, packed (one length-delimited run of elements) or not (one
     * element of {@code elementWireType}, which the tag is checked against): narrows the limit to its elements and
     * returns the previous limit for {@link #popLimit}. The caller reads elements while {@link #hasRemaining}:
     * <pre>
     *   int old = r.repeated(tag, ProtoReader.FIXED64, "bucket_counts");
     *   while (r.hasRemaining()) add(r.doubleValue());
     *   r.popLimit(old);
     * </pre>
     * A packed run of fixed-size elements must be a whole number of them.
     */
    public int repeated(int tag, int elementWireType, String what) {
        int len;
        if ((tag & 7) == LEN) {
            len = lengthDelimited();
            int size = elementWireType == FIXED64 ? 8 : elementWireType == FIXED32 ? 4 : 1;
            if (len % size != 0) {
                throw new ProtoException("packed " + what + " of " + len + " bytes is not a multiple of " + size + " at byte " + (pos - base));
            }
        } else {
            expect(tag, elementWireType, what);
            switch (elementWireType) {
                case FIXED64 -> { if (limit - pos < 8) throw new ProtoException("truncated fixed64 at byte " + (pos - base)); len = 8; }
                case FIXED32 -> { if (limit - pos < 4) throw new ProtoException("truncated fixed32 at byte " + (pos - base)); len = 4; }
                default -> { int at = pos; varint64(); len = pos - at; pos = at; }
            }
        }
        return pushLimit(len);
    }

    /**
     * Skips to the next occurrence of field number {@code field} before the limit and returns its tag, or 0 when there
     * is none: {@code for (int tag; (tag = r.next(4)) != 0; ) { ... }} reads every occurrence of a field.
     */
    public int next(int field) {
        while (pos < limit) {
            int tag = tag();
            if (tag >>> 3 == field) return tag;
            skip(tag);
        }
        return 0;
    }

    /** Opens a nested message field (checked to be length-delimited): returns the previous limit for {@link #popLimit}. */
    public int message(int tag, String what) {
        expect(tag, LEN, what);
        return pushLimit(lengthDelimited());
    }

    /** Reads a length-delimited UTF-8 string (allocates; use only off the per-sample path). */
    public String string() {
        int len = lengthDelimited();
        String s = buf.toString(pos, len, StandardCharsets.UTF_8);
        pos += len;
        return s;
    }

    /** Skips a field's payload of the given wire type. */
    public void skip(int tag) {
        switch (tag & 7) {
            case VARINT -> varint64();
            case FIXED64 -> { if (limit - pos < 8) throw new ProtoException("truncated fixed64 at byte " + (pos - base)); pos += 8; }
            case LEN -> { int len = lengthDelimited(); pos += len; }
            case FIXED32 -> { if (limit - pos < 4) throw new ProtoException("truncated fixed32 at byte " + (pos - base)); pos += 4; }
            case START_GROUP, END_GROUP -> throw new ProtoException("groups are not supported (field " + (tag >>> 3) + " at byte " + (pos - base) + ")");
            default -> throw new ProtoException("invalid wire type " + (tag & 7) + " at byte " + (pos - base));
        }
    }

    /**
     * Throws unless the tag just read has the expected wire type; the message names the field, both wire types and
     * the byte offset of the tag: "field 1 (queries) has wire type 0 (varint), expected 2 (length-delimited), at byte 0".
     */
    public void expect(int tag, int wireType, String what) {
        if ((tag & 7) != wireType) {
            throw new ProtoException("field " + (tag >>> 3) + " (" + what + ") has wire type " + wireTypeName(tag & 7)
                    + ", expected " + wireTypeName(wireType) + ", at byte " + (tagAt - base));
        }
    }

    /** "0 (varint)", "2 (length-delimited)", ... for error messages. */
    static String wireTypeName(int wt) {
        return wt + switch (wt) {
            case VARINT -> " (varint)";
            case FIXED64 -> " (fixed64)";
            case LEN -> " (length-delimited)";
            case START_GROUP -> " (start group)";
            case END_GROUP -> " (end group)";
            case FIXED32 -> " (fixed32)";
            default -> "";
        };
    }
}
