package io.tsdb.server.api;

import io.airlift.compress.snappy.SnappyCompressor;
import io.airlift.compress.snappy.SnappyDecompressor;
import io.tsdb.core.StaleNaN;
import io.netty.buffer.Unpooled;
import io.tsdb.server.http.Response;
import io.tsdb.server.ingest.proto.ProtoReader;
import io.tsdb.server.ingest.proto.ProtoWriter;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RemoteReadTest {
    final ApiFixture f = new ApiFixture();

    static byte[] snappy(byte[] raw) {
        SnappyCompressor c = new SnappyCompressor();
        byte[] out = new byte[c.maxCompressedLength(raw.length)];
        return Arrays.copyOf(out, c.compress(raw, 0, raw.length, out, 0, out.length));
    }

    static byte[] unsnappy(byte[] in) {
        byte[] out = new byte[SnappyDecompressor.getUncompressedLength(in, 0)];
        new SnappyDecompressor().decompress(in, 0, in.length, out, 0, out.length);
        return out;
    }

    /** ReadRequest{queries: [Query{start, end, matchers: [type name value]...}], accepted_response_types} */
    static byte[] request(long start, long end, Object[][] matchers, int... accepted) {
        ProtoWriter q = new ProtoWriter(), m = new ProtoWriter(), req = new ProtoWriter();
        q.int64(1, start);
        q.int64(2, end);
        for (Object[] mm : matchers) {
            m.reset();
            if ((int) mm[0] != 0) m.int64(1, (int) mm[0]);
            m.string(2, (String) mm[1]);
            m.string(3, (String) mm[2]);
            q.message(3, m);
        }
        req.message(1, q);
        for (int a : accepted) req.int64(2, a);
        return req.toByteArray();
    }

    Response read(byte[] raw) throws Exception {
        return f.call(new FakeRequest("POST", "/api/v1/read", snappy(raw), "application/x-protobuf"));
    }

    @Test void exactWireFormatOfASmallAnswer() throws Exception {
        f.add(5, 1.0, "__name__", "a");
        f.add(5, 2.0, "__name__", "b");
        Response r = read(request(0, 10, new Object[][]{{0, "__name__", "a"}}));
        assertEquals(200, r.status());
        assertEquals("application/x-protobuf", r.contentType());
        assertEquals("snappy", r.headers().get("Content-Encoding"));
        byte[] expected = HexFormat.of().parseHex(
                "0a1e" + "0a1c" + "0a0d" + "0a08" + hex("__name__") + "1201" + hex("a")
                        + "120b" + "09000000000000f03f" + "1005");
        assertArrayEquals(expected, unsnappy(r.body()));
    }

    static String hex(String s) { return HexFormat.of().formatHex(s.getBytes()); }

    @Test void matchersTimeRangeAndStaleMarkers() throws Exception {
        for (int i = 0; i < 10; i++) {
            f.add(1000L * i, i, "__name__", "m", "job", "x");
            f.add(1000L * i, -i, "__name__", "m", "job", "y");
        }
        f.add(10_000, StaleNaN.VALUE, "__name__", "m", "job", "x");
        byte[] resp = unsnappy(read(request(3000, 10_000, new Object[][]{{0, "__name__", "m"}, {2, "job", "x|z"}}, 0)).body());
        ProtoReader r = new ProtoReader(Unpooled.wrappedBuffer(resp));
        assertEquals((1 << 3) | 2, r.tag());
        int o1 = r.pushLimit(r.lengthDelimited());
        int series = 0, samples = 0;
        long lastTs = -1;
        double lastV = 0;
        while (r.hasRemaining()) {
            assertEquals((1 << 3) | 2, r.tag());
            int o2 = r.pushLimit(r.lengthDelimited());
            series++;
            while (r.hasRemaining()) {
                int tag = r.tag();
                int o3 = r.pushLimit(r.lengthDelimited());
                if (ProtoReader.field(tag) == 2) {
                    r.tag();
                    lastV = r.doubleValue();
                    r.tag();
                    lastTs = r.varint64();
                    samples++;
                }
                r.popLimit(o3);
            }
            r.popLimit(o2);
        }
        r.popLimit(o1);
        assertTrue(!r.hasRemaining());
        assertEquals(1, series);
        assertEquals(8, samples); // 3000..9000 and the stale marker at 10000
        assertEquals(10_000, lastTs);
        assertTrue(StaleNaN.is(lastV));
    }

    @Test void unknownFieldsSuchAsReadHintsAreSkipped() throws Exception {
        f.add(5, 1.0, "__name__", "a");
        ProtoWriter q = new ProtoWriter(), m = new ProtoWriter(), hints = new ProtoWriter(), req = new ProtoWriter();
        q.int64(1, 0);
        q.int64(2, 10);
        m.string(2, "__name__");
        m.string(3, "a");
        q.message(3, m);
        hints.int64(1, 15_000);
        hints.string(2, "rate");
        hints.int64(3, 0);
        hints.int64(4, 10);
        q.message(4, hints); // ReadHints, as Prometheus sends them
        req.message(1, q);
        Response r = read(req.toByteArray());
        assertEquals(200, r.status());
        assertTrue(unsnappy(r.body()).length > 20);
    }

    @Test void malformedRequestsAre4xx() throws Exception {
        assertEquals(400, f.call(new FakeRequest("POST", "/api/v1/read", new byte[]{1, 2, 3}, null)).status());
        assertRefused(read(new byte[]{0x0a, 0x7f, 0x01}), "malformed ReadRequest");
        assertRefused(read(request(0, 1, new Object[][]{{0, "job", ""}})), "at least one matcher");
        assertRefused(read(request(0, 1, new Object[][]{{2, "job", "("}})), "invalid regular expression");
        assertRefused(read(request(0, 1, new Object[][]{{0, "__name__", "a"}}, 1)), "SAMPLES only");
        assertEquals(400, f.call(new FakeRequest("POST", "/api/v1/read", new byte[0], null)).status());
    }

    static byte[] hexBytes(String hex) { return HexFormat.of().parseHex(hex.replace(" ", "")); }

    /** Truncated numbers, wrong wire types and lengths past the end: a 400 naming what, where (byte offset) and why. */
    @Test void malformedProtobufIsA400NamingTheFieldAndOffset() throws Exception {
        String p = "remote read: malformed ReadRequest protobuf: ";
        // Query{start_timestamp_ms: <varint whose continuation bit runs past the query's 2 bytes>}
        assertRefused(read(hexBytes("0a02 08 80")), p + "truncated varint at byte 3");
        // a tag cut short at the end of the request
        assertRefused(read(hexBytes("8a")), p + "truncated varint at byte 0");
        // queries as a varint instead of a message
        assertRefused(read(hexBytes("08 01")),
                p + "field 1 (ReadRequest.queries[0]) has wire type 0 (varint), expected 2 (length-delimited), at byte 0");
        // start_timestamp_ms as fixed64 inside the first query
        assertRefused(read(hexBytes("0a09 09 0000000000000000")),
                p + "field 1 (queries[0].start_timestamp_ms) has wire type 1 (fixed64), expected 0 (varint), at byte 2");
        // the second query's second matcher has its name as a varint
        byte[] ok = request(0, 10, new Object[][]{{0, "__name__", "a"}});
        byte[] badMatcher = concat(ok, hexBytes("0a09 1a03 120178 1a02 1001"));
        assertRefused(read(badMatcher), p + "field 2 (queries[1].matchers[1].name) has wire type 0 (varint), expected 2 (length-delimited), at byte "
                + (ok.length + 9));
        // accepted_response_types as fixed32
        assertRefused(read(concat(ok, hexBytes("15 00000000"))),
                p + "field 2 (ReadRequest.accepted_response_types) has wire type 5 (fixed32), expected 0 (varint), at byte " + ok.length);
        // a length past the end of the request, and past the end of the enclosing query
        assertRefused(read(hexBytes("0a7f01")), p + "length 127 at byte 1 exceeds the 1 bytes remaining in the enclosing message");
        assertRefused(read(hexBytes("0a03 1a05 12")), p + "length 5 at byte 3 exceeds the 1 bytes remaining in the enclosing message");
        // groups (wire types 3 and 4) and the invalid wire types 6 and 7
        assertRefused(read(hexBytes("4b")), p + "groups are not supported (field 9 at byte 1)");
        assertRefused(read(hexBytes("0e")), p + "invalid wire type 6 for field 1 at byte 0");
        // field number 0
        assertRefused(read(hexBytes("0000")), p + "invalid field number 0 at byte 0");
        // a matcher type outside the enum
        assertRefused(read(request(0, 10, new Object[][]{{9, "__name__", "a"}})), "remote read: query 0: unknown matcher type 9");
    }

    /** Unknown fields of every wire type, at every level, are skipped: the answer is the same as without them. */
    @Test void unknownFieldsOfEveryWireTypeAreSkipped() throws Exception {
        f.add(5, 1.0, "__name__", "a");
        String unknown = "7801" + "7900000000000000f0" + "7a03616263" + "7d00000000"; // field 15: varint, fixed64, len, fixed32
        byte[] plain = request(0, 10, new Object[][]{{0, "__name__", "a"}});
        ProtoWriter m = new ProtoWriter(), q = new ProtoWriter(), req = new ProtoWriter();
        m.rawBytes(hexBytes(unknown), unknown.length() / 2);
        m.string(2, "__name__");
        m.string(3, "a");
        q.rawBytes(hexBytes(unknown), unknown.length() / 2);
        q.int64(1, 0);
        q.int64(2, 10);
        q.message(3, m);
        req.rawBytes(hexBytes(unknown), unknown.length() / 2);
        req.message(1, q);
        req.rawBytes(hexBytes(unknown), unknown.length() / 2);
        Response expected = read(plain), got = read(req.toByteArray());
        assertEquals(200, got.status());
        assertArrayEquals(unsnappy(expected.body()), unsnappy(got.body()));
        assertTrue(unsnappy(got.body()).length > 20);
    }

    /** accepted_response_types packed (as Prometheus sends a repeated enum) or not; SAMPLES (0) must be among them. */
    @Test void acceptedResponseTypesPackedOrNot() throws Exception {
        f.add(5, 1.0, "__name__", "a");
        byte[] ok = request(0, 10, new Object[][]{{0, "__name__", "a"}});
        assertEquals(200, read(concat(ok, hexBytes("1202 0100"))).status());   // packed [STREAMED_XOR_CHUNKS, SAMPLES]
        assertEquals(200, read(concat(ok, hexBytes("1001 1000"))).status());   // unpacked, the same
        assertRefused(read(concat(ok, hexBytes("1201 01"))), "SAMPLES only");
        assertRefused(read(concat(ok, hexBytes("1202 0180"))), "truncated varint at byte " + (ok.length + 3));
    }

    /** Every prefix of a valid request, and every byte of it replaced by a few values, is answered 200 or 400: never a 500 or a hang. */
    @Test void everyTruncationAndByteCorruptionIsAnsweredWith200Or400() throws Exception {
        f.add(5, 1.0, "__name__", "a");
        byte[] ok = concat(request(0, 10, new Object[][]{{0, "__name__", "a"}, {2, "job", "x|y"}}, 0), hexBytes("1201 00"));
        for (int n = 0; n < ok.length; n++) {
            Response r = read(Arrays.copyOf(ok, n));
            assertTrue(r.status() == 200 || r.status() == 400, "prefix of " + n + " bytes: " + r.status());
        }
        int[] values = {0x00, 0x01, 0x02, 0x05, 0x07, 0x0b, 0x7f, 0x80, 0xff};
        for (int i = 0; i < ok.length; i++) {
            for (int v : values) {
                byte[] bad = ok.clone();
                bad[i] = (byte) v;
                Response r = read(bad);
                assertTrue(r.status() == 200 || r.status() == 400, "byte " + i + " set to " + v + ": " + r.status()
                        + " " + new String(r.body(), java.nio.charset.StandardCharsets.UTF_8));
            }
        }
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** A 400 in the JSON error envelope whose message contains {@code what}. */
    private static void assertRefused(Response r, String what) throws Exception {
        assertEquals(400, r.status());
        String msg = ApiFixture.JSON.readTree(r.body()).get("error").asText();
        assertTrue(msg.contains(what), msg);
    }
}
