package io.tsdb.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.tsdb.core.Labels;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.query.engine.PromqlEngine;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** query and query_range answer native histograms in Prometheus's JSON shapes, also through the range cache. */
class HistogramApiTest {
    final ApiFixture f = new ApiFixture(PromqlEngine::new);
    final long now = f.now.get();

    /** Schema 0: zero bucket [-0.001, 0.001] = z, positive (0.5,1] = a and (1,2] = b, negative [-1,-0.5) = 1. */
    static FloatHistogram histogram(double z, double a, double b) {
        FloatHistogram h = new FloatHistogram();
        h.schema = 0;
        h.zeroThreshold = 0.001;
        h.zeroCount = z;
        h.count = z + a + b + 1;
        h.sum = 11.5;
        h.positiveSpans.add(0, 2);
        h.addPositive(a);
        h.addPositive(b);
        h.negativeSpans.add(0, 1);
        h.addNegative(1);
        return h;
    }

    String query(String q, long t) throws Exception {
        JsonNode n = f.json(FakeRequest.get("/api/v1/query?query=" + GrafanaReplayTest.enc(q) + "&time=" + GoFloat.timestamp(t)), 200);
        return n.get("data").get("result").toString();
    }

    String range(String q, long start, long end, long step, boolean nocache) throws Exception {
        JsonNode n = f.json(FakeRequest.get("/api/v1/query_range?query=" + GrafanaReplayTest.enc(q) + "&start=" + GoFloat.timestamp(start)
                + "&end=" + GoFloat.timestamp(end) + "&step=" + GoFloat.timestamp(step) + (nocache ? "&nocache=1" : "")), 200);
        assertEquals("matrix", n.get("data").get("resultType").asText());
        return n.get("data").get("result").toString();
    }

    @Test void instantVectorHasHistogramWithBucketsInPrometheusOrderAndRules() throws Exception {
        long t = now - 60_000;
        f.storage.addHistogram(Labels.of("__name__", "lat", "job", "a"), t, histogram(1, 2, 0.5));
        f.add(t, 3, "__name__", "plain");
        String sec = GoFloat.timestamp(t);
        assertEquals("[{\"metric\":{\"__name__\":\"lat\",\"job\":\"a\"},\"histogram\":[" + sec + ",{\"count\":\"4.5\",\"sum\":\"11.5\",\"buckets\":["
                + "[1,\"-1\",\"-0.5\",\"1\"],[3,\"-0.001\",\"0.001\",\"1\"],[0,\"0.5\",\"1\",\"2\"],[0,\"1\",\"2\",\"0.5\"]]}]}]",
                query("lat", t));
        // a float sample next to it keeps "value"
        assertEquals("[{\"metric\":{\"__name__\":\"plain\"},\"value\":[" + sec + ",\"3\"]}]", query("plain", t));
        // empty buckets are left out, and with none populated there is no "buckets" field at all
        FloatHistogram empty = new FloatHistogram();
        empty.schema = 3;
        empty.positiveSpans.add(5, 1);
        empty.addPositive(0);
        f.storage.addHistogram(Labels.of("__name__", "idle"), t, empty);
        assertEquals("[{\"metric\":{\"__name__\":\"idle\"},\"histogram\":[" + sec + ",{\"count\":\"0\",\"sum\":\"0\"}]}]", query("idle", t));
    }

    @Test void matrixWritesValuesAndHistogramsApartAndOmitsAnEmptyKind() throws Exception {
        long t0 = now - 10 * 60_000;
        Labels mixed = Labels.of("__name__", "m");
        f.storage.add(mixed, t0, 1);
        f.storage.add(mixed, t0 + 60_000, 2);
        f.storage.addHistogram(mixed, t0 + 120_000, histogram(0, 1, 1));
        f.storage.addHistogram(Labels.of("__name__", "only"), t0, histogram(0, 0, 2));
        String r = range("m", t0, t0 + 120_000, 60_000, true);
        JsonNode s = ApiFixture.JSON.readTree(r).get(0);
        assertEquals(2, s.get("values").size(), r);
        assertEquals("[" + GoFloat.timestamp(t0 + 60_000) + ",\"2\"]", s.get("values").get(1).toString());
        assertEquals(1, s.get("histograms").size(), r);
        assertEquals(GoFloat.timestamp(t0 + 120_000), s.get("histograms").get(0).get(0).asText());
        assertEquals("3", s.get("histograms").get(0).get(1).get("count").asText());
        String only = range("only", t0, t0 + 60_000, 60_000, true);
        JsonNode o = ApiFixture.JSON.readTree(only).get(0);
        assertNull(o.get("values"), only);
        assertEquals(2, o.get("histograms").size(), only); // the sample at t0 and its lookback at t0 + 1m
    }

    @Test void rangeCacheKeepsHistograms() throws Exception {
        long t0 = now - 4 * 3_600_000L;
        for (long t = t0; t < now; t += 60_000) {
            f.storage.addHistogram(Labels.of("__name__", "c", "i", "a"), t + 7, histogram(0, (t - t0) / 60_000.0, 1));
        }
        long start = t0 + 30 * 60_000, end = now - 30 * 60_000, step = 60_000;
        String direct = range("c", start, end, step, true);
        assertTrue(direct.contains("\"histograms\""), direct);
        assertEquals(direct, range("c", start, end, step, false));  // fills the cache
        assertEquals(direct, range("c", start, end, step, false));  // answered from cached extents
    }
}
