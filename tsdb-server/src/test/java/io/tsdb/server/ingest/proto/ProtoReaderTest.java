package io.tsdb.server.ingest.proto;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fixed-width fields read the same little-endian values from a heap buffer whose array starts before the message (a
 * slice at an array offset, read from a reader index past the start) as from a direct buffer, and a field cut short
 * by the message's end is refused with its byte offset rather than read beyond the limit.
 */
class ProtoReaderTest {
    /** fixed64 field 1 = 0x0102030405060708, then fixed32 field 2 = 0x0a0b0c0d, behind 5 unrelated bytes. */
    static byte[] message() {
        return new byte[]{9, 9, 9, 9, 9,
                0x09, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
                0x15, 0x0d, 0x0c, 0x0b, 0x0a};
    }

    static void readBoth(ByteBuf b) {
        ProtoReader r = new ProtoReader(b);
        assertEquals(1, ProtoReader.field(r.tag()));
        assertEquals(0x0102030405060708L, r.fixed64());
        assertEquals(2, ProtoReader.field(r.tag()));
        assertEquals(0x0a0b0c0d, r.fixed32());
        assertTrue(!r.hasRemaining());
    }

    @Test void fixedFieldsFromAHeapSliceAndADirectBuffer() {
        byte[] m = message();
        byte[] padded = new byte[m.length + 7];
        System.arraycopy(m, 0, padded, 3, m.length);
        ByteBuf slice = Unpooled.wrappedBuffer(padded).slice(3, m.length);   // array offset 3
        slice.readerIndex(5);
        assertTrue(slice.hasArray());
        readBoth(slice);

        ByteBuf direct = Unpooled.directBuffer(m.length).writeBytes(m);
        direct.readerIndex(5);
        try {
            readBoth(direct);
        } finally {
            direct.release();
        }
    }

    @Test void aFixedFieldCutShortIsRefused() {
        byte[] m = message();
        ByteBuf b = Unpooled.wrappedBuffer(m, 0, 12);   // the fixed64 has 5 of its 8 bytes; the array goes on
        b.readerIndex(5);
        ProtoReader r = new ProtoReader(b);
        r.tag();
        ProtoException e = assertThrows(ProtoException.class, r::fixed64);
        assertTrue(e.getMessage().contains("truncated fixed64 at byte 1"), e.getMessage());
    }

    /** getBytes copies a length-delimited payload alike from a heap slice at an array offset, a direct and a composite buffer. */
    @Test void bytesOfALengthDelimitedFieldFromEveryKindOfBuffer() {
        // 3 unrelated bytes, then field 1 (LEN) = "abcdef"
        byte[] m = {7, 7, 7, 0x0a, 6, 'a', 'b', 'c', 'd', 'e', 'f'};
        byte[] padded = new byte[m.length + 5];
        System.arraycopy(m, 0, padded, 2, m.length);
        ByteBuf slice = Unpooled.wrappedBuffer(padded).slice(2, m.length);
        ByteBuf direct = Unpooled.directBuffer(m.length).writeBytes(m);
        ByteBuf composite = Unpooled.wrappedBuffer(Unpooled.wrappedBuffer(m, 0, 7), Unpooled.wrappedBuffer(m, 7, 4));
        try {
            for (ByteBuf b : new ByteBuf[]{slice, direct, composite}) {
                b.readerIndex(3);
                ProtoReader r = new ProtoReader(b);
                assertEquals(1, ProtoReader.field(r.tag()));
                int len = r.lengthDelimited();
                byte[] dst = {1, 1, 1, 1, 1, 1, 1, 1, 1};
                r.getBytes(r.position(), dst, 2, len);
                assertEquals("[1, 1, 97, 98, 99, 100, 101, 102, 1]", java.util.Arrays.toString(dst), b.getClass().getSimpleName());
            }
        } finally {
            direct.release();
            composite.release();
        }
    }
    /** Field 2 = Sample {value = 1 (fixed64), timestamp = 2 (varint)} in the layout senders use. */
    static byte[] sample(double v, long ts) {
        io.tsdb.server.ingest.ProtoWriter w = new io.tsdb.server.ingest.ProtoWriter();
        return w.msg(2, s -> s.dbl(1, v).uint(2, ts)).toByteArray();
    }

    @Test void theUsualSampleLayoutIsReadInOneStep() {
        for (long ts : new long[]{0, 1, 1_796_591_340_437L, -5}) {
            byte[] m = sample(-2.5, ts);
            ProtoReader r = new ProtoReader(Unpooled.wrappedBuffer(m));
            assertTrue(r.canonicalSample(), "ts " + ts);
            assertEquals(-2.5, r.sampleValue());
            assertEquals(ts, r.sampleTimestamp());
            assertTrue(!r.hasRemaining());
        }
    }

    @Test void otherLayoutsAreLeftToTheGeneralPathUnread() {
        byte[][] others = {
                new io.tsdb.server.ingest.ProtoWriter().msg(2, s -> s.uint(2, 7).dbl(1, 1.0)).toByteArray(),          // fields reversed
                new io.tsdb.server.ingest.ProtoWriter().msg(2, s -> s.dbl(1, 1.0).uint(2, 7).uint(3, 5)).toByteArray(), // a start timestamp
                new io.tsdb.server.ingest.ProtoWriter().msg(4, s -> s.dbl(1, 1.0).uint(2, 7)).toByteArray(),          // another field
                new io.tsdb.server.ingest.ProtoWriter().msg(2, s -> s.dbl(1, 1.0)).toByteArray(),                     // no timestamp
        };
        for (byte[] m : others) {
            ProtoReader r = new ProtoReader(Unpooled.wrappedBuffer(m));
            assertTrue(!r.canonicalSample());
            assertEquals(0, r.offset());
        }
        byte[] m = sample(1.0, 1_796_591_340_437L);
        ProtoReader cut = new ProtoReader(Unpooled.wrappedBuffer(m, 0, m.length - 1));   // the timestamp's last byte missing
        assertTrue(!cut.canonicalSample());
        assertEquals(0, cut.offset());
        ByteBuf direct = Unpooled.directBuffer(m.length).writeBytes(m);
        try {
            assertTrue(!new ProtoReader(direct).canonicalSample());   // a direct buffer: the general path
        } finally {
            direct.release();
        }
    }
}
