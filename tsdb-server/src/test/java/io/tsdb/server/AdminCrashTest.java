package io.tsdb.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiPredicate;
import java.util.stream.Stream;

import static io.tsdb.server.ServerProcessTest.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * kill -9 and the admin API, on the real server as a child process: a deletion answered 204 survives an
 * immediate SIGKILL; a crash at each step of clean_tombstones and of a snapshot (the process halts at a
 * {@link io.tsdb.core.fs.FileLayer#crashPoint}, see {@link CrashPointMain}) leaves, after a restart, either the old or the new
 * state, never a mix, never duplicated or lost samples, and never a half snapshot under its final name.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class AdminCrashTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final long MIN = 60_000;
    static final String[] SERIES = {"crash_adm{env=\"dev\",i=\"1\"}", "crash_adm{env=\"dev\",i=\"2\"}", "crash_adm{env=\"prod\",i=\"1\"}"};
    @TempDir Path tmp;
    final long now = System.currentTimeMillis() / MIN * MIN;
    /** Expected samples: series (export JSON labels) -> timestamp -> value. */
    final Map<String, TreeMap<Long, Double>> model = new TreeMap<>();

    record Server(Proc proc, String url) {}

    Server start(Path data, String crashAt) throws Exception {
        int port = ServerTest.freePort();
        List<String> cmd = new ArrayList<>(classpathCommand());
        if (crashAt != null) {
            cmd.set(cmd.size() - 1, CrashPointMain.class.getName());
            cmd.add(cmd.indexOf("-cp"), "-Dtsdb.test.crashAt=" + crashAt);
        }
        Proc p = launch(cmd, tmp, "--listen=127.0.0.1:" + port, "--data=" + data, "--web.enable-admin-api");
        String url = "http://127.0.0.1:" + port;
        awaitReady(url, p);
        return new Server(p, url);
    }

    static void kill9(Server s) throws Exception {
        s.proc().p.destroyForcibly();   // SIGKILL
        assertTrue(s.proc().p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(137, s.proc().p.exitValue());
    }

    static String enc(String s) { return URLEncoder.encode(s, StandardCharsets.UTF_8); }

    static String labelsJson(String series) {
        // crash_adm{env="dev",i="1"} -> {"__name__":"crash_adm","env":"dev","i":"1"}
        String inner = series.substring(series.indexOf('{') + 1, series.length() - 1);
        StringBuilder b = new StringBuilder("{\"__name__\":\"crash_adm\"");
        for (String kv : inner.split(",")) b.append(",\"").append(kv, 0, kv.indexOf('=')).append("\":").append(kv.substring(kv.indexOf('=') + 1));
        return b.append('}').toString();
    }

    /** Minute samples of every series in [from, to); the value is a function of series and time. */
    void write(Server s, long from, long to) throws Exception {
        StringBuilder b = new StringBuilder();
        for (int k = 0; k < SERIES.length; k++) {
            for (long t = from; t < to; t += MIN) {
                double v = k * 1000 + t / MIN % 1000 + 0.25;
                b.append(SERIES[k]).append(' ').append(v).append(' ').append(t).append('\n');
                model.computeIfAbsent(labelsJson(SERIES[k]), x -> new TreeMap<>()).put(t, v);
            }
        }
        HttpResponse<String> r = TestHttp.send("POST", s.url() + "/api/v1/import/prometheus", b.toString().getBytes(StandardCharsets.UTF_8));
        assertEquals(204, r.statusCode(), r.body());
    }

    void delete(Server s, String selector, long start, long end, BiPredicate<String, Long> deleted) throws Exception {
        HttpResponse<String> r = TestHttp.send("POST", s.url() + "/api/v1/admin/tsdb/delete_series?match[]=" + enc(selector)
                + "&start=" + start / 1000 + "&end=" + end / 1000, null);
        assertEquals(204, r.statusCode(), r.body());
        for (var e : model.entrySet()) e.getValue().keySet().removeIf(t -> deleted.test(e.getKey(), t));
        model.values().removeIf(Map::isEmpty);
    }

    /** The export must be the model exactly: every sample once, nothing deleted, nothing extra. */
    void assertExact(Server s) throws Exception {
        HttpResponse<String> r = TestHttp.get(s.url() + "/api/v1/export?match[]=" + enc("{__name__=\"crash_adm\"}"));
        assertEquals(200, r.statusCode(), r.body());
        Map<String, TreeMap<Long, Double>> got = new TreeMap<>();
        for (String line : r.body().lines().toList()) {
            JsonNode n = JSON.readTree(line);
            TreeMap<Long, Double> m = got.computeIfAbsent(n.get("metric").toString(), x -> new TreeMap<>());
            for (int i = 0; i < n.get("values").size(); i++) {
                Double prev = m.put(n.get("timestamps").get(i).asLong(), n.get("values").get(i).asDouble());
                assertNull(prev, "duplicate sample " + n.get("metric") + " @" + n.get("timestamps").get(i));
            }
        }
        assertEquals(model, got);
    }

    static List<String> list(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test void aDeletionAnswered204SurvivesAnImmediateKill9() throws Exception {
        Path data = tmp.resolve("data");
        Server s = start(data, null);
        write(s, now - 180 * MIN, now - 60 * MIN);
        assertEquals(204, TestHttp.send("POST", s.url() + "/api/v1/admin/flush", null).statusCode());
        write(s, now - 60 * MIN, now);
        delete(s, "crash_adm{env=\"dev\"}", now - 90 * MIN, now - 30 * MIN,
                (l, t) -> l.contains("\"dev\"") && t >= now - 90 * MIN && t <= now - 30 * MIN);
        kill9(s);   // right after the 204
        s = start(data, null);
        String log = s.proc().stdout();
        assertTrue(log.contains("WAL replay:"), log);
        assertExact(s);
        stopWithSigterm(s.proc());   // (the flush of a head with a replayed deletion: AdminOpsTest)
    }

    /** Halts the server inside the request at its crash point and checks it died there. */
    static void crashIn(Server c, String path, String point) throws Exception {
        assertThrows(IOException.class, () -> TestHttp.send("POST", c.url() + path, null), "the process halts inside " + path);
        assertTrue(c.proc().p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(137, c.proc().p.exitValue());
        assertTrue(c.proc().stdout().contains("crash point " + point), c.proc().stdout());
    }

    /**
     * Crash points of a block rewrite: the new block is in place (the old one still there, the block list not yet
     * swapped); the list is swapped (the old block not yet deleted).
     */
    @Test void cleanTombstonesKilledAtEachStepLeavesOldOrNewNeverAMix() throws Exception {
        Path data = tmp.resolve("data");
        Server s = null;
        int round = 0;
        for (String point : List.of("rewrite.written", "rewrite.swapped")) {
            round++;
            Server c = start(data, point);
            if (round == 1) {
                write(c, now - 180 * MIN, now - 60 * MIN);
                assertEquals(204, TestHttp.send("POST", c.url() + "/api/v1/admin/flush", null).statusCode());
                write(c, now - 60 * MIN, now);
            } else {
                assertExact(c);
            }
            long a = now - (170 - 10 * round) * MIN, b = now - (40 - 10 * round) * MIN;   // spans the block(s) and the head
            String sel = round == 1 ? "crash_adm{i=\"2\"}" : "crash_adm{env=\"prod\"}";
            String want = round == 1 ? "\"i\":\"2\"" : "\"prod\"";
            delete(c, sel, a, b, (l, t) -> l.contains(want) && t >= a && t <= b);
            assertExact(c);
            List<String> blocksBefore = list(data.resolve("blocks"));
            crashIn(c, "/api/v1/admin/tsdb/clean_tombstones", point);
            List<String> onDisk = list(data.resolve("blocks"));
            assertTrue(onDisk.size() > blocksBefore.size(), "the crash left the old block and its rewritten copy: " + onDisk);

            s = start(data, null);
            assertExact(s);
            List<String> after = list(data.resolve("blocks"));
            assertEquals(blocksBefore.size(), after.size(), "one copy of each block after the restart: " + after);
            assertEquals(204, TestHttp.send("POST", s.url() + "/api/v1/admin/tsdb/clean_tombstones", null).statusCode());
            assertExact(s);
            try (Stream<Path> f = Files.walk(data.resolve("blocks"))) {
                assertTrue(f.noneMatch(p -> p.getFileName().toString().startsWith("tombstones")), "all cleaned");
            }
            stopWithSigterm(s.proc());
        }
    }

    @Test void aSnapshotKilledAtEachStepIsNeverVisibleAndTheLiveDataIsUnaffected() throws Exception {
        Path data = tmp.resolve("data");
        int round = 0;
        for (String point : List.of("snapshot.blocksLinked", "snapshot.headWritten", "snapshot.registryCopied")) {
            round++;
            Server c = start(data, point);
            if (round == 1) {
                write(c, now - 180 * MIN, now - 60 * MIN);
                assertEquals(204, TestHttp.send("POST", c.url() + "/api/v1/admin/flush", null).statusCode());
                write(c, now - 60 * MIN, now - 30 * MIN);
                delete(c, "crash_adm{i=\"2\"}", now - 100 * MIN, now - 40 * MIN,
                        (l, t) -> l.contains("\"i\":\"2\"") && t >= now - 100 * MIN && t <= now - 40 * MIN);
            } else {
                assertEquals(List.of(), list(data.resolve("snapshots")), "the incomplete snapshot is removed at start");
                assertExact(c);
            }
            write(c, now - (30 - round) * MIN, now - (29 - round) * MIN);   // head data, acknowledged before the crash
            crashIn(c, "/api/v1/admin/tsdb/snapshot", point);
            List<String> snaps = list(data.resolve("snapshots"));
            assertEquals(1, snaps.size(), snaps.toString());
            assertTrue(snaps.get(0).endsWith(".tmp"), "only the temporary directory exists: " + snaps);
        }
        // the live data is intact, and a snapshot that completes starts as a server with the same data
        Server s = start(data, null);
        assertEquals(List.of(), list(data.resolve("snapshots")));
        assertExact(s);
        HttpResponse<String> r = TestHttp.send("POST", s.url() + "/api/v1/admin/tsdb/snapshot", null);
        assertEquals(200, r.statusCode(), r.body());
        String name = JSON.readTree(r.body()).get("data").get("name").asText();
        kill9(s);
        Server copy = start(data.resolve("snapshots").resolve(name), null);
        assertExact(copy);
        stopWithSigterm(copy.proc());
    }
}
