package io.tsdb.server.ingest;

import io.tsdb.server.ingest.otlp.OtlpNames;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static io.tsdb.server.ingest.TestEnv.utf8;
import static org.junit.jupiter.api.Assertions.*;

public class OtlpHandlerTest {
    static final Map<String, String> PB = Map.of("Content-Type", "application/x-protobuf");
    static final Map<String, String> JSON = Map.of("Content-Type", "application/json");
    static final long T = 1_700_000_000_000_000_000L; // ns
    static final long T_MS = 1_700_000_000_000L;

    static Consumer<ProtoWriter> kv(String k, String v) { return w -> w.string(1, k).msg(2, a -> a.string(1, v)); }

    static byte[] request(Consumer<ProtoWriter> metrics) {
        return new ProtoWriter().msg(1, rm -> {
            rm.msg(1, res -> res.msg(1, kv("service.name", "checkout")).msg(1, kv("service.namespace", "shop"))
                    .msg(1, kv("service.instance.id", "pod-1")).msg(1, kv("host.name", "h1")));
            rm.msg(2, sm -> { sm.msg(1, scope -> scope.string(1, "io.test")); metrics.accept(sm); });
        }).toByteArray();
    }

    static byte[] sample() {
        return request(sm -> {
            sm.msg(2, m -> m.string(1, "queue.depth").string(2, "Items waiting").string(3, "{item}")
                    .msg(5, g -> g.msg(1, p -> p.msg(7, kv("queue", "a")).fixed64(3, T).dbl(4, 7.5))));
            sm.msg(2, m -> m.string(1, "http.server.requests").string(3, "{request}")
                    .msg(7, s -> s.msg(1, p -> p.msg(7, kv("http.method", "GET")).fixed64(3, T).fixed64(6, 42)).uint(2, 2).uint(3, 1)));
            sm.msg(2, m -> m.string(1, "http.server.duration").string(3, "ms").string(2, "Duration")
                    .msg(9, h -> h.msg(1, p -> p.fixed64(3, T).fixed64(4, 6).dbl(5, 100)
                            .msg(6, pk -> pk.raw(le64(1)).raw(le64(2)).raw(le64(3)))
                            .msg(7, pk -> pk.raw(le64(Double.doubleToLongBits(5))).raw(le64(Double.doubleToLongBits(10.5))))).uint(2, 2)));
            sm.msg(2, m -> m.string(1, "rpc.latency").string(3, "s")
                    .msg(11, s -> s.msg(1, p -> p.fixed64(3, T).fixed64(4, 10).dbl(5, 2.5)
                            .msg(6, q -> q.dbl(1, 0.5).dbl(2, 0.2)).msg(6, q -> q.dbl(1, 0.99).dbl(2, 0.9)))));
            sm.msg(2, m -> m.string(1, "cpu.utilization").string(3, "1")
                    .msg(5, g -> g.msg(1, p -> p.fixed64(3, T).dbl(4, 0.25).uint(8, 1))));
            sm.msg(2, m -> m.string(1, "active.connections").msg(7, s -> s.msg(1, p -> p.fixed64(3, T).fixed64(6, -3)).uint(2, 2)));
        });
    }

    public static byte[] sampleRequest() { return sample(); }

    static byte[] le64(long v) {
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) b[i] = (byte) (v >>> (8 * i));
        return b;
    }

    static final List<String> EXPECTED = List.of(
            "active_connections{instance=\"pod-1\", job=\"shop/checkout\"} " + T_MS + "=-3",
            "cpu_utilization_ratio{instance=\"pod-1\", job=\"shop/checkout\"} " + T_MS + "=stale",
            "http_server_duration_milliseconds_bucket{instance=\"pod-1\", job=\"shop/checkout\", le=\"+Inf\"} " + T_MS + "=6",
            "http_server_duration_milliseconds_bucket{instance=\"pod-1\", job=\"shop/checkout\", le=\"10.5\"} " + T_MS + "=3",
            "http_server_duration_milliseconds_bucket{instance=\"pod-1\", job=\"shop/checkout\", le=\"5\"} " + T_MS + "=1",
            "http_server_duration_milliseconds_count{instance=\"pod-1\", job=\"shop/checkout\"} " + T_MS + "=6",
            "http_server_duration_milliseconds_sum{instance=\"pod-1\", job=\"shop/checkout\"} " + T_MS + "=100",
            "http_server_requests_total{http_method=\"GET\", instance=\"pod-1\", job=\"shop/checkout\"} " + T_MS + "=42",
            "queue_depth{instance=\"pod-1\", job=\"shop/checkout\", queue=\"a\"} " + T_MS + "=7.5",
            "rpc_latency_seconds{instance=\"pod-1\", job=\"shop/checkout\", quantile=\"0.5\"} " + T_MS + "=0.2",
            "rpc_latency_seconds{instance=\"pod-1\", job=\"shop/checkout\", quantile=\"0.99\"} " + T_MS + "=0.9",
            "rpc_latency_seconds_count{instance=\"pod-1\", job=\"shop/checkout\"} " + T_MS + "=10",
            "rpc_latency_seconds_sum{instance=\"pod-1\", job=\"shop/checkout\"} " + T_MS + "=2.5");

    @Test void protobufAllKinds() {
        TestEnv env = new TestEnv();
        var r = env.post("/api/v1/otlp/v1/metrics", PB, sample());
        assertEquals(200, r.status(), r.body());
        assertEquals(EXPECTED, env.dump());
        assertEquals("Items waiting", env.metadata.get("queue_depth").get(0).help());
        assertEquals("counter", env.metadata.get("http_server_requests_total").get(0).type());
        assertEquals("histogram", env.metadata.get("http_server_duration_milliseconds").get(0).type());
        assertEquals("milliseconds", env.metadata.get("http_server_duration_milliseconds").get(0).unit());
        assertEquals("gauge", env.metadata.get("active_connections").get(0).type());
        // gzip works too
        TestEnv env2 = new TestEnv();
        assertEquals(200, env2.post("/api/v1/otlp/v1/metrics", Map.of("Content-Type", "application/x-protobuf", "Content-Encoding", "gzip"),
                RemoteWriteHandlerTest.gzip(sample())).status());
        assertEquals(EXPECTED, env2.dump());
    }

    @Test void jsonAllKinds() {
        String json = """
            {"resourceMetrics":[{"resource":{"attributes":[
              {"key":"service.name","value":{"stringValue":"checkout"}},
              {"key":"service.namespace","value":{"stringValue":"shop"}},
              {"key":"service.instance.id","value":{"stringValue":"pod-1"}}]},
             "scopeMetrics":[{"scope":{"name":"io.test"},"metrics":[
              {"name":"queue.depth","unit":"{item}","description":"Items waiting","gauge":{"dataPoints":[
                 {"attributes":[{"key":"queue","value":{"stringValue":"a"}}],"timeUnixNano":"1700000000000000000","asDouble":7.5}]}},
              {"name":"http.server.requests","unit":"{request}","sum":{"aggregationTemporality":2,"isMonotonic":true,"dataPoints":[
                 {"attributes":[{"key":"http.method","value":{"stringValue":"GET"}}],"timeUnixNano":"1700000000000000000","asInt":"42"}]}},
              {"name":"http.server.duration","unit":"ms","histogram":{"aggregationTemporality":"AGGREGATION_TEMPORALITY_CUMULATIVE","dataPoints":[
                 {"timeUnixNano":"1700000000000000000","count":"6","sum":100,"bucketCounts":["1","2","3"],"explicitBounds":[5,10.5]}]}},
              {"name":"rpc.latency","unit":"s","summary":{"dataPoints":[
                 {"timeUnixNano":"1700000000000000000","count":"10","sum":2.5,"quantileValues":[{"quantile":0.5,"value":0.2},{"quantile":0.99,"value":0.9}]}]}},
              {"name":"cpu.utilization","unit":"1","gauge":{"dataPoints":[{"timeUnixNano":"1700000000000000000","asDouble":0.25,"flags":1}]}},
              {"name":"active.connections","sum":{"aggregationTemporality":2,"dataPoints":[{"timeUnixNano":"1700000000000000000","asInt":-3}]}}
             ]}]}]}
            """;
        TestEnv env = new TestEnv();
        var r = env.post("/api/v1/otlp/v1/metrics", JSON, utf8(json));
        assertEquals(200, r.status(), r.body());
        assertEquals("{}", r.body());
        assertEquals(EXPECTED, env.dump());
    }

    @Test void deltaRejectedWithClearMessageOthersStored() {
        byte[] req = request(sm -> {
            sm.msg(2, m -> m.string(1, "ok.gauge").msg(5, g -> g.msg(1, p -> p.fixed64(3, T).dbl(4, 1))));
            sm.msg(2, m -> m.string(1, "delta.counter").msg(7, s -> s.msg(1, p -> p.fixed64(3, T).fixed64(6, 5)).uint(2, 1).uint(3, 1)));
            sm.msg(2, m -> m.string(1, "exp.hist").msg(10, s -> s.msg(1, p -> p.fixed64(3, T)).uint(2, 1)));
        });
        TestEnv env = new TestEnv();
        var r = env.post("/api/v1/otlp/v1/metrics", PB, req);
        assertEquals(400, r.status());
        assertEquals(List.of("ok_gauge{instance=\"pod-1\", job=\"shop/checkout\"} " + T_MS + "=1"), env.dump());
        assertTrue(r.body().contains("delta_temporality: 2"), r.body());
        assertTrue(r.body().contains("metric \"delta.counter\": delta temporality is not supported; configure the exporter for cumulative temporality"), r.body());
        var j = env.post("/api/v1/otlp/v1/metrics", JSON, utf8("{\"resourceMetrics\":[{\"scopeMetrics\":[{\"metrics\":[{\"name\":\"d\",\"sum\":{\"aggregationTemporality\":\"AGGREGATION_TEMPORALITY_DELTA\",\"dataPoints\":[{\"asInt\":1}]}}]}]}]}"));
        assertEquals(400, j.status());
        assertTrue(j.body().startsWith("{\"code\":3,\"message\":\"accepted 0 of 1 samples; rejected 1 (delta_temporality: 1)"), j.body());
    }

    /** bucket_counts and explicit_bounds element by element (unpacked) read as the packed runs; a run cut mid-double refused. */
    @Test void histogramUnpackedBucketsAndBadPackedRun() {
        TestEnv env = new TestEnv();
        byte[] unpacked = request(sm -> sm.msg(2, m -> m.string(1, "http.server.duration").string(3, "ms")
                .msg(9, h -> h.msg(1, p -> p.fixed64(3, T).fixed64(4, 6).dbl(5, 100)
                        .fixed64(6, 1).fixed64(6, 2).dbl(7, 5).fixed64(6, 3).dbl(7, 10.5)).uint(2, 2))));
        assertEquals(200, env.post("/api/v1/otlp/v1/metrics", PB, unpacked).status());
        assertEquals(EXPECTED.stream().filter(x -> x.startsWith("http_server_duration")).toList(), env.dump());

        TestEnv env2 = new TestEnv();
        byte[] bad = request(sm -> sm.msg(2, m -> m.string(1, "http.server.duration").string(3, "ms")
                .msg(9, h -> h.msg(1, p -> p.fixed64(3, T).fixed64(4, 6).dbl(5, 100)
                        .msg(6, pk -> pk.raw(le64(1)).raw(le64(2)).raw(le64(3))).bytes(7, new byte[12])).uint(2, 2))));
        var r = env2.post("/api/v1/otlp/v1/metrics", PB, bad);
        assertEquals(400, r.status());
        assertTrue(r.body().contains("packed explicit_bounds of 12 bytes is not a multiple of 8"), r.body());
        assertTrue(env2.dump().isEmpty());
    }

    @Test void malformedBodiesStoreNothing() {
        TestEnv env = new TestEnv();
        byte[] good = sample();
        for (int cut : new int[]{good.length - 1, good.length / 2, 7}) {
            var r = env.post("/api/v1/otlp/v1/metrics", PB, Arrays.copyOf(good, cut));
            assertEquals(400, r.status(), "cut " + cut);
            assertTrue(r.body().contains("malformed OTLP protobuf request: "), r.body());
        }
        var r = env.post("/api/v1/otlp/v1/metrics", JSON, utf8("{\"resourceMetrics\":[{\"scopeMetrics\":[{\"metrics\":[{\"name\":\"x\",\"gauge\":{\"dataPoints\":[{\"asDouble\":1}]}}]}]}"));
        assertEquals(400, r.status());
        assertTrue(r.body().contains("malformed OTLP JSON request: invalid JSON: "), r.body());
        r = env.post("/api/v1/otlp/v1/metrics", JSON, utf8("{\"resourceMetrics\":[{\"scopeMetrics\":[{\"metrics\":[{\"name\":\"x\",\"gauge\":{\"dataPoints\":[{\"asInt\":\"12x\"}]}}]}]}]}"));
        assertEquals(400, r.status());
        assertTrue(r.body().contains("resourceMetrics[0].scopeMetrics[0].metrics[0].dataPoints[0].asInt: invalid integer \\\"12x\\\""), r.body());
        assertEquals(415, env.post("/api/v1/otlp/v1/metrics", Map.of("Content-Type", "text/plain"), good).status());
        assertTrue(env.dump().isEmpty());
        assertTrue(env.commits.isEmpty());
    }

    @Test void nameTranslation() {
        assertEquals("system_memory_usage_bytes", OtlpNames.metricName("system.memory.usage", "By", false, true));
        assertEquals("process_cpu_time_seconds_total", OtlpNames.metricName("process.cpu.time", "s", true, false));
        assertEquals("network_io_bytes_per_second", OtlpNames.metricName("network.io", "By/s", false, true));
        assertEquals("foo_total", OtlpNames.metricName("foo_total", "", true, false));
        assertEquals("requests_total", OtlpNames.metricName("requests", "{request}", true, false));
        assertEquals("_2xx_count", OtlpNames.metricName("2xx.count", "", false, true));
        assertEquals("cpu_utilization_ratio", OtlpNames.metricName("cpu.utilization", "1", false, true));
        assertEquals("jvm_memory_used_bytes", OtlpNames.metricName("jvm.memory.used", "bytes", false, true));
        assertEquals("latency_seconds", OtlpNames.metricName("latency_seconds", "s", false, false));
        assertEquals("disk_percent", OtlpNames.metricName("disk", "%", false, true));
        assertEquals("http_method", OtlpNames.labelName("http.method"));
        assertEquals("key_0x", OtlpNames.labelName("0x"));
        assertEquals("0.005", OtlpNames.formatFloat(0.005));
        assertEquals("1", OtlpNames.formatFloat(1.0));
        assertEquals("1000000", OtlpNames.formatFloat(1e6));
    }
}
