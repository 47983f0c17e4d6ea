package io.tsdb.server.ingest;

import io.netty.buffer.ByteBuf;

/**
 * A request body after Content-Encoding decoding: either the server's own buffer (identity encoding,
 * zero-copy) or a buffer this decoder allocated. Closing releases the buffer it owns and the memory budget.
 */
public final class DecodedBody implements AutoCloseable {
    private final ByteBuf buf;
    private final boolean owned;
    private final IngestLimiter limiter;
    private final long reserved;
    private final long wireBytes;
    private final String encoding;
    /** The array of {@link #buf} when it is one of {@link BodyBuffers}' (given back at close), else null. */
    private final byte[] spare;

    DecodedBody(ByteBuf buf, boolean owned, IngestLimiter limiter, long reserved, long wireBytes, String encoding) {
        this(buf, owned, limiter, reserved, wireBytes, encoding, null);
    }

    DecodedBody(ByteBuf buf, boolean owned, IngestLimiter limiter, long reserved, long wireBytes, String encoding, byte[] spare) {
        this.spare = spare;
        this.buf = buf;
        this.owned = owned;
        this.limiter = limiter;
        this.reserved = reserved;
        this.wireBytes = wireBytes;
        this.encoding = encoding;
    }

    /** The decoded bytes from readerIndex to writerIndex. */
    public ByteBuf buf() { return buf; }
    public long wireBytes() { return wireBytes; }
    public long decodedBytes() { return buf.readableBytes(); }
    /** The effective encoding ("identity", "gzip", "deflate", "snappy", "zstd"). */
    public String encoding() { return encoding; }

    @Override public void close() {
        if (owned) buf.release();
        if (spare != null) BodyBuffers.give(spare);
        if (limiter != null) limiter.release(reserved);
    }
}
