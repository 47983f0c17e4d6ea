package io.tsdb.server.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SeriesSet;
import io.tsdb.server.ServerConfig;
import io.tsdb.server.TsdbServer;
import io.tsdb.server.api.PrometheusApiFeature;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Cardinality guards over remote write against the production storage: new series past
 * --storage.max-active-series or --storage.max-active-series-per-metric are refused with 400 naming the limit,
 * the metric and the current count; the rest of the request is stored; existing series keep ingesting; the
 * refusals are counted by reason in /metrics and the series counts are in /api/v1/status/tsdb.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CardinalityLimitTest {
    @TempDir Path dataDir;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    private TsdbServer start() throws Exception {
        ServerConfig c = new ServerConfig();
        c.listenHost = "127.0.0.1";
        c.listenPort = 0;
        c.dataDir = dataDir;
        c.maxActiveSeries = 10;
        c.maxActiveSeriesPerMetric = 4;
        return TsdbServer.builder(c).features(new IngestFeature(), new PrometheusApiFeature()).start();
    }

    private static HttpResponse<String> get(TsdbServer s, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(s.baseUrl() + path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** One remote-write request: for each metric, series {@code from..to-1}, one sample at {@code t}. */
    private static HttpResponse<String> write(TsdbServer s, long t, Object... metricFromTo) throws Exception {
        ProtoWriter w = new ProtoWriter();
        for (int k = 0; k < metricFromTo.length; k += 3) {
            String metric = (String) metricFromTo[k];
            int from = (Integer) metricFromTo[k + 1], to = (Integer) metricFromTo[k + 2];
            for (int i = from; i < to; i++) {
                String pod = "p" + i;
                w.msg(1, ts -> {
                    ts.msg(1, l -> l.string(1, "__name__").string(2, metric));
                    ts.msg(1, l -> l.string(1, "pod").string(2, pod));
                    ts.msg(2, x -> x.dbl(1, 1).uint(2, t));
                });
            }
        }
        byte[] body = RemoteWriteHandlerTest.snappy(w.toByteArray());
        return HTTP.send(HttpRequest.newBuilder(URI.create(s.baseUrl() + "/api/v1/write")).POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .header("Content-Type", "application/x-protobuf").header("Content-Encoding", "snappy").build(), HttpResponse.BodyHandlers.ofString());
    }

    private static long series(TsdbServer s, String metric) {
        long n = 0;
        try (Querier q = s.context().storage().querier(Long.MIN_VALUE, Long.MAX_VALUE)) {
            SeriesSet ss = q.select(List.of(Matcher.eq(Labels.METRIC_NAME, metric)));
            while (ss.next()) n++;
        }
        return n;
    }

    @Test void newSeriesPastALimitAreRefusedWith400AndTheRestIsStored() throws Exception {
        long now = System.currentTimeMillis();
        try (TsdbServer s = start()) {
            // 6 series of "a" (limit 4 per metric) and 3 of "b": 2 of "a" refused, the rest stored
            HttpResponse<String> r = write(s, now - 10_000, "a", 0, 6, "b", 0, 3);
            assertEquals(400, r.statusCode(), r.body());
            assertTrue(r.body().contains("accepted 7 of 9 samples; rejected 2 (series_per_metric_limit: 2)"), r.body());
            assertTrue(r.body().contains("metric a has 4 active series, the limit max_active_series_per_metric=4 is reached"), r.body());
            assertEquals(4, series(s, "a"));
            assertEquals(3, series(s, "b"));
            // 7 active; 5 more series of "c": 3 fit under max_active_series=10, 2 are refused; the existing ones keep ingesting
            r = write(s, now - 5_000, "c", 0, 5, "a", 0, 4, "b", 0, 3);
            assertEquals(400, r.statusCode(), r.body());
            assertTrue(r.body().contains("accepted 10 of 12 samples; rejected 2 (series_limit: 2)"), r.body());
            assertTrue(r.body().contains("of metric c: the limit max_active_series=10 is reached (10 active series)"), r.body());
            assertEquals(3, series(s, "c"));
            // nothing past the limits costs an existing series anything
            assertEquals(204, write(s, now, "a", 0, 4, "b", 0, 3, "c", 0, 3).statusCode());
            String metrics = get(s, "/metrics").body();
            assertTrue(metrics.contains("tsdb_storage_samples_rejected_total{reason=\"series_per_metric_limit\"} 2.0"), metrics);
            assertTrue(metrics.contains("tsdb_storage_samples_rejected_total{reason=\"series_limit\"} 2.0"), metrics);
            assertTrue(metrics.contains("tsdb_head_series 10.0"), metrics);
            assertTrue(metrics.contains("tsdb_head_flushes_total{reason=\"churn\"} 0.0"), metrics);
            JsonNode st = new ObjectMapper().readTree(get(s, "/api/v1/status/tsdb").body()).get("data");
            assertEquals(10, st.get("headStats").get("numSeries").asLong());
            assertEquals(10, st.get("seriesStats").get("headSeries").asLong());
            assertEquals(10, st.get("seriesStats").get("registrySeries").asLong());
            assertEquals(10, st.get("seriesStats").get("createdTotal").asLong());
        }
    }
}
