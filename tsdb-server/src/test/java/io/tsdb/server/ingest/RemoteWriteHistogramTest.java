package io.tsdb.server.ingest;

import io.tsdb.core.StaleNaN;
import io.tsdb.core.histogram.CounterResetHint;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.function.Consumer;

import static io.tsdb.server.ingest.RemoteWriteHandlerTest.V1;
import static io.tsdb.server.ingest.RemoteWriteHandlerTest.V2;
import static io.tsdb.server.ingest.RemoteWriteHandlerTest.snappy;
import static org.junit.jupiter.api.Assertions.*;

/** Native histograms over remote write 1.0 and 2.0: decoding, reduction of reserved schemas, validation and partial rejection. */
class RemoteWriteHistogramTest {
    /** Histogram message fields (same numbers in 1.0 and 2.0). */
    static Consumer<ProtoWriter> intHistogram(long ts, int schema, long count, double sum, long[] spans, long[] deltas) {
        return h -> {
            h.uint(1, count).dbl(3, sum).sint(4, schema);
            for (int i = 0; i < spans.length; i += 2) { long off = spans[i], len = spans[i + 1]; h.msg(11, s -> s.sint(1, off).uint(2, len)); }
            h.msg(12, p -> { for (long d : deltas) p.varint((d << 1) ^ (d >> 63)); }); // packed sint64
            h.uint(15, ts);
        };
    }

    static byte[] v1(String name, Consumer<ProtoWriter> histogram) {
        ProtoWriter w = new ProtoWriter();
        w.msg(1, s -> { s.msg(1, l -> l.string(1, "__name__").string(2, name)); s.msg(4, histogram); });
        return w.toByteArray();
    }

    @Test void v1IntegerHistogramStoredWithEveryField() {
        HistogramRecordingStorage st = new HistogramRecordingStorage();
        TestEnv env = new TestEnv(st, c -> {});
        ProtoWriter w = new ProtoWriter();
        w.msg(1, s -> {
            s.msg(1, l -> l.string(1, "__name__").string(2, "rpc_seconds"));
            s.msg(1, l -> l.string(1, "job").string(2, "api"));
            s.msg(4, h -> {
                h.uint(1, 6).dbl(3, 10.5).sint(4, 0).dbl(5, 0.001).uint(6, 1);
                h.msg(8, sp -> sp.sint(1, -1).uint(2, 1));
                h.sint(9, 1);                         // an unpacked negative delta
                h.msg(11, sp -> sp.sint(1, 0).uint(2, 2));
                h.msg(11, sp -> sp.sint(1, 1).uint(2, 1));
                h.msg(12, p -> p.varint(2).varint(2).varint(1)); // packed zigzag deltas 1, 1, -1
                h.uint(14, 2).uint(15, 1000);
            });
        });
        w.msg(1, s -> { s.msg(1, l -> l.string(1, "__name__").string(2, "up")); s.msg(2, x -> x.dbl(1, 1).uint(2, 1000)); });
        var r = env.post("/api/v1/write", V1, snappy(w.toByteArray()));
        assertEquals(204, r.status(), r.body());
        assertEquals(List.of("up{} 1000=1"), env.dump());
        assertEquals(1, st.histograms.size());
        var s = st.histograms.get(0);
        assertEquals("rpc_seconds{job=\"api\"}", s.labels().toString());
        assertEquals(1000, s.ts());
        var h = s.h();
        assertEquals(0, h.schema);
        assertEquals(6, h.count);
        assertEquals(10.5, h.sum);
        assertEquals(0.001, h.zeroThreshold);
        assertEquals(1, h.zeroCount);
        assertEquals(CounterResetHint.NOT_COUNTER_RESET, h.hint);
        assertEquals("[0:2, 1:1]", h.positiveSpans.toString());
        assertArrayEquals(new long[]{1, 1, -1}, java.util.Arrays.copyOf(h.positiveBuckets, h.positiveCount));
        assertEquals("[-1:1]", h.negativeSpans.toString());
        assertArrayEquals(new long[]{1}, java.util.Arrays.copyOf(h.negativeBuckets, h.negativeCount));
        assertTrue(env.scrape().contains("tsdb_ingest_samples_accepted_total{protocol=\"remote_write\"} 2.0"), env.scrape());
    }

    @Test void v2FloatAndCustomBucketHistogramsAndWrittenHeaders() {
        HistogramRecordingStorage st = new HistogramRecordingStorage();
        TestEnv env = new TestEnv(st, c -> {});
        ProtoWriter w = new ProtoWriter();
        for (String s : new String[]{"", "__name__", "lat", "kind", "float", "nhcb"}) w.string(4, s);
        w.msg(5, ts -> {
            ts.msg(1, p -> p.varint(1).varint(2).varint(3).varint(4));
            ts.msg(3, h -> {
                h.dbl(2, 3.5).dbl(3, 2).sint(4, 1).uint(14, 3).uint(15, 2000);
                h.msg(11, sp -> sp.sint(1, -1).uint(2, 2));
                h.msg(13, p -> p.raw(le(1.5)).raw(le(2.0)));        // packed doubles
                h.sint(12, 99);                                       // deltas are ignored by a float histogram
            });
        });
        w.msg(5, ts -> {
            ts.msg(1, p -> p.varint(1).varint(2).varint(3).varint(5));
            ts.msg(3, intHistogram(3000, -53, 4, 1.25, new long[]{0, 4}, new long[]{1, 0, 1, -2}).andThen(h -> h.msg(16, p -> p.raw(le(0.1)).raw(le(0.5)).raw(le(1)))));
            ts.msg(3, intHistogram(4000, -53, 5, 1.5, new long[]{0, 4}, new long[]{1, 0, 1, -1}).andThen(h -> h.msg(16, p -> p.raw(le(0.1)).raw(le(0.5)).raw(le(1)))));
        });
        var r = env.post("/api/v1/write", V2, snappy(w.toByteArray()));
        assertEquals(204, r.status(), r.body());
        assertEquals("0", r.headers().get("X-Prometheus-Remote-Write-Samples-Written"));
        assertEquals("3", r.headers().get("X-Prometheus-Remote-Write-Histograms-Written"));
        assertEquals(3, st.histograms.size());
        var f = st.histograms.get(0).fh();
        assertNotNull(f);
        assertEquals("lat{kind=\"float\"}", st.histograms.get(0).labels().toString());
        assertEquals(3.5, f.count);
        assertEquals(CounterResetHint.GAUGE, f.hint);
        assertArrayEquals(new double[]{1.5, 2.0}, java.util.Arrays.copyOf(f.positiveBuckets, f.positiveCount));
        var c = st.histograms.get(1).h();
        assertEquals(-53, c.schema);
        assertArrayEquals(new double[]{0.1, 0.5, 1}, c.customValues);
        // the bounds of consecutive samples are one shared array, not one per sample
        assertSame(c.customValues, st.histograms.get(2).h().customValues);
    }

    @Test void reservedFinerSchemaIsReducedTo8() {
        HistogramRecordingStorage st = new HistogramRecordingStorage();
        TestEnv env = new TestEnv(st, c -> {});
        // schema 10: buckets 1..4 all fall into bucket 1 of schema 8; bucket 5 into bucket 2
        var r = env.post("/api/v1/write", V1, snappy(v1("fine", intHistogram(5, 10, 7, 3, new long[]{1, 5}, new long[]{1, 0, 0, 0, 2}))));
        assertEquals(204, r.status(), r.body());
        var h = st.histograms.get(0).h();
        assertEquals(8, h.schema);
        assertEquals("[1:2]", h.positiveSpans.toString());
        assertArrayEquals(new long[]{4, -1}, java.util.Arrays.copyOf(h.positiveBuckets, h.positiveCount));
    }

    /** Float counts unpacked and packed on both sides, reduced from a reserved schema; custom bounds unpacked. */
    @Test void floatHistogramReducedAndUnpackedCountsAndBounds() {
        HistogramRecordingStorage st = new HistogramRecordingStorage();
        TestEnv env = new TestEnv(st, c -> {});
        ProtoWriter w = new ProtoWriter();
        w.msg(1, s -> {
            s.msg(1, l -> l.string(1, "__name__").string(2, "fine_float"));
            s.msg(4, h -> {
                h.dbl(2, 6).dbl(3, 2).sint(4, 10).uint(15, 1000);
                h.msg(11, sp -> sp.sint(1, 1).uint(2, 4));
                for (int i = 0; i < 4; i++) h.dbl(13, 1);            // unpacked positive counts
                h.msg(8, sp -> sp.sint(1, 1).uint(2, 1));
                h.msg(10, p -> p.raw(le(2)));                         // packed negative counts
            });
        });
        w.msg(1, s -> {
            s.msg(1, l -> l.string(1, "__name__").string(2, "nhcb"));
            s.msg(4, intHistogram(2000, -53, 3, 1, new long[]{0, 2}, new long[]{1, 1}).andThen(h -> h.dbl(16, 0.5).dbl(16, 1))); // unpacked bounds
        });
        var r = env.post("/api/v1/write", V1, snappy(w.toByteArray()));
        assertEquals(204, r.status(), r.body());
        var f = st.histograms.get(0).fh();
        assertEquals(8, f.schema);
        assertEquals(6, f.count);
        assertEquals("[1:1]", f.positiveSpans.toString());
        assertArrayEquals(new double[]{4}, java.util.Arrays.copyOf(f.positiveBuckets, f.positiveCount));
        assertEquals("[1:1]", f.negativeSpans.toString());
        assertArrayEquals(new double[]{2}, java.util.Arrays.copyOf(f.negativeBuckets, f.negativeCount));
        var c = st.histograms.get(1).h();
        assertEquals(-53, c.schema);
        assertArrayEquals(new double[]{0.5, 1}, c.customValues);
        assertArrayEquals(new long[]{1, 1}, java.util.Arrays.copyOf(c.positiveBuckets, c.positiveCount));

        // packed float counts that are not whole doubles: the request is refused, nothing of it stored
        ProtoWriter cut = new ProtoWriter();
        cut.msg(1, s -> { s.msg(1, l -> l.string(1, "__name__").string(2, "up")); s.msg(2, x -> x.dbl(1, 1).uint(2, 1)); });
        cut.msg(1, s -> { s.msg(1, l -> l.string(1, "__name__").string(2, "cut")); s.msg(4, h -> h.dbl(2, 1).msg(11, sp -> sp.sint(1, 0).uint(2, 1)).bytes(13, new byte[5])); });
        var bad = env.post("/api/v1/write", V1, snappy(cut.toByteArray()));
        assertEquals(400, bad.status());
        assertTrue(bad.body().contains("packed positive_counts of 5 bytes is not a multiple of 8") && bad.body().endsWith("nothing from this request was stored"), bad.body());
        assertEquals(2, st.histograms.size());
        assertTrue(env.dump().isEmpty(), env.dump().toString());
    }

    @Test void invalidHistogramsRejectedAloneNamingSeriesAndRule() {
        HistogramRecordingStorage st = new HistogramRecordingStorage();
        TestEnv env = new TestEnv(st, c -> {});
        ProtoWriter w = new ProtoWriter();
        Object[][] bad = {
                {"neg_bucket", intHistogram(1, 0, 1, 1, new long[]{0, 2}, new long[]{2, -3}), "negative-bucket-count"},
                {"spans_mismatch", intHistogram(1, 0, 2, 1, new long[]{0, 3}, new long[]{1, 0}), "spans-buckets-mismatch"},
                {"count_low", intHistogram(1, 0, 3, 1, new long[]{0, 2}, new long[]{2, 0}), "count-mismatch"},
                {"count_low_nan", intHistogram(1, 0, 3, Double.NaN, new long[]{0, 2}, new long[]{2, 0}), "count-not-big-enough"},
                {"schema_60", intHistogram(1, 60, 1, 1, new long[]{0, 1}, new long[]{1}), "invalid-schema"},
                {"schema_minus7", intHistogram(1, -7, 1, 1, new long[]{0, 1}, new long[]{1}), "invalid-schema"},
                {"reserved_bad_spans", intHistogram(1, 12, 1, 1, new long[]{0, 3}, new long[]{1}), "spans-buckets-mismatch"},
        };
        for (Object[] b : bad) {
            @SuppressWarnings("unchecked") Consumer<ProtoWriter> h = (Consumer<ProtoWriter>) b[1];
            w.msg(1, s -> { s.msg(1, l -> l.string(1, "__name__").string(2, (String) b[0])); s.msg(4, h); });
        }
        w.msg(1, s -> { s.msg(1, l -> l.string(1, "__name__").string(2, "good")); s.msg(4, intHistogram(1, 3, 2, 1, new long[]{0, 1}, new long[]{2})); });
        w.msg(1, s -> { s.msg(1, l -> l.string(1, "__name__").string(2, "stale")); s.msg(4, h -> h.dbl(3, StaleNaN.VALUE).uint(15, 2)); });
        w.msg(1, s -> { s.msg(1, l -> l.string(1, "__name__").string(2, "up")); s.msg(2, x -> x.dbl(1, 1).uint(2, 1)); });
        var r = env.post("/api/v1/write", V1, snappy(w.toByteArray()));
        assertEquals(400, r.status());
        String body = r.body();
        assertTrue(body.startsWith("accepted 3 of 10 samples; rejected 7 (invalid_histogram: 7)"), body);
        for (Object[] b : bad) {
            assertTrue(body.contains("series " + b[0] + "{}: histogram at timestamp 1 (schema ") && body.contains("breaks rule " + b[2]), b[0] + ": " + body);
        }
        assertTrue(body.contains("series neg_bucket{}: histogram at timestamp 1 (schema 0) breaks rule negative-bucket-count: positive side: bucket number 2 has observation count of -1"), body);
        assertTrue(body.contains("series schema_60{}: histogram at timestamp 1 (schema 60) breaks rule invalid-schema"), body);
        // the valid histogram, the stale marker and the float sample of the same request are stored; nothing of the invalid ones
        assertEquals(List.of("good{}", "stale{}"), st.histograms.stream().map(x -> x.labels().toString()).toList());
        assertTrue(st.histograms.get(1).h().isStale());
        assertEquals(List.of("up{} 1=1"), env.dump());
        assertTrue(env.scrape().contains("tsdb_ingest_samples_rejected_total{protocol=\"remote_write\",reason=\"invalid_histogram\"} 7.0"), env.scrape());
    }

    @Test void storageWithoutHistogramsAnswersWhy() {
        TestEnv env = new TestEnv(new HistogramRecordingStorage(false), c -> {});
        var r = env.post("/api/v1/write", V1, snappy(v1("h", intHistogram(7, 0, 2, 1, new long[]{0, 1}, new long[]{2}))));
        assertEquals(400, r.status());
        assertTrue(r.body().contains("histograms_unsupported: 1"), r.body());
    }

    @Test void truncatedHistogramRollsBackWholeRequest() {
        HistogramRecordingStorage st = new HistogramRecordingStorage();
        TestEnv env = new TestEnv(st, c -> {});
        ProtoWriter w = new ProtoWriter();
        w.msg(1, s -> { s.msg(1, l -> l.string(1, "__name__").string(2, "up")); s.msg(2, x -> x.dbl(1, 1).uint(2, 1)); });
        w.msg(1, s -> { s.msg(1, l -> l.string(1, "__name__").string(2, "good")); s.msg(4, intHistogram(1, 3, 2, 1, new long[]{0, 1}, new long[]{2})); });
        // a histogram whose packed deltas end in the middle of a varint
        w.msg(1, s -> { s.msg(1, l -> l.string(1, "__name__").string(2, "cut")); s.msg(4, h -> h.uint(1, 1).bytes(12, new byte[]{(byte) 0x82})); });
        var r = env.post("/api/v1/write", V1, snappy(w.toByteArray()));
        assertEquals(400, r.status());
        assertTrue(r.body().contains("truncated varint") && r.body().endsWith("nothing from this request was stored"), r.body());
        assertTrue(st.histograms.isEmpty());
        assertTrue(env.dump().isEmpty());
    }

    /** 2.0 start timestamps (per sample, and rc.3's series-level created_timestamp) with and without zero ingestion. */
    @Test void v2StartTimestampsStoreZeroSamplesWhenEnabled() {
        ProtoWriter w = new ProtoWriter();
        for (String s : new String[]{"", "__name__", "req_total", "lat", "old_total"}) w.string(4, s);
        w.msg(5, ts -> { ts.msg(1, p -> p.varint(1).varint(2)); ts.msg(2, x -> x.dbl(1, 5).uint(2, 10_000).uint(3, 4_000)); });
        w.msg(5, ts -> { ts.msg(1, p -> p.varint(1).varint(3)); ts.msg(3, intHistogram(10_000, 2, 3, 1.5, new long[]{0, 1}, new long[]{3}).andThen(h -> h.uint(17, 6_000))); });
        w.msg(5, ts -> { ts.msg(1, p -> p.varint(1).varint(4)); ts.uint(6, 2_000); ts.msg(2, x -> x.dbl(1, 7).uint(2, 10_000)); });
        byte[] body = snappy(w.toByteArray());

        HistogramRecordingStorage off = new HistogramRecordingStorage();
        TestEnv plain = new TestEnv(off, c -> {});
        assertEquals(204, plain.post("/api/v1/write", V2, body).status());
        assertEquals(List.of("old_total{} 10000=7", "req_total{} 10000=5"), plain.dump());
        assertEquals(1, off.histograms.size());

        HistogramRecordingStorage on = new HistogramRecordingStorage();
        TestEnv env = new TestEnv(on, c -> c.ingestStartTimestampZeros = true);
        var r = env.post("/api/v1/write", V2, body);
        assertEquals(204, r.status(), r.body());
        // the zero samples are stored but are not samples of the request
        assertEquals("2", r.headers().get("X-Prometheus-Remote-Write-Samples-Written"));
        assertEquals("1", r.headers().get("X-Prometheus-Remote-Write-Histograms-Written"));
        assertEquals(List.of("old_total{} 2000=0", "old_total{} 10000=7", "req_total{} 4000=0", "req_total{} 10000=5"), env.dump());
        assertEquals(2, on.histograms.size());
        var zero = on.histograms.get(0);
        assertEquals(6_000, zero.ts());
        assertEquals(0, zero.h().count);
        assertEquals(2, zero.h().schema);
        assertEquals(io.tsdb.core.histogram.CounterResetHint.COUNTER_RESET, zero.h().hint);
        assertEquals(10_000, on.histograms.get(1).ts());
        // the start timestamp of a later request is already stored: no error, nothing new at 4000
        assertEquals(204, env.post("/api/v1/write", V2, body).status());
    }

    static byte[] le(double d) {
        long v = Double.doubleToRawLongBits(d);
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) b[i] = (byte) (v >>> (8 * i));
        return b;
    }
}
