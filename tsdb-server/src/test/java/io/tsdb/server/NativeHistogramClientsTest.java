package io.tsdb.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.Aggregation;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.export.DefaultAggregationSelector;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.opentelemetry.sdk.resources.Resource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Real clients' native histograms through the whole server (production storage, PromQL engine, HTTP API): what the
 * client recorded comes back from {@code histogram_quantile(0.99, rate(x[1m]))} within the bucket error of the schema
 * the histogram was stored with.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NativeHistogramClientsTest {
    @TempDir Path dataDir;
    TsdbServer server;
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeEach void start() throws Exception {
        ServerConfig c = new ServerConfig();
        c.listenHost = "127.0.0.1";
        c.listenPort = 0;
        c.dataDir = dataDir;
        server = TsdbServer.builder(c).features(Defaults.features()).engine(Defaults.engine()).start();
    }

    @AfterEach void stop() { if (server != null) server.stop(); }

    JsonNode query(String q, double timeSec) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/api/v1/query?query="
                + URLEncoder.encode(q, StandardCharsets.UTF_8) + "&time=" + timeSec)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    /** The exact q-quantile of the values (nearest rank, as a client's raw data would say). */
    static double quantile(double[] values, double q) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v[(int) Math.ceil(q * v.length) - 1];
    }

    @Test void openTelemetrySdkExponentialHistogramAnswersHistogramQuantile() throws Exception {
        OtlpHttpMetricExporter exporter = OtlpHttpMetricExporter.builder()
                .setEndpoint(server.baseUrl() + "/api/v1/otlp/v1/metrics")
                .setDefaultAggregationSelector(DefaultAggregationSelector.getDefault()
                        .with(InstrumentType.HISTOGRAM, Aggregation.base2ExponentialBucketHistogram()))
                .build();
        PeriodicMetricReader reader = PeriodicMetricReader.builder(exporter).setInterval(Duration.ofHours(1)).build();
        Resource resource = Resource.getDefault().merge(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "checkout")));
        SdkMeterProvider provider = SdkMeterProvider.builder().setResource(resource).registerMetricReader(reader).build();
        Random rnd = new Random(42);
        double[] second = new double[5000];
        long exported;
        try {
            DoubleHistogram latency = provider.get("io.tsdb.test").histogramBuilder("rpc.latency").setUnit("s").build();
            for (int i = 0; i < 2000; i++) latency.record(0.001 + rnd.nextDouble() * 0.05);   // before the first export
            assertTrue(provider.forceFlush().join(30, TimeUnit.SECONDS).isSuccess(), "first export failed");
            Thread.sleep(20); // the second export must carry a later timestamp (ms resolution)
            // between the exports: a log-normal latency distribution; rate() over both exports sees only these
            for (int i = 0; i < second.length; i++) {
                second[i] = Math.exp(Math.log(0.02) + 0.8 * rnd.nextGaussian());
                latency.record(second[i]);
            }
            CompletableResultCode flush = provider.forceFlush().join(30, TimeUnit.SECONDS);
            assertTrue(flush.isSuccess(), "second export failed");
            exported = System.currentTimeMillis();
        } finally {
            provider.shutdown().join(10, TimeUnit.SECONDS);
        }
        double at = exported / 1000.0 + 1;
        // the stored histogram: native, its schema from the SDK's scale (at most 8)
        JsonNode raw = query("rpc_latency_seconds", at);
        JsonNode h = raw.at("/data/result/0/histogram/1");
        assertFalse(h.isMissingNode(), raw.toString());
        assertEquals(7000, h.get("count").asDouble(), 0, raw.toString());
        // the bucket ratio of the stored schema bounds the error of an estimate inside one bucket
        JsonNode firstBucket = h.get("buckets").get(h.get("buckets").size() - 1);
        double ratio = firstBucket.get(2).asDouble() / firstBucket.get(1).asDouble();
        assertTrue(ratio > 1 && ratio < 1.1, "bucket ratio " + ratio);
        for (double q : new double[]{0.5, 0.9, 0.99}) {
            JsonNode r = query("histogram_quantile(" + q + ", rate(rpc_latency_seconds[1m]))", at);
            double got = r.at("/data/result/0/value/1").asDouble(Double.NaN);
            double want = quantile(second, q);
            System.out.printf("OTel SDK exponential histogram: q%s got %.6f recorded %.6f (rel. error %.4f, bucket ratio %.4f)%n",
                    q, got, want, Math.abs(got - want) / want, ratio);
            assertTrue(Math.abs(got - want) <= want * (ratio - 1), "q" + q + ": got " + got + ", recorded " + want + ", bucket ratio " + ratio + ": " + r);
        }
        JsonNode count = query("histogram_count(rate(rpc_latency_seconds[1m]))", at);
        assertTrue(count.at("/data/result/0/value/1").asDouble() > 0, count.toString());
    }
}
