package io.tsdb.server.ingest.proto;

/** Malformed protobuf input: the message names the byte offset and what was wrong. */
public final class ProtoException extends RuntimeException {
    public ProtoException(String message) { super(message, null, false, false); }
}
