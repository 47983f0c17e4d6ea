package io.tsdb.server.ingest;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.tsdb.server.ingest.TestEnv.utf8;
import static org.junit.jupiter.api.Assertions.*;

class PromTextHandlerTest {
    static final long NOW = TestEnv.NOW;

    @Test void textFormatWithMetadataTimestampsAndEscapes() {
        TestEnv env = new TestEnv();
        String body = """
                # HELP http_requests_total The total number of HTTP requests.\\nSecond line.
                # TYPE http_requests_total counter
                http_requests_total{method="post",code="200"} 1027 1395066363000
                http_requests_total{method="post",code="400",} 3 1395066363000
                # a free comment
                msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9
                metric_without_timestamp_and_labels 12.47
                # TYPE rpc_duration_seconds summary
                rpc_duration_seconds{quantile="0.5"} NaN
                something_weird{problem="division by zero"} +Inf -3982045
                neg -Inf
                """;
        var r = env.post("/api/v1/import/prometheus", Map.of("Content-Type", "text/plain; version=0.0.4"), utf8(body));
        assertEquals(204, r.status(), r.body());
        assertEquals(List.of(
                "http_requests_total{code=\"200\", method=\"post\"} 1395066363000=1027",
                "http_requests_total{code=\"400\", method=\"post\"} 1395066363000=3",
                "metric_without_timestamp_and_labels{} " + NOW + "=12.47",
                "msdos_file_access_time_seconds{error=\"Cannot find file:\\n\\\"FILE.TXT\\\"\", path=\"C:\\\\DIR\\\\FILE.TXT\"} " + NOW + "=1458255915",
                "neg{} " + NOW + "=-Infinity",
                "rpc_duration_seconds{quantile=\"0.5\"} " + NOW + "=NaN",
                "something_weird{problem=\"division by zero\"} -3982045=Infinity"), env.dump());
        var m = env.metadata.get("http_requests_total").get(0);
        assertEquals("counter", m.type());
        assertEquals("The total number of HTTP requests.\nSecond line.", m.help());
        assertEquals("summary", env.metadata.get("rpc_duration_seconds").get(0).type());
    }

    @Test void openMetricsSecondsTimestampsExemplarsEof() {
        TestEnv env = new TestEnv();
        String body = """
                # TYPE acme_http_router_request_seconds summary
                # UNIT acme_http_router_request_seconds seconds
                # HELP acme_http_router_request_seconds Latency though all of ACME's HTTP request router.
                acme_http_router_request_seconds_sum{path="/api/v1",method="GET"} 9036.32 1520879607.789
                acme_http_router_request_seconds_count{path="/api/v1",method="GET"} 807283.0 1520879607.789
                # TYPE foo counter
                foo_total 17.0 1520879606.1 # {trace_id="KOO5S4vxi0o"} 0.67
                # EOF
                """;
        var r = env.post("/api/v1/import/prometheus", Map.of("Content-Type", "application/openmetrics-text; version=1.0.0; charset=utf-8"), utf8(body));
        assertEquals(204, r.status(), r.body());
        assertEquals(List.of(
                "acme_http_router_request_seconds_count{method=\"GET\", path=\"/api/v1\"} 1520879607789=807283",
                "acme_http_router_request_seconds_sum{method=\"GET\", path=\"/api/v1\"} 1520879607789=9036.32",
                "foo_total{} 1520879606100=17"), env.dump());
        assertEquals("seconds", env.metadata.get("acme_http_router_request_seconds").get(0).unit());
        var after = env.post("/api/v1/import/prometheus", Map.of("Content-Type", "application/openmetrics-text"), utf8("# EOF\nx 1\n"));
        assertEquals(400, after.status());
        assertTrue(after.body().contains("line 2: content after # EOF"), after.body());
    }

    @Test void badLinesRejectedOthersStored() {
        TestEnv env = new TestEnv();
        String body = String.join("\n",
                "good 1 1000",
                "bad{a=\"1\" 2",
                "bad{a=1} 2",
                "bad{a=\"1\"} x",
                "bad 1 1.5",
                "bad-name 1",
                "bad{a-b=\"1\"} 1",
                "bad{a=\"1\",a=\"2\"} 1",
                "bad{a=\"\\q\"} 1",
                "bad 1 2 3",
                "good 2 2000");
        var r = env.post("/api/v1/import/prometheus", Map.of(), utf8(body));
        assertEquals(400, r.status());
        assertEquals(List.of("good{} 1000=1", "good{} 2000=2"), env.dump());
        String b = r.body();
        assertTrue(b.startsWith("accepted 2 of 11 samples; rejected 9 (invalid_line: 6, invalid_metric_name: 1, invalid_label_name: 1, duplicate_label_name: 1)"), b);
        assertTrue(b.contains("line 2: expected ',' or '}' after label value at column 11"), b);
        assertTrue(b.contains("line 3: expected '\"' to open the label value at column 7"), b);
        assertTrue(b.contains("line 4: invalid sample value \"x\" at column 12"), b);
        assertTrue(b.contains("line 5: invalid timestamp \"1.5\" at column 7 (milliseconds)"), b);
        assertTrue(b.contains("line 6: invalid metric name \"bad-name\""), b);
        assertTrue(b.contains("line 9: invalid escape '\\q' in label value"), b);
        assertTrue(b.contains("line 10: unexpected text after the sample at column 9"), b);
    }

    @Test void pushGroupingLabelsBase64AndReceiveTime() {
        TestEnv env = new TestEnv();
        String body = "# TYPE some_metric gauge\nsome_metric{label=\"val1\"} 42\nanother 2.5\n";
        var r = env.call("PUT", "/metrics/job/some_job/instance/some_instance", Map.of(), utf8(body));
        assertEquals(200, r.status(), r.body());
        // "/var/tmp" URL-safe base64 without padding, and an empty value
        r = env.call("POST", "/metrics/job/directory_cleaner/path@base64/L3Zhci90bXA/empty@base64/=", Map.of(), utf8("cleaned 3\n"));
        assertEquals(200, r.status(), r.body());
        assertEquals(List.of(
                "another{instance=\"some_instance\", job=\"some_job\"} " + NOW + "=2.5",
                "cleaned{job=\"directory_cleaner\", path=\"/var/tmp\"} " + NOW + "=3",
                "some_metric{instance=\"some_instance\", job=\"some_job\", label=\"val1\"} " + NOW + "=42"), env.dump());
        assertEquals("gauge", env.metadata.get("some_metric").get(0).type());
    }

    @Test void pushErrors() {
        TestEnv env = new TestEnv();
        var r = env.call("POST", "/metrics/job/j", Map.of(), utf8("with_ts 1 1000\nconflict{job=\"other\"} 1\nsame{job=\"j\"} 1\n"));
        assertEquals(400, r.status());
        assertTrue(r.body().contains("timestamp_not_allowed: 1"), r.body());
        assertTrue(r.body().contains("line 2: label job=\"other\" conflicts with the grouping label job=\"j\""), r.body());
        assertEquals(List.of("same{job=\"j\"} " + NOW + "=1"), env.dump());
        assertEquals(400, env.call("POST", "/metrics/job/j/odd", Map.of(), utf8("x 1\n")).status());
        assertEquals(400, env.call("POST", "/metrics/job//", Map.of(), utf8("x 1\n")).status());
        var b64 = env.call("POST", "/metrics/job/j/a@base64/!!!", Map.of(), utf8("x 1\n"));
        assertEquals(400, b64.status());
        assertTrue(b64.body().startsWith("invalid base64 value \"!!!\" for grouping label a"), b64.body());
        assertEquals(405, env.call("GET", "/metrics/job/j", Map.of(), new byte[0]).status());
        var pb = env.call("POST", "/metrics/job/j", Map.of("Content-Type", "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"), utf8("x"));
        assertEquals(400, pb.status());
        assertTrue(pb.body().startsWith("malformed protobuf exposition body: length 120 at byte 0 exceeds"), pb.body());
        assertEquals(415, env.call("POST", "/metrics/job/j", Map.of("Content-Type", "application/x-protobuf"), utf8("x")).status());
    }
}
