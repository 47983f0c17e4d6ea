package io.tsdb.server.api;

import io.airlift.compress.snappy.SnappyCompressor;
import io.airlift.compress.snappy.SnappyDecompressor;
import io.tsdb.core.StaleNaN;
import io.netty.buffer.Unpooled;
import io.tsdb.server.http.Response;
import io.tsdb.server.ingest.proto.ProtoReader;
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
        Proto.Writer q = new Proto.Writer(), m = new Proto.Writer(), req = new Proto.Writer();
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
        return Arrays.copyOf(req.buf, req.len);
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
        Proto.Writer q = new Proto.Writer(), m = new Proto.Writer(), hints = new Proto.Writer(), req = new Proto.Writer();
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
        Response r = read(Arrays.copyOf(req.buf, req.len));
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

    /** A 400 in the JSON error envelope whose message contains {@code what}. */
    private static void assertRefused(Response r, String what) throws Exception {
        assertEquals(400, r.status());
        String msg = ApiFixture.JSON.readTree(r.body()).get("error").asText();
        assertTrue(msg.contains(what), msg);
    }
}
