package io.tsdb.server.ingest;

import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SampleCursor;
import io.tsdb.core.SeriesSet;
import io.tsdb.server.ServerConfig;
import io.tsdb.server.TsdbServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.tsdb.server.ingest.TestEnv.utf8;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Ingest against the production storage (tsdb-core's Tsdb, WAL fsync always): storage rejections (too old,
 * duplicate with another value, too far in the future, limits) come back as counted reasons with the
 * storage's own messages, and every acknowledged sample is there after a restart.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class IngestTsdbStorageTest {
    @TempDir Path dataDir;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    private TsdbServer start() throws Exception {
        ServerConfig c = new ServerConfig();
        c.listenHost = "127.0.0.1";
        c.listenPort = 0;
        c.dataDir = dataDir;
        c.maxLabelsPerSeries = 5;
        return TsdbServer.builder(c).features(new IngestFeature()).start();
    }

    private static HttpResponse<String> post(TsdbServer s, String path, byte[] body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(s.baseUrl() + path)).POST(HttpRequest.BodyPublishers.ofByteArray(body));
        for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static List<String> dump(TsdbServer s) {
        List<String> out = new ArrayList<>();
        try (Querier q = s.context().storage().querier(Long.MIN_VALUE, Long.MAX_VALUE)) {
            SeriesSet ss = q.select(List.of(Matcher.re(Labels.METRIC_NAME, "ing_.+")));
            while (ss.next()) {
                SampleCursor c = ss.cursor();
                while (c.next()) out.add(ss.labels() + " " + c.timestamp() + "=" + TestEnv.fmt(c.value()));
            }
        }
        return out;
    }

    @Test void storageRejectionsAndDurability() throws Exception {
        long now = System.currentTimeMillis() / 1000 * 1000;
        List<String> stored;
        try (TsdbServer s = start()) {
            String lines = "ing_cpu,host=a v=1 " + (now - 20_000) + "\ning_cpu,host=a v=2 " + (now - 10_000) + "\n";
            assertEquals(204, post(s, "/write?precision=ms", utf8(lines)).statusCode());
            String bad = String.join("\n",
                    "ing_cpu,host=a v=0.5 " + (now - 3 * 3_600_000L),   // older than the 1h out-of-order window
                    "ing_cpu,host=a v=9 " + (now - 10_000),            // same timestamp, different value
                    "ing_cpu,host=a v=2 " + (now - 10_000),            // same timestamp, same value: accepted, stored once
                    "ing_cpu,host=a v=3 " + (now + 86_400_000L),       // a day in the future
                    "ing_cpu,host=a,b=1,c=2,d=3,e=4 v=1 " + now,       // 6 labels > limit 5
                    "ing_cpu,host=a v=4 " + now) + "\n";
            var r = post(s, "/write?precision=ms", utf8(bad));
            assertEquals(400, r.statusCode(), r.body());
            String b = r.body();
            assertTrue(b.contains("accepted 2 of 6 samples; rejected 4"), b);
            assertTrue(b.contains("too_old: 1"), b);
            assertTrue(b.contains("duplicate_different_value: 1"), b);
            assertTrue(b.contains("too_far_in_future: 1"), b);
            assertTrue(b.contains("too_many_labels: 1"), b);
            assertTrue(b.contains("line 1: sample of ing_cpu_v{host=\\\"a\\\"} at "), b); // the storage's own message, with the line
            assertTrue(b.contains("older than the out-of-order window"), b);
            assertTrue(b.contains("line 2: sample of") && b.contains("already exists with a different value"), b);
            assertTrue(b.contains("line 5: 6 labels exceed the limit of 5 per series"), b);
            // remote write into the same storage
            byte[] rw = RemoteWriteHandlerTest.snappy(new ProtoWriter().msg(1, ts -> {
                ts.msg(1, l -> l.string(1, "__name__").string(2, "ing_up"));
                ts.msg(2, x -> x.dbl(1, 1).uint(2, now - 5_000));
                ts.msg(2, x -> x.dbl(1, io.tsdb.core.StaleNaN.VALUE).uint(2, now));
            }).toByteArray());
            assertEquals(204, post(s, "/api/v1/write", rw, "Content-Type", "application/x-protobuf", "Content-Encoding", "snappy").statusCode());
            stored = dump(s);
            assertEquals(List.of(
                    "ing_cpu_v{host=\"a\"} " + (now - 20_000) + "=1",
                    "ing_cpu_v{host=\"a\"} " + (now - 10_000) + "=2",
                    "ing_cpu_v{host=\"a\"} " + now + "=4",
                    "ing_up{} " + (now - 5_000) + "=1",
                    "ing_up{} " + now + "=stale"), stored);
        }
        try (TsdbServer s = start()) {
            assertEquals(stored, dump(s), "acknowledged samples survive a restart");
        }
    }

    /**
     * The label cache keeps the storage's reference to each series; series garbage collection takes the series out
     * of the head between two requests, so the second request appends through stale references: every sample is
     * stored, in the series brought back, and survives a restart. A third request uses the renewed references.
     */
    @Test void remoteWriteThroughReferencesStaleAfterSeriesGcLosesNothing() throws Exception {
        long now = System.currentTimeMillis() / 1000 * 1000;
        java.util.function.LongFunction<byte[]> request = t -> RemoteWriteHandlerTest.snappy(new ProtoWriter()
                .msg(1, ts -> {
                    ts.msg(1, l -> l.string(1, "__name__").string(2, "ing_gc"));
                    ts.msg(1, l -> l.string(1, "pod").string(2, "a"));
                    ts.msg(2, x -> x.dbl(1, t).uint(2, t));
                })
                .msg(1, ts -> {
                    ts.msg(1, l -> l.string(1, "__name__").string(2, "ing_gc"));
                    ts.msg(1, l -> l.string(1, "pod").string(2, "b"));
                    ts.msg(2, x -> x.dbl(1, t).uint(2, t));
                    ts.msg(2, x -> x.dbl(1, t + 1).uint(2, t + 1));
                }).toByteArray());
        String[] headers = {"Content-Type", "application/x-protobuf", "Content-Encoding", "snappy"};
        List<String> stored;
        try (TsdbServer s = start()) {
            long t0 = now - 30_000, t1 = now - 20_000, t2 = now - 10_000;
            assertEquals(204, post(s, "/api/v1/write", request.apply(t0), headers).statusCode());
            s.context().storage().flush();
            s.context().storage().flush();   // no samples since the last flush: both series leave the head
            assertEquals(0, s.context().storage().stats().activeSeries());
            assertEquals(204, post(s, "/api/v1/write", request.apply(t1), headers).statusCode());
            assertEquals(2, s.context().storage().stats().activeSeries(), "both series are back");
            assertEquals(204, post(s, "/api/v1/write", request.apply(t2), headers).statusCode());
            stored = dump(s);
            List<String> want = new ArrayList<>();
            for (String pod : new String[]{"a", "b"}) {
                for (long t : new long[]{t0, t1, t2}) {
                    want.add("ing_gc{pod=\"" + pod + "\"} " + t + "=" + TestEnv.fmt(t));
                    if (pod.equals("b")) want.add("ing_gc{pod=\"b\"} " + (t + 1) + "=" + TestEnv.fmt(t + 1));
                }
            }
            stored.removeIf(l -> !l.startsWith("ing_gc"));
            assertEquals(want, stored);
        }
        try (TsdbServer s = start()) {
            List<String> after = dump(s);
            after.removeIf(l -> !l.startsWith("ing_gc"));
            assertEquals(stored, after, "acknowledged samples survive a restart");
        }
    }
}
