package io.tsdb.server.api;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.Unpooled;
import io.tsdb.core.Labels;
import io.tsdb.core.histogram.CounterResetHint;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.server.http.Response;
import io.tsdb.server.ingest.proto.ProtoReader;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Federation and export/import of native histograms. */
class HistogramExportFederateTest {
    final ApiFixture f = new ApiFixture();
    final long now = f.now.get();

    static FloatHistogram exponential() {
        FloatHistogram h = HistogramApiTest.histogram(1, 2, 3); // schema 0, zero bucket, two positive, one negative bucket
        h.hint = CounterResetHint.NOT_COUNTER_RESET;
        return h;
    }

    static FloatHistogram nhcb() { return RemoteReadHistogramTest.nhcb(); } // bounds 0.1, 0.5, 1; buckets 0, 1 and +Inf

    void data() {
        f.add(now - 30_000, 5, "__name__", "a_float", "job", "x");
        f.storage.addHistogram(Labels.of("__name__", "b_exp", "job", "x"), now - 20_000, exponential());
        f.storage.addHistogram(Labels.of("__name__", "c_nhcb", "job", "x"), now - 10_000, nhcb());
    }

    @Test void textFederationWritesCustomBucketsAsClassicAndLeavesExponentialOut() throws Exception {
        data();
        Response r = f.call(FakeRequest.get("/federate?match[]=" + GrafanaReplayTest.enc("{job=\"x\"}")));
        assertEquals(200, r.status());
        assertEquals("text/plain; version=0.0.4; charset=utf-8", r.contentType());
        long a = now - 30_000, c = now - 10_000;
        assertEquals("# TYPE a_float untyped\n"
                + "a_float{job=\"x\"} 5 " + a + "\n"
                + "# TYPE c_nhcb histogram\n"
                + "c_nhcb_bucket{job=\"x\",le=\"0.1\"} 1.5 " + c + "\n"
                + "c_nhcb_bucket{job=\"x\",le=\"0.5\"} 1.5 " + c + "\n"
                + "c_nhcb_bucket{job=\"x\",le=\"1\"} 1.5 " + c + "\n"
                + "c_nhcb_bucket{job=\"x\",le=\"+Inf\"} 5.5 " + c + "\n"
                + "c_nhcb_sum{job=\"x\"} 3.25 " + c + "\n"
                + "c_nhcb_count{job=\"x\"} 5.5 " + c + "\n", new String(r.body(), StandardCharsets.UTF_8));
    }

    @Test void protobufFederationCarriesNativeHistograms() throws Exception {
        data();
        Response r = f.call(FakeRequest.get("/federate?match[]=" + GrafanaReplayTest.enc("{job=\"x\"}"))
                .header("Accept", "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,text/plain;version=0.0.4;q=0.3"));
        assertEquals(200, r.status());
        assertEquals(Federation.PROTOBUF, r.contentType());
        // delimited MetricFamily messages: name, type, and for the exponential one its histogram fields
        ProtoReader p = new ProtoReader(Unpooled.wrappedBuffer(r.body()));
        List<String> families = new ArrayList<>();
        while (p.hasRemaining()) {
            int len = (int) p.varint64();
            int old = p.pushLimit(len);
            String name = null;
            long type = -1;
            List<String> fields = new ArrayList<>();
            while (p.hasRemaining()) {
                int tag = p.tag();
                switch (ProtoReader.field(tag)) {
                    case 1 -> name = p.string();
                    case 3 -> type = p.varint64();
                    case 4 -> {
                        int o2 = p.pushLimit(p.lengthDelimited());
                        while (p.hasRemaining()) {
                            int t2 = p.tag();
                            if (ProtoReader.field(t2) == 7) {
                                int o3 = p.pushLimit(p.lengthDelimited());
                                while (p.hasRemaining()) {
                                    int t3 = p.tag();
                                    int fn = ProtoReader.field(t3);
                                    if (fn == 4) fields.add("count=" + p.doubleValue());
                                    else if (fn == 5) fields.add("schema=" + p.sint64());
                                    else if (fn == 8) fields.add("zero=" + p.doubleValue());
                                    else if (fn == 3) { fields.add("bucket"); p.skip(t3); }
                                    else if (fn == 12 || fn == 9) { fields.add(fn == 12 ? "pspan" : "nspan"); p.skip(t3); }
                                    else if (fn == 14) { int l = p.lengthDelimited(); fields.add("pcounts=" + l / 8); p.position(p.position() + l); }
                                    else p.skip(t3);
                                }
                                p.popLimit(o3);
                            } else if (ProtoReader.field(t2) == 5) { fields.add("untyped"); p.skip(t2); }
                            else p.skip(t2);
                        }
                        p.popLimit(o2);
                    }
                    default -> p.skip(tag);
                }
            }
            p.popLimit(old);
            families.add(name + ":" + type + fields);
        }
        assertEquals(List.of("a_float:3[untyped]",
                "b_exp:4[count=7.0, schema=0, zero=1.0, nspan, pspan, pcounts=2]",
                "c_nhcb:4[count=5.5, bucket, bucket, bucket]"), families);
    }

    @Test void exportWritesHistogramLinesThatReadBackLosslessly() throws Exception {
        f.add(1000, 1, "__name__", "mixed");
        f.storage.addHistogram(Labels.of("__name__", "mixed"), 2000, exponential());
        f.storage.addHistogram(Labels.of("__name__", "mixed"), 3000, nhcb());
        Response r = f.call(FakeRequest.get("/api/v1/export?match[]=mixed"));
        assertEquals(200, r.status());
        String[] lines = new String(r.body(), StandardCharsets.UTF_8).split("\n");
        assertEquals(2, lines.length, String.join("\n", lines));
        JsonNode h = ApiFixture.JSON.readTree(lines[0]);
        assertEquals("[2000,3000]", h.get("timestamps").toString());
        assertEquals("{\"schema\":0,\"count\":7,\"sum\":11.5,\"zero_threshold\":0.001,\"zero_count\":1,\"counter_reset_hint\":\"not_reset\","
                + "\"positive_spans\":[[0,2]],\"positive_buckets\":[2,3],\"negative_spans\":[[0,1]],\"negative_buckets\":[1]}",
                h.get("histograms").get(0).toString());
        assertEquals("[1000]", ApiFixture.JSON.readTree(lines[1]).get("timestamps").toString());
        // each exported histogram reads back as the stored one
        try (JsonParser p = ApiJson.FACTORY.createParser(h.get("histograms").get(1).toString())) {
            p.nextToken();
            assertTrue(HistogramJsonLines.read(p).sameData(nhcb()));
        }
        try (JsonParser p = ApiJson.FACTORY.createParser(h.get("histograms").get(0).toString())) {
            p.nextToken();
            FloatHistogram back = HistogramJsonLines.read(p);
            assertTrue(back.sameData(exponential()));
            assertNotNull(HistogramJsonLines.asInteger(back)); // whole counts: imported as an integer histogram
        }
    }

    @Test void importRejectsInvalidAndMalformedHistogramsNamingLineAndRule() throws Exception {
        String in = "{\"metric\":{\"__name__\":\"h\"},\"histograms\":[{\"schema\":0,\"count\":3,\"sum\":1,\"positive_spans\":[[0,1]],\"positive_buckets\":[-1]}],\"timestamps\":[1000]}\n"
                + "{\"metric\":{\"__name__\":\"h\"},\"histograms\":[{\"schema\":0,\"positive_spans\":[[0,\"x\"]]}],\"timestamps\":[1000]}\n"
                + "{\"metric\":{\"__name__\":\"ok\"},\"values\":[1],\"timestamps\":[1000]}\n";
        Response r = f.call(new FakeRequest("POST", "/api/v1/import", in.getBytes(StandardCharsets.UTF_8), null));
        assertEquals(400, r.status());
        String b = new String(r.body(), StandardCharsets.UTF_8);
        assertTrue(b.contains("line 1: h{} @1000: breaks rule negative-bucket-count"), b);
        assertTrue(b.contains("line 2: \\\"positive_spans\\\" must be an integer"), b);
        assertTrue(b.contains("accepted 1 samples"), b);
        assertEquals(1, f.storage.querier(0, 5000).select(List.of(io.tsdb.core.Matcher.eq("__name__", "ok"))).next() ? 1 : 0);
    }
}
