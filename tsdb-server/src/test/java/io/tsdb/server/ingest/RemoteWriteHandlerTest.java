package io.tsdb.server.ingest;

import io.airlift.compress.snappy.SnappyCompressor;
import io.airlift.compress.zstd.ZstdCompressor;
import io.tsdb.core.StaleNaN;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.*;

public class RemoteWriteHandlerTest {
    static final Map<String, String> V1 = Map.of("Content-Type", "application/x-protobuf", "Content-Encoding", "snappy",
            "X-Prometheus-Remote-Write-Version", "0.1.0");
    static final Map<String, String> V2 = Map.of("Content-Type", "application/x-protobuf;proto=io.prometheus.write.v2.Request",
            "Content-Encoding", "snappy", "X-Prometheus-Remote-Write-Version", "2.0.0");

    static byte[] snappy(byte[] in) {
        SnappyCompressor c = new SnappyCompressor();
        byte[] out = new byte[c.maxCompressedLength(in.length)];
        int n = c.compress(in, 0, in.length, out, 0, out.length);
        return Arrays.copyOf(out, n);
    }

    public static byte[] zstd(byte[] in) {
        ZstdCompressor c = new ZstdCompressor();
        byte[] out = new byte[c.maxCompressedLength(in.length)];
        int n = c.compress(in, 0, in.length, out, 0, out.length);
        return Arrays.copyOf(out, n);
    }

    public static byte[] gzip(byte[] in) {
        try {
            ByteArrayOutputStream bos = new ByteArrayOutputStream();
            try (GZIPOutputStream g = new GZIPOutputStream(bos)) { g.write(in); }
            return bos.toByteArray();
        } catch (java.io.IOException e) { throw new AssertionError(e); }
    }

    /** A v1 TimeSeries: labels as name/value pairs, samples as (ts, value) pairs. */
    static void series(ProtoWriter w, String[] labels, long[] ts, double[] vs) {
        w.msg(1, s -> {
            for (int i = 0; i < labels.length; i += 2) {
                String n = labels[i], v = labels[i + 1];
                s.msg(1, l -> l.string(1, n).string(2, v));
            }
            for (int i = 0; i < ts.length; i++) {
                long t = ts[i];
                double v = vs[i];
                s.msg(2, smp -> smp.dbl(1, v).uint(2, t));
            }
        });
    }

    static byte[] v1Request() {
        ProtoWriter w = new ProtoWriter();
        series(w, new String[]{"__name__", "up", "job", "node", "instance", "a:9100"}, new long[]{1000, 2000}, new double[]{1, StaleNaN.VALUE});
        series(w, new String[]{"__name__", "http_requests_total", "code", "200"}, new long[]{1500}, new double[]{42.5});
        w.msg(3, m -> m.uint(1, 1).string(2, "http_requests_total").string(4, "Requests served.").string(5, ""));
        return w.toByteArray();
    }

    @Test void v1StoresSamplesStaleMarkersAndMetadata() {
        TestEnv env = new TestEnv();
        var r = env.post("/api/v1/write", V1, snappy(v1Request()));
        assertEquals(204, r.status(), r.body());
        assertEquals(List.of(
                "http_requests_total{code=\"200\"} 1500=42.5",
                "up{instance=\"a:9100\", job=\"node\"} 1000=1",
                "up{instance=\"a:9100\", job=\"node\"} 2000=stale"), env.dump());
        assertEquals("counter", env.metadata.get("http_requests_total").get(0).type());
        assertEquals("Requests served.", env.metadata.get("http_requests_total").get(0).help());
        assertEquals(1, env.commits.size());
        assertArrayEquals(new long[]{1000, 2000}, env.commits.get(0));
        assertTrue(env.scrape().contains("tsdb_ingest_samples_accepted_total{protocol=\"remote_write\"} 3.0"), env.scrape());
        // a second request with the same series hits the label cache and still stores correctly
        assertEquals(204, env.post("/api/v1/write", V1, snappy(v1Request())).status());
        assertEquals(3, env.dump().size());
    }

    /**
     * Consecutive series whose label strings at one place are equal, differ in one byte at equal length, are not
     * ASCII, or are prefixes of the ones before: the decoder takes a string from the series before (by place) only when
     * its bytes are equal, so every series is stored with its own labels.
     */
    @Test void labelStringsOfTheSeriesBeforeAreReusedOnlyWhenEqual() {
        String[][] sets = {
                {"__name__", "m", "job", "node", "pod", "pod-a1"},
                {"__name__", "m", "job", "node", "pod", "pod-b1"},
                {"__name__", "m", "job", "nod\u00e9", "pod", "pod-b1"},
                {"__name__", "m", "job", "nod\u00e9", "pod", "pod-b2"},
                {"__name__", "m", "job", "node", "zone", "pod-b2"},
                {"__name__", "m2", "job", "nod", "pod", "pod-b"},
        };
        ProtoWriter w = new ProtoWriter();
        for (int i = 0; i < sets.length; i++) series(w, sets[i], new long[]{1000 + i}, new double[]{i});
        TestEnv env = new TestEnv();
        assertEquals(204, env.post("/api/v1/write", V1, snappy(w.toByteArray())).status());
        assertEquals(List.of(
                "m2{job=\"nod\", pod=\"pod-b\"} 1005=5",
                "m{job=\"node\", pod=\"pod-a1\"} 1000=0",
                "m{job=\"node\", pod=\"pod-b1\"} 1001=1",
                "m{job=\"node\", zone=\"pod-b2\"} 1004=4",
                "m{job=\"nod\u00e9\", pod=\"pod-b1\"} 1002=2",
                "m{job=\"nod\u00e9\", pod=\"pod-b2\"} 1003=3"), env.dump().stream().sorted().toList());
    }

    /** A request of over 1 MiB decompressed: one series of n samples (the usual layout), one of 2 in fields reversed. */
    static byte[] largeRequest(long t0, int n) {
        ProtoWriter w = new ProtoWriter();
        long[] ts = new long[n];
        double[] vs = new double[n];
        for (int i = 0; i < n; i++) { ts[i] = t0 + i * 1000L; vs[i] = i % 7 == 0 ? i + 0.25 : i; }
        series(w, new String[]{"__name__", "big", "job", "j"}, ts, vs);
        w.msg(1, s -> {
            s.msg(1, l -> l.string(1, "__name__").string(2, "reversed"));
            s.msg(2, smp -> smp.uint(2, t0).dbl(1, 1.5));
            s.msg(2, smp -> smp.uint(2, t0 + 1000).dbl(1, -2));
        });
        return w.toByteArray();
    }

    @Test void largeBodiesInEitherSampleLayoutAreStoredAndTheirArrayKept() {
        TestEnv env = new TestEnv();
        int n = 70_000;
        byte[] first = largeRequest(1_000_000, n);
        assertTrue(first.length > BodyBuffers.MIN_BYTES, "decompressed " + first.length);
        BodyBuffers.clear();
        assertEquals(204, env.post("/api/v1/write", V1, snappy(first)).status());
        assertTrue(BodyBuffers.heldBytes() >= first.length, "the body's array is kept for the next request");
        assertEquals(204, env.post("/api/v1/write", V1, snappy(largeRequest(1_000_000 + n * 1000L, n))).status());
        List<String> dump = env.dump();
        assertEquals(2 * n + 4, dump.size());
        assertTrue(dump.contains("big{job=\"j\"} 1000000=0.25"), dump.get(0));
        assertTrue(dump.contains("big{job=\"j\"} 1007000=7.25"));
        assertTrue(dump.contains("big{job=\"j\"} " + (1_000_000 + (2 * n - 1) * 1000L) + "=" + (n - 1)));
        assertTrue(dump.stream().anyMatch(d -> d.startsWith("reversed") && d.endsWith(" 1000000=1.5")), dump.get(dump.size() - 1));
        assertTrue(dump.stream().anyMatch(d -> d.startsWith("reversed") && d.endsWith(" 1001000=-2")));
        BodyBuffers.clear();
    }

    @Test void otherEncodingsAndDefaultSnappy() {
        TestEnv env = new TestEnv();
        assertEquals(204, env.post("/api/v1/write", Map.of("Content-Encoding", "zstd"), zstd(v1Request())).status());
        TestEnv env2 = new TestEnv();
        assertEquals(204, env2.post("/api/v1/write", Map.of("Content-Encoding", "gzip"), gzip(v1Request())).status());
        TestEnv env3 = new TestEnv();
        assertEquals(204, env3.post("/api/v1/write", Map.of(), snappy(v1Request())).status());
        assertEquals(env.dump(), env2.dump());
        assertEquals(env.dump(), env3.dump());
        var r = env.post("/api/v1/write", Map.of("Content-Encoding", "br"), snappy(v1Request()));
        assertEquals(415, r.status());
        assertTrue(r.body().contains("unsupported Content-Encoding \"br\""), r.body());
    }

    @Test void v2WithSymbolsAndWrittenHeaders() {
        ProtoWriter w = new ProtoWriter();
        for (String s : new String[]{"", "__name__", "cpu_seconds_total", "mode", "idle", "help text", "seconds"}) w.string(4, s);
        w.msg(5, ts -> {
            ts.msg(1, p -> p.varint(1).varint(2).varint(3).varint(4)); // packed refs
            ts.msg(2, s -> s.dbl(1, 10).uint(2, 1000));
            ts.msg(2, s -> s.dbl(1, 11).uint(2, 2000));
            ts.msg(4, ex -> ex.dbl(2, 1));
            ts.msg(5, m -> m.uint(1, 1).uint(3, 5).uint(4, 6));
        });
        TestEnv env = new TestEnv();
        var r = env.post("/api/v1/write", V2, snappy(w.toByteArray()));
        assertEquals(204, r.status(), r.body());
        assertEquals("2", r.headers().get("X-Prometheus-Remote-Write-Samples-Written"));
        assertEquals("0", r.headers().get("X-Prometheus-Remote-Write-Histograms-Written"));
        assertEquals("0", r.headers().get("X-Prometheus-Remote-Write-Exemplars-Written"));
        assertEquals(List.of("cpu_seconds_total{mode=\"idle\"} 1000=10", "cpu_seconds_total{mode=\"idle\"} 2000=11"), env.dump());
        assertEquals("help text", env.metadata.get("cpu_seconds_total").get(0).help());
        assertEquals("seconds", env.metadata.get("cpu_seconds_total").get(0).unit());
    }

    @Test void v2BadSymbolReferenceRejectsThatSeriesOnly() {
        ProtoWriter w = new ProtoWriter();
        for (String s : new String[]{"", "__name__", "ok"}) w.string(4, s);
        w.msg(5, ts -> { ts.uint(1, 1).uint(1, 2); ts.msg(2, s -> s.dbl(1, 1).uint(2, 5)); }); // unpacked refs
        w.msg(5, ts -> { ts.msg(1, p -> p.varint(1).varint(99)); ts.msg(2, s -> s.dbl(1, 1).uint(2, 5)); });
        TestEnv env = new TestEnv();
        var r = env.post("/api/v1/write", V2, snappy(w.toByteArray()));
        assertEquals(400, r.status());
        assertTrue(r.body().contains("label reference 99 is outside the symbols table of 3 entries"), r.body());
        assertEquals("1", r.headers().get("X-Prometheus-Remote-Write-Samples-Written"));
        assertEquals(List.of("ok{} 5=1"), env.dump());
    }

    @Test void unsupportedContentType415() {
        TestEnv env = new TestEnv();
        var r = env.post("/api/v1/write", Map.of("Content-Type", "application/json"), snappy(v1Request()));
        assertEquals(415, r.status());
        assertTrue(r.body().contains("unsupported Content-Type \"application/json\""));
        r = env.post("/api/v1/write", Map.of("Content-Type", "application/x-protobuf;proto=io.prometheus.write.v3.Request"), snappy(v1Request()));
        assertEquals(415, r.status());
        assertTrue(env.dump().isEmpty());
    }

    @Test void invalidSeriesRejectedOthersStored() {
        ProtoWriter w = new ProtoWriter();
        series(w, new String[]{"__name__", "good", "a", "1"}, new long[]{1}, new double[]{1});
        series(w, new String[]{"__name__", "bad", "in-valid", "1"}, new long[]{1, 2}, new double[]{1, 2});
        series(w, new String[]{"__name__", "9bad"}, new long[]{1}, new double[]{1});
        series(w, new String[]{"__name__", "big", "v", "x".repeat(5000)}, new long[]{1}, new double[]{1});
        series(w, new String[]{"__name__", "dup", "a", "1", "a", "2"}, new long[]{1}, new double[]{1});
        series(w, new String[]{"a", "1"}, new long[]{1}, new double[]{1});
        TestEnv env = new TestEnv();
        var r = env.post("/api/v1/write", V1, snappy(w.toByteArray()));
        assertEquals(400, r.status());
        assertEquals(List.of("good{a=\"1\"} 1=1"), env.dump());
        String b = r.body();
        assertTrue(b.startsWith("accepted 1 of 7 samples; rejected 6"), b);
        assertTrue(b.contains("invalid_label_name: 2"), b);
        assertTrue(b.contains("invalid_metric_name: 2"), b);
        assertTrue(b.contains("label_value_too_long: 1"), b);
        assertTrue(b.contains("duplicate_label_name: 1"), b);
        assertTrue(b.contains("invalid label name \"in-valid\" (must match [a-zA-Z_][a-zA-Z0-9_]*) in series bad{in-valid=\"1\"}"), b);
        assertTrue(b.contains("exceeding the limit of 4096 (--storage.max-label-value-length)"), b);
        assertTrue(b.contains("missing metric name"), b);
        assertTrue(env.scrape().contains("tsdb_ingest_samples_rejected_total{protocol=\"remote_write\",reason=\"invalid_label_name\"} 2.0"), env.scrape());
    }

    @Test void badSnappyNothingStored() {
        TestEnv env = new TestEnv();
        assertEquals(204, env.post("/api/v1/write", V1, snappy(v1Request())).status());
        List<String> before = env.dump();
        byte[] garbage = {0x10, 0x7f, 0x7f, 0x7f, 0x01, 0x02};
        var r = env.post("/api/v1/write", V1, garbage);
        assertEquals(400, r.status());
        assertTrue(r.body().startsWith("invalid snappy body"), r.body());
        r = env.post("/api/v1/write", V1, v1Request()); // not compressed at all
        assertEquals(400, r.status(), r.body());
        assertEquals(before, env.dump());
    }

    @Test void truncatedProtobufRollsBackWholeRequest() {
        TestEnv env = new TestEnv();
        assertEquals(204, env.post("/api/v1/write", V1, snappy(v1Request())).status());
        List<String> before = env.dump();
        ProtoWriter w = new ProtoWriter();
        series(w, new String[]{"__name__", "later"}, new long[]{5}, new double[]{5});
        byte[] full = w.raw(v1Request()).toByteArray();
        for (int cut : new int[]{full.length - 1, full.length - 5, 20, 3}) {
            var r = env.post("/api/v1/write", V1, snappy(Arrays.copyOf(full, cut)));
            assertEquals(400, r.status(), "cut " + cut);
            assertTrue(r.body().startsWith("malformed remote write 1.0 request (X-Prometheus-Remote-Write-Version 0.1.0): "), r.body());
            assertTrue(r.body().endsWith("; nothing from this request was stored"), r.body());
            assertTrue(r.body().matches("(?s).*(truncated|exceeds the \\d+ bytes remaining).*at byte \\d+.*|(?s).*byte \\d+.*"), r.body());
        }
        assertEquals(before, env.dump());
        assertEquals(1, env.commits.size());
    }

    @Test void hugeDeclaredLengths() {
        TestEnv env = new TestEnv();
        ProtoWriter w = new ProtoWriter().tag(1, 2).varint(1L << 40);
        var r = env.post("/api/v1/write", V1, snappy(w.toByteArray()));
        assertEquals(400, r.status());
        assertTrue(r.body().contains("length 1099511627776 at byte 1 exceeds the 0 bytes remaining in the enclosing message"), r.body());
        // snappy header declaring 2 GiB of output: refused before allocating
        byte[] bomb = new ProtoWriter().varint(0x7fffffffL).raw(new byte[]{0, 1, 2}).toByteArray();
        r = env.post("/api/v1/write", V1, bomb);
        assertEquals(413, r.status());
        assertTrue(r.body().contains("snappy body declaring 2147483647 decompressed bytes exceeds the maximum body size of 67108864 bytes"), r.body());
    }

    @Test void gzipDecompressionBombIs413() {
        TestEnv env = new TestEnv(c -> c.maxBodyBytes = 1 << 20);
        byte[] zeros = new byte[4 << 20];
        byte[] bomb = gzip(zeros);
        assertTrue(bomb.length < 10_000);
        var r = env.post("/api/v1/write", Map.of("Content-Encoding", "gzip"), bomb);
        assertEquals(413, r.status());
        assertTrue(r.body().contains("exceeds the maximum body size of 1048576 bytes"), r.body());
        assertEquals(0, env.ctx.limiter().usedBytes());
        var r2 = env.post("/api/v1/write", Map.of("Content-Encoding", "gzip"), Arrays.copyOf(gzip(v1Request()), 30));
        assertEquals(400, r2.status());
        assertTrue(r2.body().startsWith("invalid gzip body"), r2.body());
    }

    @Test void backpressure() {
        TestEnv env = new TestEnv(c -> c.ingestQueueSize = 2);
        env.ready.set(false);
        var r = env.post("/api/v1/write", V1, snappy(v1Request()));
        assertEquals(503, r.status());
        assertEquals("5", r.headers().get("Retry-After"));
        env.ready.set(true);
        assertTrue(env.ctx.limiter().tryAcquireSlot());
        assertTrue(env.ctx.limiter().tryAcquireSlot());
        r = env.post("/api/v1/write", V1, snappy(v1Request()));
        assertEquals(429, r.status());
        assertEquals("1", r.headers().get("Retry-After"));
        assertTrue(r.body().contains("2 write requests already in flight"), r.body());
        env.ctx.limiter().releaseSlot();
        assertEquals(204, env.post("/api/v1/write", V1, snappy(v1Request())).status());
        assertTrue(env.scrape().contains("tsdb_ingest_requests_throttled_total{reason=\"queue_full\"} 1.0"));
    }
}
