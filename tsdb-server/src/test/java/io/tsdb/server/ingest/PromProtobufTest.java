package io.tsdb.server.ingest;

import io.tsdb.core.histogram.CounterResetHint;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

/** The delimited protobuf exposition format on the import and push endpoints, native histograms included. */
class PromProtobufTest {
    static final Map<String, String> PB = Map.of("Content-Type",
            "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited");

    /** Delimited MetricFamily messages. */
    static byte[] families(List<Consumer<ProtoWriter>> fams) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Consumer<ProtoWriter> f : fams) {
            ProtoWriter w = new ProtoWriter();
            f.accept(w);
            byte[] b = w.toByteArray();
            out.writeBytes(new ProtoWriter().varint(b.length).toByteArray());
            out.writeBytes(b);
        }
        return out.toByteArray();
    }

    static Consumer<ProtoWriter> family(String name, int type, Consumer<ProtoWriter> metric) {
        return f -> f.string(1, name).string(2, "help of " + name).uint(3, type).msg(4, metric);
    }

    static Consumer<ProtoWriter> nativeHistogram(long count, double sum, int schema, long[] spans, long[] deltas) {
        return h -> {
            h.uint(1, count).dbl(2, sum).sint(5, schema).dbl(6, 0.001).uint(7, 0);
            for (int i = 0; i < spans.length; i += 2) { long o = spans[i], l = spans[i + 1]; h.msg(12, s -> s.sint(1, o).uint(2, l)); }
            for (long d : deltas) h.sint(13, d);
        };
    }

    @Test void everyTypeAndNativeHistogramsImported() {
        HistogramRecordingStorage st = new HistogramRecordingStorage();
        TestEnv env = new TestEnv(st, c -> {});
        byte[] body = families(List.of(
                family("jobs_total", 0, m -> m.msg(1, l -> l.string(1, "queue").string(2, "a")).msg(3, c -> c.dbl(1, 3)).uint(6, 1000)),
                family("temp", 1, m -> m.msg(2, g -> g.dbl(1, -4.5))),
                family("rpc", 2, m -> m.msg(4, s -> s.uint(1, 10).dbl(2, 2.5).msg(3, q -> q.dbl(1, 0.5).dbl(2, 0.2)))),
                family("classic", 4, m -> m.msg(7, h -> h.uint(1, 3).dbl(2, 1.5)
                        .msg(3, b -> b.uint(1, 1).dbl(2, 0.1)).msg(3, b -> b.uint(1, 2).dbl(2, 1)))),
                family("native", 4, m -> m.msg(7, nativeHistogram(3, 1.5, 3, new long[]{0, 2}, new long[]{1, 1})).uint(6, 2000)),
                family("gauge_native", 5, m -> m.msg(7, h -> h.dbl(4, 2.5).dbl(2, 1).sint(5, 0).dbl(6, 0.001).dbl(8, 0.5)
                        .msg(12, s -> s.sint(1, 1).uint(2, 1)).msg(14, p -> p.raw(RemoteWriteHistogramTest.le(2))))),
                // a native histogram without observations: only the empty span marks it as native
                family("empty_native", 4, m -> m.msg(7, h -> h.uint(1, 0).dbl(2, 0).sint(5, 3).msg(12, s -> s.sint(1, 0).uint(2, 0))))));
        var r = env.post("/api/v1/import/prometheus", PB, body);
        assertEquals(204, r.status(), r.body());
        long now = TestEnv.NOW;
        assertEquals(List.of(
                "classic_bucket{le=\"+Inf\"} " + now + "=3", "classic_bucket{le=\"0.1\"} " + now + "=1", "classic_bucket{le=\"1\"} " + now + "=2",
                "classic_count{} " + now + "=3", "classic_sum{} " + now + "=1.5",
                "jobs_total{queue=\"a\"} 1000=3",
                "rpc{quantile=\"0.5\"} " + now + "=0.2", "rpc_count{} " + now + "=10", "rpc_sum{} " + now + "=2.5",
                "temp{} " + now + "=-4.5"), env.dump());
        assertEquals(List.of("native{}", "gauge_native{}", "empty_native{}"), st.histograms.stream().map(x -> x.labels().toString()).toList());
        var n = st.histograms.get(0);
        assertEquals(2000, n.ts());
        assertEquals(3, n.h().schema);
        assertArrayEquals(new long[]{1, 1}, Arrays.copyOf(n.h().positiveBuckets, n.h().positiveCount));
        var g = st.histograms.get(1).fh();
        assertEquals(CounterResetHint.GAUGE, g.hint);
        assertEquals(2.5, g.count);
        assertEquals(0, st.histograms.get(2).h().positiveSpans.size());
        assertEquals("histogram", env.metadata.get("native").get(0).type());
        assertEquals("gaugehistogram", env.metadata.get("gauge_native").get(0).type());
        assertEquals("help of temp", env.metadata.get("temp").get(0).help());
    }

    @Test void invalidNativeHistogramRejectedAloneAndPushRules() {
        HistogramRecordingStorage st = new HistogramRecordingStorage();
        TestEnv env = new TestEnv(st, c -> {});
        byte[] body = families(List.of(
                family("bad", 4, m -> m.msg(7, nativeHistogram(5, 1, 0, new long[]{0, 2}, new long[]{1, 1}))),
                family("good", 4, m -> m.msg(7, nativeHistogram(2, 1, 0, new long[]{0, 1}, new long[]{2}))),
                family("stamped", 1, m -> m.msg(2, x -> x.dbl(1, 1)).uint(6, 5))));
        var r = env.call("PUT", "/metrics/job/batch/instance/i1", PB, body);
        assertEquals(400, r.status());
        assertTrue(r.body().contains("accepted 1 of 3 samples; rejected 2 (invalid_histogram: 1, timestamp_not_allowed: 1)"), r.body());
        assertTrue(r.body().contains("series bad{instance=\"i1\", job=\"batch\"}: histogram (schema 0) breaks rule count-mismatch"), r.body());
        assertEquals(List.of("good{instance=\"i1\", job=\"batch\"}"), st.histograms.stream().map(x -> x.labels().toString()).toList());
        assertEquals(TestEnv.NOW, st.histograms.get(0).ts());
        // truncated: nothing of the request is stored
        byte[] cut = Arrays.copyOf(body, body.length - 3);
        var m = env.post("/api/v1/import/prometheus", PB, cut);
        assertEquals(400, m.status());
        assertTrue(m.body().startsWith("malformed protobuf exposition body: ") && m.body().endsWith("nothing from this request was stored"), m.body());
        assertEquals(1, st.histograms.size());
    }

    /** Both sides of native histograms, deltas and counts packed and not, and a packed count run cut mid-double. */
    @Test void nativeHistogramNegativeSidePackedAndUnpackedBuckets() {
        HistogramRecordingStorage st = new HistogramRecordingStorage();
        TestEnv env = new TestEnv(st, c -> {});
        byte[] body = families(List.of(
                family("ints", 4, m -> m.msg(7, h -> h.uint(1, 7).dbl(2, 2).sint(5, 0).dbl(6, 0.001).uint(7, 1)
                        .msg(12, s -> s.sint(1, 0).uint(2, 2)).msg(13, p -> p.varint(2).varint(2)) // packed zigzag deltas 1, 1
                        .msg(9, s -> s.sint(1, 1).uint(2, 1)).sint(10, 3))),                       // an unpacked negative delta
                family("floats", 4, m -> m.msg(7, h -> h.dbl(4, 4).dbl(2, 1).sint(5, 1).dbl(6, 0.001).dbl(8, 0.5)
                        .msg(12, s -> s.sint(1, -1).uint(2, 2)).msg(14, p -> p.raw(RemoteWriteHistogramTest.le(1)).raw(RemoteWriteHistogramTest.le(1.5)))
                        .msg(9, s -> s.sint(1, 2).uint(2, 1)).dbl(11, 1)))));                       // an unpacked negative count
        var r = env.post("/api/v1/import/prometheus", PB, body);
        assertEquals(204, r.status(), r.body());
        assertEquals(2, st.histograms.size());
        var h = st.histograms.get(0).h();
        assertEquals(7, h.count);
        assertEquals(1, h.zeroCount);
        assertEquals("[0:2]", h.positiveSpans.toString());
        assertArrayEquals(new long[]{1, 1}, Arrays.copyOf(h.positiveBuckets, h.positiveCount));
        assertEquals("[1:1]", h.negativeSpans.toString());
        assertArrayEquals(new long[]{3}, Arrays.copyOf(h.negativeBuckets, h.negativeCount));
        var f = st.histograms.get(1).fh();
        assertEquals(1, f.schema);
        assertEquals(4, f.count);
        assertEquals(0.5, f.zeroCount);
        assertEquals(0.001, f.zeroThreshold);
        assertEquals("[-1:2]", f.positiveSpans.toString());
        assertArrayEquals(new double[]{1, 1.5}, Arrays.copyOf(f.positiveBuckets, f.positiveCount));
        assertEquals("[2:1]", f.negativeSpans.toString());
        assertArrayEquals(new double[]{1}, Arrays.copyOf(f.negativeBuckets, f.negativeCount));

        byte[] cut = families(List.of(
                family("fine", 1, m -> m.msg(2, g -> g.dbl(1, 1))),
                family("cut", 4, m -> m.msg(7, x -> x.dbl(4, 1).sint(5, 0).msg(12, s -> s.sint(1, 0).uint(2, 1))
                        .bytes(14, Arrays.copyOf(RemoteWriteHistogramTest.le(1), 12))))));
        var bad = env.post("/api/v1/import/prometheus", PB, cut);
        assertEquals(400, bad.status());
        assertTrue(bad.body().contains("packed positive_count of 12 bytes is not a multiple of 8")
                && bad.body().endsWith("nothing from this request was stored"), bad.body());
        assertEquals(2, st.histograms.size());
        assertTrue(env.dump().isEmpty(), env.dump().toString());
    }
}
