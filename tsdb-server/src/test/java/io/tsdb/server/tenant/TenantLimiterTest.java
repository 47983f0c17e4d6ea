package io.tsdb.server.tenant;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.tsdb.server.ServerConfig;
import io.tsdb.server.http.HttpError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/** Token buckets, query concurrency, the limits file (defaults, overrides, errors) and its reload, on a fake clock. */
class TenantLimiterTest {
    @TempDir Path dir;
    final AtomicLong nanos = new AtomicLong(1_000_000_000L);

    TenantLimiter limiter(String yaml) throws Exception {
        Path f = dir.resolve("limits.yml");
        Files.writeString(f, yaml);
        ServerConfig c = new ServerConfig();
        c.tenantLimitsFile = f;
        c.maxLabelsPerSeries = 40;
        return new TenantLimiter(c, new PrometheusRegistry(), nanos::get);
    }

    @Test
    void rateAndBurstAreATokenBucketPerTenant() throws Exception {
        TenantLimiter l = limiter("overrides:\n  a: {ingestion_rate: 100, ingestion_burst_size: 200}\n");
        l.admitSamples("a", 150);
        l.admitSamples("a", 50);
        HttpError e = assertThrows(HttpError.class, () -> l.admitSamples("a", 20));
        assertEquals(429, e.status());
        assertEquals("1", e.retryAfterSeconds());
        assertTrue(e.getMessage().contains("ingestion rate limit of 100 samples/s (burst 200)"), e.getMessage());
        l.admitSamples("b", 1_000_000);   // another tenant: no limit
        HttpError early = assertThrows(HttpError.class, () -> l.admitRequest("a"));   // empty bucket: refused before decoding
        assertEquals(429, early.status());
        l.admitRequest("b");
        nanos.addAndGet(500_000_000L);      // half a second: 50 tokens
        l.admitSamples("a", 50);
        HttpError wait = assertThrows(HttpError.class, () -> l.admitSamples("a", 200));
        assertEquals("2", wait.retryAfterSeconds(), "200 tokens at 100/s");
        HttpError tooBig = assertThrows(HttpError.class, () -> l.admitSamples("a", 201));
        assertTrue(tooBig.getMessage().contains("exceeds the ingestion burst of 200"), tooBig.getMessage());
        nanos.addAndGet(10_000_000_000L);   // refills up to the burst only
        l.admitSamples("a", 200);
        assertThrows(HttpError.class, () -> l.admitSamples("a", 1));
    }

    @Test
    void concurrencyPerTenant() throws Exception {
        TenantLimiter l = limiter("defaults: {max_concurrent_queries: 2}\noverrides:\n  solo: {max_concurrent_queries: 1}\n");
        l.startQuery("solo");
        HttpError e = assertThrows(HttpError.class, () -> l.startQuery("solo"));
        assertEquals(429, e.status());
        l.startQuery("other");
        l.startQuery("other");
        assertThrows(HttpError.class, () -> l.startQuery("other"));
        l.endQuery("solo", 1000, true);
        l.startQuery("solo");
    }

    @Test
    void defaultsOverFlagsAndOverridesOverDefaults() throws Exception {
        TenantLimiter l = limiter("defaults: {max_samples_per_query: 1000}\noverrides:\n  a: {max_label_names_per_series: 5}\n");
        assertEquals(40, l.limits("anyone").maxLabelNamesPerSeries(), "flag");
        assertEquals(1000, l.limits("anyone").maxSamplesPerQuery(), "defaults");
        assertEquals(5, l.limits("a").maxLabelNamesPerSeries());
        assertEquals(1000, l.limits("a").maxSamplesPerQuery(), "an override keeps the defaults it does not set");
    }

    @Test
    void badFilesAreRefusedWithFileKeyAndReason() throws Exception {
        assertTrue(error("overrides:\n  a: {ingestion_rte: 5}\n").contains("overrides.a: unknown key \"ingestion_rte\""));
        assertTrue(error("limits:\n  a: {}\n").contains("unknown key \"limits\""));
        assertTrue(error("overrides:\n  \"bad id\": {ingestion_rate: 5}\n").contains("invalid tenant ID \"bad id\""));
        assertTrue(error("defaults: {ingestion_rate: -1}\n").contains("defaults: limits must be finite and not negative"));
        assertTrue(error("defaults: {max_concurrent_queries: lots}\n").contains("defaults: "));
    }

    String error(String yaml) {
        Exception e = assertThrows(TenantLimitsFile.LimitsException.class, () -> limiter(yaml));
        assertTrue(e.getMessage().startsWith("tenant limits " + dir.resolve("limits.yml") + ": "), e.getMessage());
        return e.getMessage();
    }

    @Test
    void reloadAppliesAGoodFileAndKeepsTheLimitsOnABadOne() throws Exception {
        TenantLimiter l = limiter("overrides:\n  a: {ingestion_rate: 10}\n");
        assertEquals(10, l.limits("a").ingestionRate());
        assertTrue(l.reload(true).message().contains("unchanged"));
        Files.writeString(l.file(), "overrides:\n  a: {ingestion_rate: 20}\n");
        assertTrue(l.reload(true).ok());
        assertEquals(20, l.limits("a").ingestionRate());
        Files.writeString(l.file(), "overrides:\n  a: {ingestion_rate: twenty}\n");
        assertFalse(l.reload(true).ok());
        assertEquals(20, l.limits("a").ingestionRate(), "the previous limits stay");
    }
}
