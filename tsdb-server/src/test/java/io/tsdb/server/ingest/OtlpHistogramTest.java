package io.tsdb.server.ingest;

import io.tsdb.core.histogram.Histogram;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

import static io.tsdb.server.ingest.OtlpHandlerTest.JSON;
import static io.tsdb.server.ingest.OtlpHandlerTest.PB;
import static io.tsdb.server.ingest.OtlpHandlerTest.T;
import static io.tsdb.server.ingest.OtlpHandlerTest.T_MS;
import static io.tsdb.server.ingest.OtlpHandlerTest.request;
import static io.tsdb.server.ingest.TestEnv.utf8;
import static org.junit.jupiter.api.Assertions.*;

/** OTLP exponential histograms as native histograms: index offset, down-scaling, validation, JSON = protobuf. */
class OtlpHistogramTest {
    /** An ExponentialHistogramDataPoint (count, sum, scale, zero count, positive and negative buckets as offset + counts). */
    static Consumer<ProtoWriter> point(long count, double sum, int scale, long zero, int posOff, long[] pos, int negOff, long[] neg, int flags) {
        return p -> {
            p.msg(1, OtlpHandlerTest.kv("rpc.method", "Get"));
            p.fixed64(3, T).fixed64(4, count).dbl(5, sum).sint(6, scale).fixed64(7, zero);
            if (pos.length > 0) p.msg(8, b -> b.sint(1, posOff).msg(2, pk -> { for (long c : pos) pk.varint(c); }));
            if (neg.length > 0) p.msg(9, b -> { b.sint(1, negOff); for (long c : neg) b.uint(2, c); }); // unpacked
            if (flags != 0) p.uint(10, flags);
        };
    }

    static byte[] exp(String name, Consumer<ProtoWriter> point) {
        return request(sm -> sm.msg(2, m -> m.string(1, name).string(3, "s").msg(10, e -> e.msg(1, point).uint(2, 2))));
    }

    static String layout(Histogram h) {
        return "schema=" + h.schema + " count=" + h.count + " sum=" + h.sum + " zero=" + h.zeroCount + "@" + h.zeroThreshold
                + " pos=" + h.positiveSpans + Arrays.toString(Arrays.copyOf(h.positiveBuckets, h.positiveCount))
                + " neg=" + h.negativeSpans + Arrays.toString(Arrays.copyOf(h.negativeBuckets, h.negativeCount));
    }

    @Test void exponentialHistogramBecomesNativeHistogramWithShiftedIndexes() {
        HistogramRecordingStorage st = new HistogramRecordingStorage();
        TestEnv env = new TestEnv(st, c -> {});
        // OTLP bucket i covers (base^i, base^(i+1)]: the native bucket with that upper bound is i+1
        var r = env.post("/api/v1/otlp/v1/metrics", PB, exp("rpc.duration",
                point(8, 12.5, 2, 1, -2, new long[]{1, 0, 0, 0, 2, 3}, 0, new long[]{1}, 0)));
        assertEquals(200, r.status(), r.body());
        assertEquals(1, st.histograms.size());
        var s = st.histograms.get(0);
        assertEquals("rpc_duration_seconds{instance=\"pod-1\", job=\"shop/checkout\", rpc_method=\"Get\"}", s.labels().toString());
        assertEquals(T_MS, s.ts());
        // three empty buckets between -1 and 3 start a new span; two or fewer would be kept as zeros
        assertEquals("schema=2 count=8 sum=12.5 zero=1@1.0E-128 pos=[-1:1, 3:2][1, 1, 1] neg=[1:1][1]", layout(s.h()));
        assertEquals("histogram", env.metadata.get("rpc_duration_seconds").get(0).type());
        // the same point in OTLP JSON
        HistogramRecordingStorage st2 = new HistogramRecordingStorage();
        TestEnv env2 = new TestEnv(st2, c -> {});
        String json = """
            {"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"checkout"}},
              {"key":"service.namespace","value":{"stringValue":"shop"}},{"key":"service.instance.id","value":{"stringValue":"pod-1"}}]},
             "scopeMetrics":[{"metrics":[{"name":"rpc.duration","unit":"s","exponentialHistogram":{"aggregationTemporality":2,"dataPoints":[
               {"attributes":[{"key":"rpc.method","value":{"stringValue":"Get"}}],"timeUnixNano":"1700000000000000000","count":"8","sum":12.5,
                "scale":2,"zeroCount":"1","positive":{"offset":-2,"bucketCounts":["1","0","0","0","2","3"]},"negative":{"bucketCounts":["1"]}}]}}]}]}]}
            """;
        r = env2.post("/api/v1/otlp/v1/metrics", JSON, utf8(json));
        assertEquals(200, r.status(), r.body());
        assertEquals(st.histograms.toString(), st2.histograms.toString());
    }

    @Test void scaleAbove8IsMergedDownAndGapsOfTwoKept() {
        HistogramRecordingStorage st = new HistogramRecordingStorage();
        TestEnv env = new TestEnv(st, c -> {});
        // scale 10 -> 8: OTLP indexes 3..7 map to native ((i >> 2) + 1): 3 -> 1, 4..7 -> 2; then 11 -> 3 after no gap,
        // 20 -> 6 after a gap of two empty buckets (4, 5), kept as zeros in the same span
        long[] pos = new long[18];
        pos[0] = pos[1] = pos[2] = pos[3] = pos[4] = 1; // idx 3..7
        pos[8] = 2;                                      // idx 11
        pos[17] = 4;                                     // idx 20
        var r = env.post("/api/v1/otlp/v1/metrics", PB, exp("fine", point(11, 1, 10, 0, 3, pos, 0, new long[0], 0)));
        assertEquals(200, r.status(), r.body());
        assertEquals("schema=8 count=11 sum=1.0 zero=0@1.0E-128 pos=[1:6][1, 3, -2, -2, 0, 4] neg=[][]", layout(st.histograms.get(0).h()));
    }

    @Test void scaleBelowMinus4AndInvalidPointsRejectedAloneOthersStored() {
        HistogramRecordingStorage st = new HistogramRecordingStorage();
        TestEnv env = new TestEnv(st, c -> {});
        byte[] req = request(sm -> {
            sm.msg(2, m -> m.string(1, "coarse").msg(10, e -> e.msg(1, point(1, 1, -5, 0, 0, new long[]{1}, 0, new long[0], 0)).uint(2, 2)));
            sm.msg(2, m -> m.string(1, "miscounted").msg(10, e -> e.msg(1, point(5, 1, 0, 0, 0, new long[]{1, 1}, 0, new long[0], 0)).uint(2, 2)));
            sm.msg(2, m -> m.string(1, "good").msg(10, e -> e.msg(1, point(2, 1, 0, 0, 0, new long[]{1, 1}, 0, new long[0], 0)).uint(2, 2)));
            sm.msg(2, m -> m.string(1, "gone").msg(10, e -> e.msg(1, point(0, 0, 0, 0, 0, new long[0], 0, new long[0], 1)).uint(2, 2)));
            sm.msg(2, m -> m.string(1, "ok.gauge").msg(5, g -> g.msg(1, p -> p.fixed64(3, T).dbl(4, 1))));
        });
        var r = env.post("/api/v1/otlp/v1/metrics", PB, req);
        assertEquals(400, r.status());
        String b = r.body();
        assertTrue(b.contains("accepted 3 of 5 samples; rejected 2 (invalid_histogram: 2)"), b);
        assertTrue(b.contains("series coarse{instance=\"pod-1\", job=\"shop/checkout\", rpc_method=\"Get\"}: exponential histogram at timestamp "
                + T_MS + " has scale -5, below -4"), b);
        assertTrue(b.contains("series miscounted{") && b.contains("breaks rule count-mismatch"), b);
        assertEquals(List.of("good", "gone"), st.histograms.stream().map(x -> x.labels().metricName()).toList());
        assertTrue(st.histograms.get(1).h().isStale());
        assertEquals(1, env.dump().size());
    }

    @Test void deltaExponentialHistogramsRejected() {
        HistogramRecordingStorage st = new HistogramRecordingStorage();
        TestEnv env = new TestEnv(st, c -> {});
        byte[] req = request(sm -> sm.msg(2, m -> m.string(1, "d").msg(10, e -> e.msg(1, point(1, 1, 0, 1, 0, new long[0], 0, new long[0], 0)).uint(2, 1))));
        var r = env.post("/api/v1/otlp/v1/metrics", PB, req);
        assertEquals(400, r.status());
        assertTrue(r.body().contains("delta_temporality: 1"), r.body());
        assertTrue(st.histograms.isEmpty());
    }
}
