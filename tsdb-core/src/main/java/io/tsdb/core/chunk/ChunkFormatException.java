package io.tsdb.core.chunk;

/** A chunk's bytes do not follow docs/format/chunks.md (corrupt, truncated or unknown encoding). */
public class ChunkFormatException extends RuntimeException {
    public ChunkFormatException(String message) { super(message); }
}
