package io.tsdb.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.Unpooled;
import io.tsdb.server.ServerConfig;
import io.tsdb.server.TsdbServer;
import io.tsdb.server.ingest.proto.ProtoReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The TSDB admin API on the real server and storage (in process): the flag, every refusal, and that deleted data
 * leaves every read path at once (query, query_range and its cache, series, export, remote read, federate), stays
 * deleted after clean_tombstones, and that a server started on a snapshot answers the same queries.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class AdminApiTest {
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final ObjectMapper JSON = new ObjectMapper();
    static final long MIN = 60_000;
    @TempDir Path dir;
    final List<TsdbServer> servers = new ArrayList<>();
    final long now = System.currentTimeMillis() / MIN * MIN;

    @AfterEach void stop() {
        for (TsdbServer s : servers) s.stop();
    }

    TsdbServer start(Path data, boolean admin) throws Exception {
        ServerConfig c = new ServerConfig();
        c.listenHost = "127.0.0.1";
        c.listenPort = 0;
        c.dataDir = data;
        c.enableAdminApi = admin;
        TsdbServer s = TsdbServer.builder(c).start();
        servers.add(s);
        return s;
    }

    static String enc(String s) { return URLEncoder.encode(s, StandardCharsets.UTF_8); }

    static HttpResponse<String> send(String method, String url, byte[] body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> get(TsdbServer s, String pathAndQuery) throws Exception {
        return send("GET", s.baseUrl() + pathAndQuery, null);
    }

    static HttpResponse<String> post(TsdbServer s, String pathAndQuery) throws Exception {
        return send("POST", s.baseUrl() + pathAndQuery, null);
    }

    static String secs(long ms) { return String.format(Locale.ROOT, "%.3f", ms / 1000.0); }

    /** 3 h of minute samples of four series; the first two hours flushed to a block, the last hour in the head. */
    void load(TsdbServer s) throws Exception {
        String[] series = {"adm_m{env=\"dev\",i=\"1\"}", "adm_m{env=\"dev\",i=\"2\"}", "adm_m{env=\"prod\",i=\"1\"}", "adm_o{env=\"dev\"}"};
        for (int part = 0; part < 2; part++) {
            StringBuilder b = new StringBuilder();
            for (String ser : series) {
                for (long t = part == 0 ? now - 180 * MIN : now - 60 * MIN; t < (part == 0 ? now - 60 * MIN : now); t += MIN) {
                    b.append(ser).append(' ').append(t / MIN % 1000).append(' ').append(t).append('\n');
                }
            }
            assertEquals(204, send("POST", s.baseUrl() + "/api/v1/import/prometheus", b.toString().getBytes(StandardCharsets.UTF_8)).statusCode());
            if (part == 0) assertEquals(204, post(s, "/api/v1/admin/flush").statusCode());
        }
    }

    /** Every read path's answer about adm_* series, as comparable text. */
    List<String> reads(TsdbServer s) throws Exception {
        List<String> out = new ArrayList<>();
        String range = "&start=" + secs(now - 170 * MIN) + "&end=" + secs(now - 5 * MIN) + "&step=60";
        out.add("query_range " + JSON.readTree(get(s, "/api/v1/query_range?query=" + enc("sum by (env, i) (adm_m)") + range).body()).get("data"));
        out.add("query_range_o " + JSON.readTree(get(s, "/api/v1/query_range?query=adm_o" + range).body()).get("data"));
        out.add("query " + JSON.readTree(get(s, "/api/v1/query?query=" + enc("count by (env) ({__name__=~\"adm_.*\"})")
                + "&time=" + secs(now - MIN)).body()).get("data"));
        out.add("series " + JSON.readTree(get(s, "/api/v1/series?match[]=" + enc("{__name__=~\"adm_.*\"}")).body()).get("data"));
        out.add("series_early " + JSON.readTree(get(s, "/api/v1/series?match[]=" + enc("{__name__=~\"adm_.*\"}")
                + "&start=" + secs(now - 170 * MIN) + "&end=" + secs(now - 150 * MIN)).body()).get("data"));
        String export = get(s, "/api/v1/export?match[]=" + enc("{__name__=~\"adm_.*\"}")).body();
        out.add("export " + export.lines().sorted().toList());
        out.add("federate " + get(s, "/federate?match[]=" + enc("{__name__=~\"adm_.*\"}")).body().lines()
                .filter(l -> !l.startsWith("#")).map(l -> l.replaceAll(" \\d+$", "")).sorted().toList());
        HttpResponse<byte[]> rr = HTTP.send(HttpRequest.newBuilder(URI.create(s.baseUrl() + "/api/v1/read"))
                .header("Content-Type", "application/x-protobuf").header("Content-Encoding", "snappy")
                .POST(HttpRequest.BodyPublishers.ofByteArray(RemoteReadTest.snappy(RemoteReadTest.request(now - 200 * MIN, now,
                        new Object[][]{{2, "__name__", "adm_.*"}})))).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, rr.statusCode());
        out.add("read " + remoteRead(RemoteReadTest.unsnappy(rr.body())));
        return out;
    }

    /** ReadResponse -> "labels=samples" per time series (results(1) > timeseries(1) > labels(1){name, value}, samples(2)). */
    static List<String> remoteRead(byte[] resp) {
        List<String> out = new ArrayList<>();
        ProtoReader r = new ProtoReader(Unpooled.wrappedBuffer(resp));
        while (r.hasRemaining()) {
            r.tag();
            int o1 = r.pushLimit(r.lengthDelimited());
            while (r.hasRemaining()) {
                r.tag();
                int o2 = r.pushLimit(r.lengthDelimited());
                StringBuilder labels = new StringBuilder();
                int samples = 0;
                while (r.hasRemaining()) {
                    int tag = r.tag();
                    int o3 = r.pushLimit(r.lengthDelimited());
                    if (ProtoReader.field(tag) == 1) {
                        r.tag();
                        String name = r.string();
                        r.tag();
                        labels.append(name).append('=').append(r.string()).append(',');
                    } else {
                        samples++;
                    }
                    r.popLimit(o3);
                }
                r.popLimit(o2);
                out.add(labels + " " + samples);
            }
            r.popLimit(o1);
        }
        return out;
    }

    /** seriesCountByMetricName of /api/v1/status/tsdb for one metric. */
    static long seriesOfMetric(TsdbServer s, String metric) throws Exception {
        for (JsonNode n : JSON.readTree(get(s, "/api/v1/status/tsdb").body()).get("data").get("seriesCountByMetricName")) {
            if (n.get("name").asText().equals(metric)) return n.get("value").asLong();
        }
        return 0;
    }

    /** The export lines, parsed: series labels -> number of samples. */
    static java.util.Map<String, Integer> exported(TsdbServer s) throws Exception {
        java.util.Map<String, Integer> m = new java.util.TreeMap<>();
        for (String line : get(s, "/api/v1/export?match[]=" + enc("{__name__=~\"adm_.*\"}")).body().lines().toList()) {
            JsonNode n = JSON.readTree(line);
            m.merge(n.get("metric").toString(), n.get("values").size(), Integer::sum);
        }
        return m;
    }

    @Test void withoutTheFlagTheEndpointsAnswer403NamingItAndChangeNothing() throws Exception {
        TsdbServer s = start(dir, false);
        load(s);
        List<String> before = reads(s);
        for (String path : List.of("/api/v1/admin/tsdb/delete_series?match[]=adm_m", "/api/v1/admin/tsdb/clean_tombstones",
                "/api/v1/admin/tsdb/snapshot")) {
            for (String method : List.of("POST", "PUT")) {
                HttpResponse<String> r = send(method, s.baseUrl() + path, null);
                assertEquals(403, r.statusCode(), path);
                JsonNode j = JSON.readTree(r.body());
                assertEquals("error", j.get("status").asText());
                assertEquals("unavailable", j.get("errorType").asText());
                assertTrue(j.get("error").asText().contains("--web.enable-admin-api"), r.body());
            }
            assertEquals(405, get(s, path).statusCode());
        }
        assertEquals(204, post(s, "/api/v1/admin/flush").statusCode(), "the flush endpoint stays as it is");
        assertEquals(before, reads(s));
        assertFalse(Files.exists(dir.resolve("snapshots")));
    }

    @Test void badRequestsAre400WithTheReasonAndDeleteNothing() throws Exception {
        TsdbServer s = start(dir, true);
        load(s);
        List<String> before = reads(s);
        String[][] cases = {
                {"", "no match[] parameter provided"},
                {"?match[]=" + enc("adm_m{"), "invalid parameter \"match[]\""},
                {"?match[]=" + enc("{env=~\".*\"}"), "non-empty matcher"},
                {"?match[]=" + enc("sum(adm_m)"), "is not a series selector"},
                {"?match[]=adm_m&match[]=" + enc("adm_o{"), "invalid parameter \"match[]\""},
                {"?match[]=adm_m&start=yesterday", "invalid parameter \"start\""},
                {"?match[]=adm_m&end=" + enc("2026-13-01T00:00:00Z"), "invalid parameter \"end\""},
                {"?match[]=adm_m&start=" + secs(now) + "&end=" + secs(now - MIN), "end timestamp must not be before start time"},
        };
        for (String[] c : cases) {
            HttpResponse<String> r = post(s, "/api/v1/admin/tsdb/delete_series" + c[0]);
            assertEquals(400, r.statusCode(), c[0] + ": " + r.body());
            JsonNode j = JSON.readTree(r.body());
            assertEquals("bad_data", j.get("errorType").asText());
            assertTrue(j.get("error").asText().contains(c[1]), c[0] + ": " + r.body());
        }
        HttpResponse<String> r = post(s, "/api/v1/admin/tsdb/snapshot?skip_head=maybe");
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(r.body().contains("skip_head"), r.body());
        assertEquals(before, reads(s));
        assertFalse(Files.exists(dir.resolve("snapshots")));
    }

    @Test void deletedDataLeavesEveryReadPathAtOnceAndCleanTombstonesKeepsItGone() throws Exception {
        TsdbServer s = start(dir, true);
        load(s);
        // populate the range-query cache (extents older than a minute are cached)
        String q = "/api/v1/query_range?query=" + enc("sum by (env, i) (adm_m)") + "&start=" + secs(now - 170 * MIN)
                + "&end=" + secs(now - 5 * MIN) + "&step=60";
        String cachedBefore = get(s, q).body();
        assertTrue(cachedBefore.contains("\"dev\""));
        assertEquals(cachedBefore, get(s, q).body());
        java.util.Map<String, Integer> all = exported(s);
        assertEquals(4, all.size());
        assertEquals(3, seriesOfMetric(s, "adm_m"));

        // 1. one dev series entirely, in head and block (form body, several match[])
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(s.baseUrl() + "/api/v1/admin/tsdb/delete_series"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("match[]=" + enc("adm_m{env=\"dev\",i=\"2\"}") + "&match[]=" + enc("adm_nothing")))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(204, r.statusCode(), r.body());
        assertEquals("", r.body());
        // 2. adm_o for an interval crossing the block/head boundary (RFC 3339 and unix times)
        String from = java.time.Instant.ofEpochMilli(now - 90 * MIN).toString();
        assertEquals(204, send("PUT", s.baseUrl() + "/api/v1/admin/tsdb/delete_series?match[]=adm_o&start=" + enc(from)
                + "&end=" + secs(now - 30 * MIN), null).statusCode());

        java.util.Map<String, Integer> after = exported(s);
        assertEquals(3, after.size(), after.toString());
        assertFalse(after.keySet().stream().anyMatch(k -> k.contains("\"i\":\"2\"") && k.contains("\"dev\"") && k.contains("adm_m")));
        assertEquals(all.get("{\"__name__\":\"adm_o\",\"env\":\"dev\"}") - 61, after.get("{\"__name__\":\"adm_o\",\"env\":\"dev\"}"),
                "61 minute samples in [now-90m, now-30m] deleted");
        List<String> afterDelete = reads(s);
        String range = afterDelete.get(0);
        assertFalse(range.contains("\"i\":\"2\""), "query_range (cached before) still has the deleted series");
        assertTrue(range.contains("\"env\":\"prod\""));
        String series = afterDelete.get(3);
        assertFalse(series.contains("\"i\":\"2\"") && series.contains("\"dev\""), series);
        String fed = afterDelete.get(6);
        assertFalse(fed.contains("i=\"2\""), fed);
        assertTrue(fed.contains("adm_o"), fed);
        String read = afterDelete.get(7);
        assertEquals("read [__name__=adm_m,env=dev,i=1, 180, __name__=adm_m,env=prod,i=1, 180, __name__=adm_o,env=dev, 119]", read);
        JsonNode o = JSON.readTree(afterDelete.get(1).substring("query_range_o ".length())).get("result").get(0).get("values");
        for (JsonNode v : o) {
            long t = (long) (v.get(0).asDouble() * 1000);
            assertFalse(t >= now - 90 * MIN + 5 * MIN && t <= now - 30 * MIN, "no adm_o point inside the deleted range (beyond lookback): " + t);
        }

        // status cardinality counts series with data at once; label values lose the deleted series once the head,
        // which holds no sample of it any more, is flushed (as Prometheus's head garbage collection)
        assertEquals(2, seriesOfMetric(s, "adm_m"));
        assertEquals(204, post(s, "/api/v1/admin/flush").statusCode());
        assertEquals("[\"1\"]", JSON.readTree(get(s, "/api/v1/label/i/values?match[]=" + enc("adm_m{env=\"dev\"}")).body()).get("data").toString());
        assertEquals(afterDelete, reads(s));

        // clean_tombstones rewrites the block: same answers, no tombstones file left
        assertEquals(204, post(s, "/api/v1/admin/tsdb/clean_tombstones").statusCode());
        assertEquals(afterDelete, reads(s));
        try (Stream<Path> files = Files.walk(dir.resolve("blocks"))) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().equals("tombstones")));
        }
        // and after a restart (the head deletion replays from the WAL; blocks were rewritten)
        s.stop();
        servers.clear();
        TsdbServer s2 = start(dir, true);
        assertEquals(afterDelete, reads(s2));
    }

    @Test void aServerStartedOnASnapshotAnswersTheSameQueries() throws Exception {
        TsdbServer s = start(dir, true);
        load(s);
        assertEquals(204, post(s, "/api/v1/admin/tsdb/delete_series?match[]=" + enc("adm_m{i=\"2\"}") + "&end=" + secs(now - 100 * MIN)).statusCode());
        List<String> at = reads(s);
        HttpResponse<String> r = post(s, "/api/v1/admin/tsdb/snapshot");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode j = JSON.readTree(r.body());
        assertEquals("success", j.get("status").asText());
        String name = j.get("data").get("name").asText();
        assertTrue(name.matches("\\d{8}T\\d{6}Z-[0-9a-f]{16}"), name);
        Path snap = dir.resolve("snapshots").resolve(name);
        assertTrue(Files.isDirectory(snap.resolve("blocks")));
        String headless = JSON.readTree(post(s, "/api/v1/admin/tsdb/snapshot?skip_head=true").body()).get("data").get("name").asText();
        // the live server goes on taking writes and deletions
        assertEquals(204, post(s, "/api/v1/admin/tsdb/delete_series?match[]=adm_o").statusCode());
        TsdbServer copy = start(snap, false);
        assertEquals(at, reads(copy), "the snapshot answers what the server answered when it was taken");
        TsdbServer old = start(dir.resolve("snapshots").resolve(headless), false);
        java.util.Map<String, Integer> blocksOnly = exported(old);
        for (int n : blocksOnly.values()) assertTrue(n <= 120, "skip_head: only the block's two hours: " + blocksOnly);
    }
}
