package io.tsdb.server.ingest;

import java.util.function.Consumer;

/** A fluent face on the server's one protobuf writer ({@link io.tsdb.server.ingest.proto.ProtoWriter}) for building test messages. */
public final class ProtoWriter {
    private final io.tsdb.server.ingest.proto.ProtoWriter w = new io.tsdb.server.ingest.proto.ProtoWriter();

    public ProtoWriter varint(long v) { w.varint(v); return this; }
    public ProtoWriter tag(int field, int wt) { w.tag(field, wt); return this; }
    public ProtoWriter uint(int field, long v) { w.int64(field, v); return this; }
    public ProtoWriter fixed64(int field, long v) { w.fixed64Bits(field, v); return this; }
    /** A zigzag-encoded sint32/sint64 field. */
    public ProtoWriter sint(int field, long v) { w.sint64(field, v); return this; }
    public ProtoWriter dbl(int field, double v) { w.fixed64Bits(field, Double.doubleToRawLongBits(v)); return this; }
    public ProtoWriter bytes(int field, byte[] b) { w.bytes(field, b, 0, b.length); return this; }
    public ProtoWriter string(int field, String s) { w.string(field, s); return this; }
    public ProtoWriter msg(int field, Consumer<ProtoWriter> body) {
        ProtoWriter m = new ProtoWriter();
        body.accept(m);
        w.message(field, m.w);
        return this;
    }
    public ProtoWriter raw(byte[] b) { w.rawBytes(b, b.length); return this; }
    public byte[] toByteArray() { return w.toByteArray(); }
}
