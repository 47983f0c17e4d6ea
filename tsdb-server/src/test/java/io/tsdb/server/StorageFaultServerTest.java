package io.tsdb.server;

import io.tsdb.core.fs.FaultInjectingFileLayer;
import io.tsdb.core.fs.FaultInjectingFileLayer.Op;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The server over storage with injected faults (in-process, {@link FaultInjectingFileLayer}): what a client, a
 * load balancer's readiness probe and a metrics scraper see while the WAL cannot write, and that it all clears by
 * itself once the fault is gone.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StorageFaultServerTest {
    @TempDir Path dataDir;


    private static HttpResponse<String> push(TsdbServer s, String text) throws Exception {
        return TestHttp.send("POST", s.baseUrl() + "/api/v1/import/prometheus", text.getBytes(StandardCharsets.UTF_8));
    }

    private static String wal(Path data) {
        return java.util.regex.Pattern.quote(data.resolve("wal").toAbsolutePath().normalize().toString()) + "/\\d{8}$";
    }

    @Test void refusalIsVisibleInReadyAndMetricsAndClearsByItself() throws Exception {
        FaultInjectingFileLayer fs = new FaultInjectingFileLayer();
        try (TsdbServer s = FileLayerServers.start(dataDir, fs)) {
            long t = System.currentTimeMillis() - 60_000;
            assertEquals(204, push(s, "fault_metric{k=\"a\"} 1 " + t + "\n").statusCode());

            // a failed write that cannot be undone, and no new segment can be created: the WAL refuses writes
            fs.on(Op.WRITE, wal(dataDir)).partial(5).always();
            fs.on(Op.TRUNCATE, wal(dataDir)).always();
            fs.on(Op.OPEN, wal(dataDir)).always().message("Input/output error");
            HttpResponse<String> r = push(s, "fault_metric{k=\"a\"} 2 " + (t + 1) + "\n");
            assertEquals(503, r.statusCode(), r.body());
            assertTrue(r.body().contains("nothing from this request was stored"), r.body());
            assertEquals("5", r.headers().firstValue("Retry-After").orElse(null));

            HttpResponse<String> refused = push(s, "fault_metric{k=\"a\"} 3 " + (t + 2) + "\n");
            assertEquals(503, refused.statusCode());
            assertTrue(refused.body().contains("WAL refuses writes"), refused.body());

            HttpResponse<String> ready = TestHttp.get(s.baseUrl() + "/-/ready");
            assertEquals(503, ready.statusCode());
            assertTrue(ready.body().contains("storage refuses writes") && ready.body().contains("Input/output error"), ready.body());
            assertEquals(1.0, CrashLoad.metric(s.baseUrl(), "tsdb_storage_writes_refused"));
            assertTrue(CrashLoad.metric(s.baseUrl(), "tsdb_wal_sealed_segments_total") >= 1);
            assertTrue(CrashLoad.metric(s.baseUrl(), "tsdb_wal_write_errors_total") >= 1);
            // queries are still answered
            HttpResponse<String> q = TestHttp.get(s.baseUrl() + "/api/v1/query?query=fault_metric&time=" + (t / 1000.0));
            assertEquals(200, q.statusCode(), q.body());
            assertTrue(q.body().contains("\"1\""), q.body());

            // the fault clears: the background retry starts a new segment, writes are accepted again
            fs.clear();
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (TestHttp.get(s.baseUrl() + "/-/ready").statusCode() != 200) {
                assertTrue(System.nanoTime() < deadline, "still not ready");
                Thread.sleep(20);
            }
            assertEquals(0.0, CrashLoad.metric(s.baseUrl(), "tsdb_storage_writes_refused"));
            assertEquals(204, push(s, "fault_metric{k=\"a\"} 4 " + (t + 3) + "\n").statusCode());
        }
    }

    /** A new series that cannot be logged (disk full) fails the whole request with 503; nothing of it is stored. */
    @Test void newSeriesOnAFullDiskFailsTheRequestAndStoresNothing() throws Exception {
        FaultInjectingFileLayer fs = new FaultInjectingFileLayer();
        long t = System.currentTimeMillis() - 60_000;
        try (TsdbServer s = FileLayerServers.start(dataDir, fs)) {
            assertEquals(204, push(s, "fault_old 1 " + t + "\n").statusCode());
            fs.on(Op.WRITE, wal(dataDir)).partial(3).always();
            HttpResponse<String> r = push(s, "fault_old 2 " + (t + 1) + "\nfault_new{x=\"1\"} 5 " + (t + 1) + "\n");
            assertEquals(503, r.statusCode(), r.body());
            assertTrue(r.body().contains("No space left on device") && r.body().contains("nothing from this request was stored"), r.body());
            // internals (the WAL file, the exception) only in the log, under the request ID the body names
            assertFalse(r.body().contains(dataDir.toString()) || r.body().contains("wal") || r.body().contains("Exception"), r.body());
            assertTrue(r.body().contains("request ID " + r.headers().firstValue("X-Request-Id").orElseThrow()), r.body());
            assertTrue(CrashLoad.metric(s.baseUrl(), "tsdb_wal_restored_writes_total") >= 1);
            assertEquals(200, TestHttp.get(s.baseUrl() + "/-/ready").statusCode(), "a failed write is undone: no refusal");
            fs.clear();
            HttpResponse<String> q = TestHttp.get(s.baseUrl() + "/api/v1/export?match%5B%5D=%7B__name__%3D~%22fault_.*%22%7D");
            assertEquals(200, q.statusCode());
            assertFalse(q.body().contains("fault_new"), q.body());
            assertFalse(q.body().contains("[1,2]") || q.body().contains(",2]"), "the old series' sample of the failed request: " + q.body());
            assertEquals(204, push(s, "fault_new{x=\"1\"} 5 " + (t + 1) + "\n").statusCode(), "accepted once space is back");
        }
    }
}
