package io.tsdb.server.ingest;

import io.tsdb.server.ServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.tsdb.server.ingest.TestEnv.utf8;
import static org.junit.jupiter.api.Assertions.*;

/** Every ingest endpoint over real HTTP (Netty server, random port): success, malformed input, server stays healthy. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class IngestHttpTest extends IngestHttpTestBase {
    @Override protected void configure(ServerConfig c) { c.maxBodyBytes = 1 << 20; }

    @Test void everyEndpointStoresAndReportsErrors() throws Exception {
        // remote write 1.0
        byte[] rw = RemoteWriteHandlerTest.snappy(RemoteWriteHandlerTest.v1Request());
        var r = send("POST", "/api/v1/write", rw, "Content-Type", "application/x-protobuf", "Content-Encoding", "snappy");
        assertEquals(204, r.statusCode(), r.body());
        // influx v1 + v2
        assertEquals(204, send("POST", "/write?db=d&precision=s", utf8("cpu,host=a usage=1.5,idle=98i 1700000000\n")).statusCode());
        assertEquals(204, send("POST", "/api/v2/write?bucket=b&org=o&precision=ms", utf8("cpu,host=b usage=2 1700000000000\n")).statusCode());
        // prometheus text and push
        assertEquals(204, send("POST", "/api/v1/import/prometheus", utf8("# TYPE jobs_total counter\njobs_total{q=\"a\"} 3 1700000000000\n")).statusCode());
        assertEquals(200, send("PUT", "/metrics/job/batch/instance/x", utf8("pushed 5\n")).statusCode());
        // OTLP
        assertEquals(200, send("POST", "/api/v1/otlp/v1/metrics", OtlpHandlerTest.sampleRequest(), "Content-Type", "application/x-protobuf").statusCode());
        List<String> before = query(".+");
        assertTrue(before.containsAll(List.of(
                "up{instance=\"a:9100\", job=\"node\"} 2000=stale",
                "cpu_usage{db=\"d\", host=\"a\"} 1700000000000=1.5",
                "cpu_idle{db=\"d\", host=\"a\"} 1700000000000=98",
                "cpu_usage{db=\"b\", host=\"b\"} 1700000000000=2",
                "jobs_total{q=\"a\"} 1700000000000=3",
                "queue_depth{instance=\"pod-1\", job=\"shop/checkout\", queue=\"a\"} 1700000000000=7.5")), before.toString());
        assertEquals(1, query("pushed").size());
        assertTrue(query("pushed").get(0).startsWith("pushed{instance=\"x\", job=\"batch\"} "));

        // malformed input on every endpoint: precise 4xx, nothing stored from it, server healthy, data intact
        r = send("POST", "/api/v1/write", new byte[]{0x10, 0x7f, 0x7f}, "Content-Encoding", "snappy");
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("invalid snappy body"), r.body());
        r = send("POST", "/api/v1/write", RemoteWriteHandlerTest.snappy(new byte[]{0x0a, (byte) 0xff, (byte) 0xff, 0x7f}));
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("exceeds the 0 bytes remaining"), r.body());
        r = send("POST", "/api/v1/write", rw, "Content-Type", "text/plain");
        assertEquals(415, r.statusCode());
        r = send("POST", "/write", utf8("bad line\n"));
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("line 1: field without '=value' at column 9"), r.body());
        r = send("POST", "/api/v1/import/prometheus", utf8("x{a=\"1\" 2\n"));
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("line 1: expected ',' or '}' after label value"), r.body());
        r = send("POST", "/metrics/job/j", utf8("x 1 1000\n"));
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("timestamp_not_allowed"), r.body());
        r = send("POST", "/api/v1/otlp/v1/metrics", new byte[]{0x0a, 0x05, 0x01}, "Content-Type", "application/x-protobuf");
        assertEquals(400, r.statusCode());
        r = send("POST", "/api/v1/otlp/v1/metrics", utf8("{"), "Content-Type", "application/json");
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("malformed OTLP JSON request"), r.body());
        // bodies over the limit: as received (server) and after decompression (ingest)
        r = send("POST", "/write", new byte[(1 << 20) + 10]);
        assertEquals(413, r.statusCode());
        byte[] bomb = RemoteWriteHandlerTest.gzip(new byte[4 << 20]);
        r = send("POST", "/write", bomb, "Content-Encoding", "gzip");
        assertEquals(413, r.statusCode());
        assertTrue(r.body().contains("exceeds the maximum body size of 1048576 bytes"), r.body());
        // GET /metrics/job/... is not a push
        assertNotEquals(200, send("GET", "/metrics/job/j", null).statusCode());

        assertEquals(before, query(".+"));
        HttpResponse<String> health = send("GET", "/-/healthy", null);
        assertEquals(200, health.statusCode());
        String metrics = send("GET", "/metrics", null).body();
        assertTrue(metrics.contains("tsdb_ingest_samples_accepted_total{protocol=\"influx\"} 3.0"), metrics);
        assertTrue(metrics.contains("tsdb_ingest_samples_rejected_total{protocol=\"influx\",reason=\"invalid_line\"} 1.0"), metrics);
        assertTrue(metrics.contains("tsdb_ingest_duration_seconds_count{protocol=\"remote_write\"}"), metrics);
        assertTrue(metrics.contains("tsdb_ingest_request_body_bytes_count{protocol=\"otlp\",stage=\"decoded\"}"), metrics);
    }
}
