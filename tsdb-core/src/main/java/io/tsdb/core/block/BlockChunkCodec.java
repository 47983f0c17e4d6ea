package io.tsdb.core.block;

import java.nio.ByteBuffer;

/**
 * The small seam between the block files and a chunk compression codec. A block stores each chunk as
 * {@code encoding id + opaque bytes}; the codec registered under that id turns them back into columns.
 * Implementations must be stateless (or thread-confined per call) and must not allocate per sample.
 */
public interface BlockChunkCodec {

    /** Encoding id stored in the chunks file (1..255); never reuse an id for a different format. */
    int id();

    /** Human readable name for docs and errors. */
    String name();

    /**
     * Appends the encoding of samples {@code [off, off+n)} (timestamps strictly ascending) to {@code out}.
     * {@code n >= 1}.
     */
    void encode(long[] ts, double[] vs, int off, int n, ByteOut out);

    /**
     * Decodes a chunk occupying {@code [pos, pos+len)} of {@code src} into {@code ts}/{@code vs} starting at
     * index 0 and returns the sample count. The arrays are at least {@code expectedCount} long, where
     * {@code expectedCount} comes from the index; a codec must throw {@link IllegalStateException} (not
     * write out of bounds) if the data claims more samples than that.
     */
    int decode(ByteBuffer src, int pos, int len, int expectedCount, long[] ts, double[] vs);
}
