package io.tsdb.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.tsdb.core.StaleNaN;
import io.tsdb.server.http.Response;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExportImportTest {
    final ApiFixture src = new ApiFixture();

    static String body(Response r) { return new String(r.body(), StandardCharsets.UTF_8); }

    @Test void exportImportRoundTrip() throws Exception {
        for (int i = 0; i < 50; i++) {
            src.add(1000L * i + 7, i * 0.5, "__name__", "m", "job", "a", "q", "x\"y\\z");
            src.add(1000L * i + 9, i == 3 ? Double.NaN : i == 4 ? Double.POSITIVE_INFINITY : 1e-9 * i, "__name__", "m", "job", "b");
        }
        src.add(60_000, StaleNaN.VALUE, "__name__", "m", "job", "a", "q", "x\"y\\z");
        src.add(1000, 1, "__name__", "other");
        Response r = src.call(FakeRequest.get("/api/v1/export?match[]=m&start=0&end=100"));
        assertEquals(200, r.status());
        String text = body(r);
        String[] lines = text.split("\n");
        assertEquals(2, lines.length, text);
        JsonNode l0 = ApiFixture.JSON.readTree(lines[0]);
        assertEquals("x\"y\\z", l0.at("/metric/q").asText());
        assertEquals(50, l0.get("values").size()); // the stale marker is not exported
        assertEquals(50, l0.get("timestamps").size());
        assertEquals(7, l0.get("timestamps").get(0).asLong());
        assertTrue(l0.get("values").get(1).isNumber());
        JsonNode l1 = ApiFixture.JSON.readTree(lines[1]);
        assertEquals("NaN", l1.get("values").get(3).asText());
        assertEquals("+Inf", l1.get("values").get(4).asText());

        ApiFixture dst = new ApiFixture();
        List<long[]> events = new ArrayList<>();
        dst.writeEvents.addListener((a, b) -> events.add(new long[]{a, b}));
        Response imp = dst.call(new FakeRequest("POST", "/api/v1/import", r.body(), "application/json"));
        assertEquals(204, imp.status(), body(imp));
        assertEquals(1, events.size());
        assertEquals(7, events.get(0)[0]);
        assertEquals(49_009, events.get(0)[1]);
        Response again = dst.call(FakeRequest.get("/api/v1/export?match[]=m"));
        assertEquals(text, body(again));
    }

    @Test void importRejectsBadLinesButKeepsGoodOnes() throws Exception {
        ApiFixture dst = new ApiFixture();
        String in = "{\"metric\":{\"__name__\":\"ok\"},\"values\":[1,2],\"timestamps\":[1000,2000]}\n"
                + "{\"metric\":{\"__name__\":\"bad\"},\"values\":[1],\"timestamps\":[1000,2000]}\n"
                + "{\"metric\":{\"job\":\"x\"},\"values\":[1],\"timestamps\":[1000]}\n"
                + "{\"metric\":{\"__name__\":\"ok2\"},\"values\":[\"NaN\"],\"timestamps\":[1000]}\n";
        Response r = dst.call(new FakeRequest("POST", "/api/v1/import", in.getBytes(StandardCharsets.UTF_8), null));
        assertEquals(400, r.status());
        JsonNode n = ApiFixture.JSON.readTree(r.body());
        assertEquals("bad_data", n.get("errorType").asText());
        String msg = n.get("error").asText();
        assertTrue(msg.contains("accepted 3 samples"), msg);
        assertTrue(msg.contains("line 2: 1 values but 2 timestamps"), msg);
        assertTrue(msg.contains("line 3: missing \"metric\" with a \"__name__\""), msg);
        JsonNode names = dst.json(FakeRequest.get("/api/v1/label/__name__/values"), 200);
        assertEquals("[\"ok\",\"ok2\"]", names.get("data").toString());

        Response broken = dst.call(new FakeRequest("POST", "/api/v1/import", "{\"metric\":".getBytes(), null));
        assertEquals(400, broken.status());
        assertTrue(body(broken).contains("line 1"), body(broken));
    }

    @Test void exportNeedsMatch() throws Exception {
        JsonNode n = src.json(FakeRequest.get("/api/v1/export"), 400);
        assertEquals("no match[] parameter provided", n.get("error").asText());
    }

    @Test void federateWritesLatestSamplesInTextFormat() throws Exception {
        long now = src.now.get();
        src.add(now - 20_000, 1, "__name__", "up", "job", "a");
        src.add(now - 10_000, 1048576, "__name__", "up", "job", "a");
        src.add(now - 10_000, 0.5, "__name__", "up", "job", "b\"q");
        src.add(now - 10_000, StaleNaN.VALUE, "__name__", "up", "job", "gone");
        src.add(now - 600_000, 3, "__name__", "up", "job", "old");
        src.add(now - 5_000, 7, "__name__", "process_open_fds");
        Response r = src.call(FakeRequest.get("/federate?match[]=up&match[]=process_open_fds"));
        assertEquals(200, r.status());
        assertEquals("text/plain; version=0.0.4; charset=utf-8", r.contentType());
        assertEquals("# TYPE process_open_fds untyped\n"
                + "process_open_fds 7 " + (now - 5000) + "\n"
                + "# TYPE up untyped\n"
                + "up{job=\"a\"} 1.048576e+06 " + (now - 10_000) + "\n"
                + "up{job=\"b\\\"q\"} 0.5 " + (now - 10_000) + "\n", body(r));
        Response bad = src.call(FakeRequest.get("/federate"));
        assertEquals(400, bad.status());
        assertEquals("no match[] parameter provided\n", body(bad));   // plain text: federate is not under /api/
    }
}
