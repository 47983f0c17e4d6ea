package io.tsdb.server.ingest.proto;

import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The writer's bytes are the wire format (checked by hand for small cases) and read back by {@link ProtoReader}. */
class ProtoWriterTest {
    static byte[] hex(String s) { return HexFormat.of().parseHex(s.replace(" ", "")); }

    @Test void scalarsAsTheWireFormatSpells() {
        ProtoWriter w = new ProtoWriter();
        w.int64(1, 150);              // the protobuf docs' example: 08 96 01
        w.sint64(2, -1);              // zigzag 1
        w.sint64(2, -53);             // zigzag 105 (schema -53)
        w.fixed64(3, 1.0);
        w.fixed64Bits(3, 0x7ff0000000000002L); // a stale-marker-like NaN keeps its bits
        w.string(4, "ab");
        assertArrayEquals(hex("089601 1001 1069 19000000000000f03f 19020000000000f07f 2202 6162"), w.toByteArray());
    }

    @Test void packedRunsAndNestedMessagesReadBack() {
        long[] deltas = {0, -1, 1, 63, -64, 64, -65, 8191, -8192, Long.MAX_VALUE, Long.MIN_VALUE};
        double[] doubles = {0.5, -2, Double.MAX_VALUE};
        ProtoWriter w = new ProtoWriter(), inner = new ProtoWriter(), out = new ProtoWriter();
        w.packedSint64(1, deltas, deltas.length);
        w.packedSint64(2, deltas, 0);          // nothing
        w.packedDoubles(3, doubles, 2);        // the first two only
        w.packedDoubles(4, doubles, 0);        // nothing
        inner.string(1, "x");
        w.message(5, inner);
        out.delimited(w);

        ProtoReader r = new ProtoReader(Unpooled.wrappedBuffer(out.toByteArray()));
        int old = r.pushLimit(r.lengthDelimited());
        int tag = r.tag();
        assertEquals(1, ProtoReader.field(tag));
        int o = r.repeated(tag, ProtoReader.VARINT, "deltas");
        for (long d : deltas) assertEquals(d, r.sint64());
        assertFalse(r.hasRemaining());
        r.popLimit(o);
        tag = r.tag();
        assertEquals(3, ProtoReader.field(tag));
        o = r.repeated(tag, ProtoReader.FIXED64, "doubles");
        assertEquals(0.5, r.doubleValue());
        assertEquals(-2.0, r.doubleValue());
        assertFalse(r.hasRemaining());
        r.popLimit(o);
        tag = r.tag();
        o = r.message(tag, "inner");
        assertEquals(5, ProtoReader.field(tag));
        r.expect(r.tag(), ProtoReader.LEN, "s");
        assertEquals("x", r.string());
        r.popLimit(o);
        assertFalse(r.hasRemaining());
        r.popLimit(old);
        assertFalse(r.hasRemaining());
    }

    @Test void varintSizes() {
        for (long v : new long[]{0, 1, 127, 128, 16383, 16384, Long.MAX_VALUE, -1}) {
            ProtoWriter w = new ProtoWriter();
            w.varint(v);
            assertEquals(w.length(), ProtoWriter.varintSize(v), "varint " + v);
        }
    }
}
