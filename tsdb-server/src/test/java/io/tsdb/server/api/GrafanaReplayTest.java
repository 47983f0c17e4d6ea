package io.tsdb.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Replays the calls Grafana's Prometheus data source makes and checks the response shapes and contents. */
class GrafanaReplayTest {
    ApiFixture f;
    static final long T0 = 1_700_000_000_000L - 3_600_000L; // an hour before the fixture's now

    @BeforeEach void data() {
        f = new ApiFixture();
        for (int i = 0; i < 240; i++) {
            long t = T0 + i * 15_000L + 123;
            f.add(t, i, "__name__", "http_requests_total", "job", "api", "instance", "a:9100", "code", "200");
            f.add(t, 2 * i, "__name__", "http_requests_total", "job", "api", "instance", "b:9100", "code", "500");
            f.add(t, 1, "__name__", "up", "job", "api", "instance", "a:9100");
            f.add(t, 0.5, "__name__", "up", "job", "node", "instance", "n:9100");
        }
        f.metadata.put("http_requests_total", "counter", "Requests served.", "");
        f.metadata.put("up", "gauge", "Whether the target is up.", "");
    }

    static void assertSuccess(JsonNode n) {
        assertEquals("success", n.get("status").asText());
        assertFalse(n.has("error"), n.toString());
        assertFalse(n.has("errorType"), n.toString());
        assertFalse(n.has("warnings"), n.toString());
    }

    static List<String> texts(JsonNode arr) {
        List<String> out = new ArrayList<>();
        arr.forEach(x -> out.add(x.asText()));
        return out;
    }

    @Test void saveAndTest() throws Exception {
        JsonNode n = f.json(FakeRequest.post("/api/v1/query", "query=1%2B1&time=4"), 200);
        assertSuccess(n);
        assertEquals("scalar", n.at("/data/resultType").asText());
        JsonNode res = n.at("/data/result");
        assertTrue(res.isArray());
        assertTrue(res.get(0).isNumber(), "timestamp must be a JSON number");
        assertEquals(4.0, res.get(0).asDouble());
        assertTrue(res.get(1).isTextual(), "value must be a string");
        assertEquals("2", res.get(1).asText());
        assertEquals("{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[4,\"2\"]}}",
                new String(f.call(FakeRequest.post("/api/v1/query", "query=1%2B1&time=4")).body()));
    }

    @Test void buildInfo() throws Exception {
        JsonNode n = f.json(FakeRequest.get("/api/v1/status/buildinfo"), 200);
        assertSuccess(n);
        assertTrue(n.at("/data/version").asText().matches("\\d+\\.\\d+\\.\\d+.*"));
        for (String k : List.of("revision", "branch", "buildUser", "buildDate", "goVersion")) assertTrue(n.get("data").has(k), k);
    }

    @Test void metricNames() throws Exception {
        String q = "/api/v1/label/__name__/values?start=" + (T0 / 1000) + "&end=" + (T0 / 1000 + 3600);
        JsonNode n = f.json(FakeRequest.get(q), 200);
        assertSuccess(n);
        assertEquals(List.of("http_requests_total", "up"), texts(n.get("data")));
    }

    @Test void metadata() throws Exception {
        JsonNode n = f.json(FakeRequest.get("/api/v1/metadata"), 200);
        assertSuccess(n);
        assertEquals("counter", n.at("/data/http_requests_total/0/type").asText());
        assertEquals("Requests served.", n.at("/data/http_requests_total/0/help").asText());
        assertEquals("", n.at("/data/http_requests_total/0/unit").asText());
        assertEquals("gauge", n.at("/data/up/0/type").asText());
        JsonNode one = f.json(FakeRequest.get("/api/v1/metadata?metric=up"), 200);
        assertEquals(List.of("up"), fieldNames(one.get("data")));
        JsonNode lim = f.json(FakeRequest.get("/api/v1/metadata?limit=1"), 200);
        assertEquals(List.of("http_requests_total"), fieldNames(lim.get("data")));
    }

    static List<String> fieldNames(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }

    @Test void labelsAndValuesWithMatch() throws Exception {
        String range = "&start=" + (T0 / 1000) + "&end=" + (T0 / 1000 + 3600);
        JsonNode all = f.json(FakeRequest.get("/api/v1/labels?" + range.substring(1)), 200);
        assertSuccess(all);
        assertEquals(List.of("__name__", "code", "instance", "job"), texts(all.get("data")));
        JsonNode up = f.json(FakeRequest.post("/api/v1/labels", "match%5B%5D=up" + range), 200);
        assertEquals(List.of("__name__", "instance", "job"), texts(up.get("data")));
        JsonNode jobs = f.json(FakeRequest.get("/api/v1/label/job/values?match[]=" + enc("up{instance=\"n:9100\"}") + range), 200);
        assertEquals(List.of("node"), texts(jobs.get("data")));
        JsonNode codes = f.json(FakeRequest.get("/api/v1/label/code/values?match[]=http_requests_total"), 200);
        assertEquals(List.of("200", "500"), texts(codes.get("data")));
        JsonNode limited = f.json(FakeRequest.get("/api/v1/label/code/values?limit=1"), 200);
        assertEquals(List.of("200"), texts(limited.get("data")));
        assertEquals(List.of(QueryApi.TRUNCATED), texts(limited.get("warnings")));
    }

    static String enc(String s) { return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8); }

    @Test void series() throws Exception {
        JsonNode n = f.json(FakeRequest.get("/api/v1/series?match[]=" + enc("http_requests_total{code=~\"5..\"}")
                + "&match[]=" + enc("up{job=\"node\"}") + "&start=" + (T0 / 1000) + "&end=" + (T0 / 1000 + 3600)), 200);
        assertSuccess(n);
        assertEquals(2, n.get("data").size());
        assertEquals("{\"__name__\":\"http_requests_total\",\"code\":\"500\",\"instance\":\"b:9100\",\"job\":\"api\"}",
                n.get("data").get(0).toString());
        assertEquals("{\"__name__\":\"up\",\"instance\":\"n:9100\",\"job\":\"node\"}", n.get("data").get(1).toString());
        JsonNode none = f.json(FakeRequest.get("/api/v1/series?match[]=up&start=1&end=2"), 200);
        assertEquals(0, none.get("data").size());
        assertTrue(none.get("data").isArray());
    }

    @Test void queryRangeWithFloatStep() throws Exception {
        long s = T0 / 1000 + 600;
        JsonNode n = f.json(FakeRequest.post("/api/v1/query_range",
                "query=" + enc("up") + "&start=" + s + "&end=" + (s + 60) + "&step=15.5"), 200);
        assertSuccess(n);
        assertEquals("matrix", n.at("/data/resultType").asText());
        JsonNode res = n.at("/data/result");
        assertEquals(2, res.size());
        assertEquals("api", res.get(0).at("/metric/job").asText());
        JsonNode values = res.get(0).get("values");
        assertEquals(4, values.size()); // s, s+15.5, s+31, s+46.5
        assertEquals((double) s, values.get(0).get(0).asDouble());
        assertEquals(s + 15.5, values.get(1).get(0).asDouble());
        assertEquals("1", values.get(1).get(1).asText());
        assertEquals("0.5", res.get(1).get("values").get(3).get(1).asText());
    }

    @Test void instantVectorShape() throws Exception {
        long t = T0 + 3_000_000;
        JsonNode n = f.json(FakeRequest.get("/api/v1/query?query=http_requests_total&time=" + GoFloat.timestamp(t + 500)), 200);
        assertSuccess(n);
        assertEquals("vector", n.at("/data/resultType").asText());
        JsonNode r0 = n.at("/data/result/0");
        assertEquals("http_requests_total", r0.at("/metric/__name__").asText());
        assertEquals((t + 500) / 1000.0, r0.at("/value/0").asDouble());
        assertTrue(r0.at("/value/1").isTextual());
        JsonNode lim = f.json(FakeRequest.get("/api/v1/query?query=http_requests_total&limit=1&time=" + (t / 1000)), 200);
        assertEquals(1, lim.at("/data/result").size());
        assertEquals(List.of(QueryApi.TRUNCATED), texts(lim.get("warnings")));
        JsonNode st = f.json(FakeRequest.get("/api/v1/query?query=up&stats=all&time=" + (t / 1000)), 200);
        assertTrue(st.at("/data/stats/timings/execTotalTime").isNumber());
        assertEquals(2, st.at("/data/stats/samples/totalQueryableSamples").asLong());
    }

    @Test void rulesAlertsTargetsExemplars() throws Exception {
        JsonNode rules = f.json(FakeRequest.get("/api/v1/rules"), 200);
        assertSuccess(rules);
        assertTrue(rules.at("/data/groups").isArray());
        assertTrue(f.json(FakeRequest.get("/api/v1/alerts"), 200).at("/data/alerts").isArray());
        JsonNode targets = f.json(FakeRequest.get("/api/v1/targets"), 200);
        assertTrue(targets.at("/data/activeTargets").isArray());
        assertTrue(targets.at("/data/droppedTargets").isArray());
        JsonNode ex = f.json(FakeRequest.get("/api/v1/query_exemplars?query=up&start=1&end=2"), 200);
        assertTrue(ex.get("data").isArray());
    }
}
