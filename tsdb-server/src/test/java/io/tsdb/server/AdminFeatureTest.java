package io.tsdb.server;

import io.tsdb.core.Appender;
import io.tsdb.core.Querier;
import io.tsdb.core.Storage;
import io.tsdb.core.StorageStats;
import io.tsdb.core.testing.MemStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

class AdminFeatureTest {
    @TempDir Path dir;

    /** Counts flushes; fails them on demand. */
    static final class CountingStorage implements Storage {
        final MemStorage mem = new MemStorage();
        final AtomicInteger flushes = new AtomicInteger();
        volatile boolean failFlush;
        @Override public Appender appender() { return mem.appender(); }
        @Override public Querier querier(long mint, long maxt) { return mem.querier(mint, maxt); }
        @Override public StorageStats stats() { return mem.stats(); }
        @Override public void flush() throws IOException {
            if (failFlush) throw new IOException("disk full");
            flushes.incrementAndGet();
        }
        @Override public void close() { }
    }

    @Test
    void flushPersistsTheHeadAndReportsFailures() throws Exception {
        CountingStorage storage = new CountingStorage();
        ServerConfig c = new ServerConfig();
        c.listenHost = "127.0.0.1";
        c.listenPort = 0;
        c.dataDir = dir;
        TsdbServer s = TsdbServer.builder(c).storage(StorageFactory.of(storage)).features(new AdminFeature()).start();
        try {
            HttpClient http = HttpClient.newHttpClient();
            HttpRequest post = HttpRequest.newBuilder(URI.create(s.baseUrl() + "/api/v1/admin/flush"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build();
            int before = storage.flushes.get();
            assertEquals(204, http.send(post, HttpResponse.BodyHandlers.ofString()).statusCode());
            assertEquals(before + 1, storage.flushes.get());
            storage.failFlush = true;
            HttpResponse<String> failed = http.send(post, HttpResponse.BodyHandlers.ofString());
            assertEquals(500, failed.statusCode());
            // the cause is logged under the request ID, never answered (ErrorResponses)
            assertFalse(failed.body().contains("disk full"), failed.body());
            assertTrue(failed.body().contains("internal error (request ID " + failed.headers().firstValue("X-Request-Id").orElseThrow()), failed.body());
            HttpResponse<String> get = http.send(HttpRequest.newBuilder(URI.create(s.baseUrl() + "/api/v1/admin/flush")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(405, get.statusCode());
        } finally {
            storage.failFlush = false;
            s.stop();
        }
    }
}
