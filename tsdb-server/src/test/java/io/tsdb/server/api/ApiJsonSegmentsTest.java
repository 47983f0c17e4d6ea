package io.tsdb.server.api;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import io.tsdb.server.http.Response;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** ApiJson.write's pieces: a small answer is one buffer, a large one several pieces that join to the same bytes. */
class ApiJsonSegmentsTest {
    private static ApiJson.DataWriter strings(int n, long seed) {
        return g -> {
            Random r = new Random(seed);
            g.writeStartArray();
            for (int i = 0; i < n; i++) g.writeString("s" + r.nextInt() + "\u00e9\"\n" + "x".repeat(r.nextInt(300)));
            g.writeEndArray();
        };
    }

    private static byte[] plain(ApiJson.DataWriter w) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = ApiJson.FACTORY.createGenerator(out, JsonEncoding.UTF8)) { w.write(g); }
        return out.toByteArray();
    }

    @Test void largeAnswersArePiecesJoiningToTheSameBytes() throws Exception {
        for (int n : new int[]{0, 1, 20, 3_000, 40_000}) {
            ApiJson.DataWriter w = strings(n, n);
            byte[] expected = plain(w);
            Response r = ApiJson.write(200, w);
            assertEquals(expected.length, r.length());
            byte[][] segs = r.segments();
            if (expected.length <= 4096) {
                assertNull(segs, "a small answer is one buffer");
            } else {
                assertNotNull(segs, n + " strings: pieces");
                long room = 0;
                for (byte[] s : segs) {
                    assertTrue(s.length <= 256 << 10, "no piece above 256 KiB");
                    room += s.length;
                }
                assertTrue(room >= expected.length);
                // the pieces as the HTTP layer sends them, then joined on demand
                java.io.ByteArrayOutputStream sent = new java.io.ByteArrayOutputStream();
                int left = r.length();
                for (byte[] s : segs) { int k = Math.min(left, s.length); sent.write(s, 0, k); left -= k; }
                assertArrayEquals(expected, sent.toByteArray());
            }
            assertArrayEquals(expected, r.body());
            assertArrayEquals(expected, java.util.Arrays.copyOf(r.buffer(), r.length()));
        }
    }
}
