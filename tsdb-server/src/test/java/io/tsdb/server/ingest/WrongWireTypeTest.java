package io.tsdb.server.ingest;

import org.junit.jupiter.api.Test;

import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static io.tsdb.server.ingest.OtlpHandlerTest.PB;
import static io.tsdb.server.ingest.OtlpHandlerTest.T;
import static io.tsdb.server.ingest.OtlpHandlerTest.T_MS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A known field with the wrong wire type is a malformed request in every protobuf decoder (OTLP, remote write 1.0 and
 * 2.0, the protobuf exposition format): a 400 naming the field, both wire types and the byte offset of the tag, and
 * nothing stored. The bytes under test are written by hand; the offset is found by locating them in the request.
 */
class WrongWireTypeTest {
    static final String OTLP = "/api/v1/otlp/v1/metrics";

    static byte[] hex(String s) { return HexFormat.of().parseHex(s.replace(" ", "")); }

    /** The one index at which {@code needle} stands in {@code hay} (fails when absent or ambiguous). */
    static int indexOf(byte[] hay, byte[] needle) {
        int found = -1;
        for (int i = 0; i + needle.length <= hay.length; i++) {
            boolean eq = true;
            for (int j = 0; j < needle.length && eq; j++) eq = hay[i + j] == needle[j];
            if (eq) {
                assertEquals(-1, found, "the needle stands twice in the request");
                found = i;
            }
        }
        assertTrue(found >= 0, "needle not in the request");
        return found;
    }

    /** An OTLP request of one gauge point whose attribute "attr" has the hand-written AnyValue {@code anyValue}. */
    static byte[] otlpWithAttribute(byte[] anyValue) {
        return OtlpHandlerTest.request(sm -> sm.msg(2, m -> m.string(1, "g")
                .msg(5, g -> g.msg(1, p -> p.msg(7, kv -> kv.string(1, "attr").bytes(2, anyValue)).fixed64(3, T).dbl(4, 1)))));
    }

    static void assertMalformed(TestEnv env, TestEnv.Result r, String prefix, String message) {
        assertEquals(400, r.status(), r.body());
        assertTrue(r.body().contains(prefix + message + "; nothing from this request was stored"), r.body());
        assertTrue(env.dump().isEmpty(), env.dump().toString());
    }

    /** Array and kvlist attribute values are rendered as JSON-like text; unknown fields inside them are skipped. */
    @Test void otlpArrayAndKvlistValuesAreRendered() {
        TestEnv env = new TestEnv();
        // AnyValue{array_value: ArrayValue{values: [{string_value: "a"}, {int_value: 2}], <unknown field 2: varint 5>}}
        assertEquals(200, env.post(OTLP, PB, otlpWithAttribute(hex("2a0b 0a03 0a0161 0a02 1802 1005"))).status());
        assertEquals(List.of("g{attr=\"[\\\"a\\\",\\\"2\\\"]\", instance=\"pod-1\", job=\"shop/checkout\"} " + T_MS + "=1"), env.dump());
        TestEnv env2 = new TestEnv();
        // AnyValue{kvlist_value: KeyValueList{values: [{key: "k", value: {string_value: "v"}, <unknown field 3: varint 1>}]}}
        assertEquals(200, env2.post(OTLP, PB, otlpWithAttribute(hex("320c 0a0a 0a016b 12030a0176 1801"))).status());
        assertEquals(List.of("g{attr=\"{\\\"k\\\":\\\"v\\\"}\", instance=\"pod-1\", job=\"shop/checkout\"} " + T_MS + "=1"), env2.dump());
    }

    @Test void otlpArrayEntryWithWrongWireTypeIs400() {
        TestEnv env = new TestEnv();
        byte[] arr = hex("2a07 0a030a0161 0807"); // ArrayValue{values: [{string_value: "a"}, then field 1 as a varint]}
        byte[] body = otlpWithAttribute(arr);
        int at = indexOf(body, arr) + 7;           // the varint tag 08
        assertMalformed(env, env.post(OTLP, PB, body), "malformed OTLP protobuf request: ",
                "field 1 (array_value entry) has wire type 0 (varint), expected 2 (length-delimited), at byte " + at);
    }

    @Test void otlpKvlistEntryWithWrongWireTypeIs400() {
        TestEnv env = new TestEnv();
        byte[] kv = hex("3205 0d00000000");      // KeyValueList{values: field 1 as fixed32}
        byte[] body = otlpWithAttribute(kv);
        assertMalformed(env, env.post(OTLP, PB, body), "malformed OTLP protobuf request: ",
                "field 1 (kvlist_value entry) has wire type 5 (fixed32), expected 2 (length-delimited), at byte " + (indexOf(body, kv) + 2));
    }

    @Test void otlpKvlistKeyAndValueWithWrongWireTypeAre400() {
        TestEnv env = new TestEnv();
        byte[] key = hex("3204 0a02 0801");       // KeyValue{key as a varint}
        byte[] body = otlpWithAttribute(key);
        assertMalformed(env, env.post(OTLP, PB, body), "malformed OTLP protobuf request: ",
                "field 1 (kvlist_value entry key) has wire type 0 (varint), expected 2 (length-delimited), at byte " + (indexOf(body, key) + 4));
        byte[] value = hex("3207 0a05 0a016b 1101"); // KeyValue{key: "k", value as a fixed64 cut short}: the wire type is checked first
        body = otlpWithAttribute(value);
        assertMalformed(env, env.post(OTLP, PB, body), "malformed OTLP protobuf request: ",
                "field 2 (kvlist_value entry value) has wire type 1 (fixed64), expected 2 (length-delimited), at byte " + (indexOf(body, value) + 7));
    }

    @Test void otlpArrayAndKvlistThemselvesWithWrongWireTypeAre400() {
        TestEnv env = new TestEnv();
        byte[] arr = hex("2801");                 // AnyValue{array_value as a varint}
        byte[] body = otlpWithAttribute(arr);
        assertMalformed(env, env.post(OTLP, PB, body), "malformed OTLP protobuf request: ",
                "field 5 (array_value) has wire type 0 (varint), expected 2 (length-delimited), at byte " + indexOf(body, arr));
        byte[] kv = hex("3500000000");            // AnyValue{kvlist_value as a fixed32}
        body = otlpWithAttribute(kv);
        assertMalformed(env, env.post(OTLP, PB, body), "malformed OTLP protobuf request: ",
                "field 6 (kvlist_value) has wire type 5 (fixed32), expected 2 (length-delimited), at byte " + indexOf(body, kv));
    }

    // ---------------------------------------------------------------- remote write

    /** A v1 series {__name__="m"} with one sample, then {@code extra} inside the TimeSeries message. */
    static byte[] v1Series(byte[] extra) {
        return new ProtoWriter().msg(1, s -> s.msg(1, l -> l.string(1, "__name__").string(2, "m"))
                .msg(2, smp -> smp.dbl(1, 1).uint(2, 1000)).raw(extra)).toByteArray();
    }

    @Test void remoteWriteV1ExemplarSampleAndHistogramWithWrongWireTypeAre400() {
        String v1 = "malformed remote write 1.0 request (X-Prometheus-Remote-Write-Version 0.1.0): ";
        for (String[] c : new String[][]{{"1801", "field 3 (exemplar) has wire type 0 (varint)"},
                {"1100000000000000f03f", "field 2 (sample) has wire type 1 (fixed64)"},
                {"2500000000", "field 4 (histogram) has wire type 5 (fixed32)"}}) {
            TestEnv env = new TestEnv();
            byte[] extra = hex(c[0]);
            byte[] body = v1Series(extra);
            var r = env.post("/api/v1/write", RemoteWriteHandlerTest.V1, RemoteWriteHandlerTest.snappy(body));
            assertMalformed(env, r, v1, c[1] + ", expected 2 (length-delimited), at byte " + indexOf(body, extra));
        }
        // a sample with the wrong wire type is refused even in a series whose labels are invalid (nothing appended)
        TestEnv env = new TestEnv();
        byte[] extra = hex("1001");
        byte[] body = new ProtoWriter().msg(1, s -> s.msg(1, l -> l.string(1, "__name__").string(2, "0bad")).raw(extra)).toByteArray();
        var r = env.post("/api/v1/write", RemoteWriteHandlerTest.V1, RemoteWriteHandlerTest.snappy(body));
        assertMalformed(env, r, "malformed remote write 1.0 request (X-Prometheus-Remote-Write-Version 0.1.0): ",
                "field 2 (sample) has wire type 0 (varint), expected 2 (length-delimited), at byte " + indexOf(body, extra));
    }

    @Test void remoteWriteV2ExemplarWithWrongWireTypeIs400() {
        TestEnv env = new TestEnv();
        byte[] extra = hex("2001");   // TimeSeries{exemplars = 4 as a varint}
        byte[] body = new ProtoWriter().string(4, "").string(4, "__name__").string(4, "m")
                .msg(5, s -> s.msg(1, refs -> refs.varint(1).varint(2)).msg(2, smp -> smp.dbl(1, 1).uint(2, 1000)).raw(extra))
                .toByteArray();
        var r = env.post("/api/v1/write", RemoteWriteHandlerTest.V2, RemoteWriteHandlerTest.snappy(body));
        assertEquals(400, r.status(), r.body());
        assertTrue(r.body().contains("field 4 (exemplar) has wire type 0 (varint), expected 2 (length-delimited), at byte "
                + indexOf(body, extra)), r.body());
        assertTrue(r.body().endsWith("; nothing from this request was stored"), r.body());
        assertTrue(env.dump().isEmpty());
    }

    // ---------------------------------------------------------------- protobuf exposition

    static final Map<String, String> EXPOSITION = Map.of("Content-Type",
            "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited");

    /** One delimited MetricFamily. */
    static byte[] delimited(byte[] family) {
        return new ProtoWriter().varint(family.length).raw(family).toByteArray();
    }

    @Test void expositionLabelPairAndQuantileWithWrongWireTypeAre400() {
        // MetricFamily{name: "m", type: GAUGE, metric: [Metric{label: [LabelPair{name as a varint}], gauge: {value: 1}}]}
        byte[] badLabel = hex("0801");
        byte[] fam = new ProtoWriter().string(1, "m").uint(3, 1)
                .msg(4, m -> m.msg(1, l -> l.raw(badLabel)).msg(2, g -> g.dbl(1, 1))).toByteArray();
        TestEnv env = new TestEnv();
        byte[] body = delimited(fam);
        var r = env.post("/api/v1/import/prometheus", EXPOSITION, body);
        assertEquals(400, r.status(), r.body());
        assertTrue(r.body().contains("field 1 (label name) has wire type 0 (varint), expected 2 (length-delimited), at byte "
                + indexOf(body, badLabel)), r.body());
        assertTrue(env.dump().isEmpty());

        // a SUMMARY whose quantile is a varint
        byte[] badQuantile = hex("0805");
        fam = new ProtoWriter().string(1, "s").uint(3, 2)
                .msg(4, m -> m.msg(4, s -> s.uint(1, 3).dbl(2, 1.5).msg(3, q -> q.raw(badQuantile).dbl(2, 0.1)))).toByteArray();
        body = delimited(fam);
        r = env.post("/api/v1/import/prometheus", EXPOSITION, body);
        assertEquals(400, r.status(), r.body());
        assertTrue(r.body().contains("field 1 (quantile) has wire type 0 (varint), expected 1 (fixed64), at byte "
                + indexOf(body, badQuantile)), r.body());
        assertTrue(env.dump().isEmpty());
    }
}
