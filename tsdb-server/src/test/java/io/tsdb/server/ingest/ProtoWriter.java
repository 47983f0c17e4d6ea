package io.tsdb.server.ingest;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/** Minimal protobuf writer for building test messages. */
public final class ProtoWriter {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    public ProtoWriter varint(long v) {
        while ((v & ~0x7FL) != 0) { out.write((int) ((v & 0x7F) | 0x80)); v >>>= 7; }
        out.write((int) v);
        return this;
    }

    public ProtoWriter tag(int field, int wt) { return varint((long) field << 3 | wt); }
    public ProtoWriter uint(int field, long v) { return tag(field, 0).varint(v); }
    public ProtoWriter fixed64(int field, long v) {
        tag(field, 1);
        for (int i = 0; i < 8; i++) out.write((int) (v >>> (8 * i)));
        return this;
    }
    /** A zigzag-encoded sint32/sint64 field. */
    public ProtoWriter sint(int field, long v) { return uint(field, (v << 1) ^ (v >> 63)); }
    public ProtoWriter dbl(int field, double v) { return fixed64(field, Double.doubleToRawLongBits(v)); }
    public ProtoWriter bytes(int field, byte[] b) { tag(field, 2).varint(b.length); out.writeBytes(b); return this; }
    public ProtoWriter string(int field, String s) { return bytes(field, s.getBytes(StandardCharsets.UTF_8)); }
    public ProtoWriter msg(int field, Consumer<ProtoWriter> body) {
        ProtoWriter w = new ProtoWriter();
        body.accept(w);
        return bytes(field, w.toByteArray());
    }
    public ProtoWriter raw(byte[] b) { out.writeBytes(b); return this; }
    public byte[] toByteArray() { return out.toByteArray(); }
}
