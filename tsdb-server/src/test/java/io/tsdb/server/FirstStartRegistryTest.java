package io.tsdb.server;

import io.tsdb.core.fs.FileLayer;
import io.tsdb.core.fs.GatedFileLayer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A first start (empty data directory) is ready before the series registry's first tier exists (it is created in the
 * background, see SeriesRegistry): a write that arrives meanwhile waits for the tier and is stored, queries are answered
 * meanwhile, and after a restart the series and samples are there.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FirstStartRegistryTest {
    @TempDir Path dataDir;


    private static HttpResponse<String> query(TsdbServer s, String q) throws Exception {
        return TestHttp.get(s.baseUrl() + "/api/v1/query?query=" + URLEncoder.encode(q, StandardCharsets.UTF_8));
    }

    @Test
    void aWriteWhileTheFirstTierIsCreatedWaitsAndIsStored() throws Exception {
        GatedFileLayer fs = new GatedFileLayer("series-00");
        long t = System.currentTimeMillis() - 10_000;
        try (TsdbServer s = FileLayerServers.start(dataDir, fs)) {
            assertTrue(s.isReady());
            assertTrue(fs.reached.await(60, TimeUnit.SECONDS), "the registry's first tier was not being created");
            assertEquals(200, TestHttp.get(s.baseUrl() + "/-/ready").statusCode());
            // queries are answered while the tier is held back (no series yet)
            HttpResponse<String> q = query(s, "first_start_metric");
            assertEquals(200, q.statusCode(), q.body());
            assertTrue(q.body().contains("\"result\":[]"), q.body());

            CompletableFuture<HttpResponse<String>> write = CompletableFuture.supplyAsync(() -> {
                try {
                    return TestHttp.send("POST", s.baseUrl() + "/api/v1/import/prometheus",
                            ("first_start_metric{k=\"a\"} 7 " + t + "\n").getBytes(StandardCharsets.UTF_8));
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            // the new series cannot be registered before its tier exists
            assertFalse(write.isDone(), "the write was answered before the registry could hold its series");
            fs.release();
            assertEquals(204, write.get(60, TimeUnit.SECONDS).statusCode());
            HttpResponse<String> r = query(s, "first_start_metric");
            assertTrue(r.body().contains("\"k\":\"a\"") && r.body().contains("\"7\""), r.body());
        }
        try (TsdbServer s = FileLayerServers.start(dataDir, FileLayer.SYSTEM)) {
            HttpResponse<String> r = TestHttp.get(s.baseUrl() + "/api/v1/query?query=first_start_metric&time=" + (t / 1000.0 + 1));
            assertTrue(r.body().contains("\"k\":\"a\"") && r.body().contains("\"7\""), r.body());
        }
    }
}
