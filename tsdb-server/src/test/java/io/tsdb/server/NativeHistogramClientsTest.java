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

    /**
     * The Prometheus Java client's native histogram, pushed by remote write 1.0: each snapshot of the client's
     * histogram (schema, zero bucket, sparse bucket indexes and counts, exactly as the client keeps them) becomes one
     * histogram sample, spans and deltas laid out as Prometheus's protobuf does.
     */
    @Test void prometheusJavaClientNativeHistogramAnswersHistogramQuantile() throws Exception {
        io.prometheus.metrics.model.registry.PrometheusRegistry reg = new io.prometheus.metrics.model.registry.PrometheusRegistry();
        io.prometheus.metrics.core.metrics.Histogram latency = io.prometheus.metrics.core.metrics.Histogram.builder()
                .name("job_duration_seconds").help("Job duration.").nativeOnly().register(reg);
        Random rnd = new Random(7);
        for (int i = 0; i < 3000; i++) latency.observe(0.5 + rnd.nextDouble());
        long t0 = System.currentTimeMillis() - 30_000, t1 = t0 + 15_000;
        push(reg, t0);
        double[] second = new double[8000];
        for (int i = 0; i < second.length; i++) {
            second[i] = Math.exp(Math.log(0.3) + 0.6 * rnd.nextGaussian());
            latency.observe(second[i]);
        }
        var snap = push(reg, t1);
        double at = t1 / 1000.0;
        JsonNode raw = query("job_duration_seconds", at);
        JsonNode h = raw.at("/data/result/0/histogram/1");
        assertEquals(11000, h.get("count").asDouble(), 0, raw.toString());
        double ratio = Math.pow(2, Math.pow(2, -snap.getNativeSchema()));
        for (double q : new double[]{0.5, 0.9, 0.99}) {
            JsonNode r = query("histogram_quantile(" + q + ", rate(job_duration_seconds[1m]))", at);
            double got = r.at("/data/result/0/value/1").asDouble(Double.NaN);
            double want = quantile(second, q);
            System.out.printf("Prometheus Java client native histogram (schema %d): q%s got %.6f recorded %.6f (rel. error %.4f, bucket ratio %.4f)%n",
                    snap.getNativeSchema(), q, got, want, Math.abs(got - want) / want, ratio);
            assertTrue(Math.abs(got - want) <= want * (ratio - 1), "q" + q + ": got " + got + ", recorded " + want + ", bucket ratio " + ratio + ": " + r);
        }
    }

    /**
     * The Prometheus Java client's own protobuf exposition writer (what a Prometheus scrape of it gets, native
     * histograms included) pushed Pushgateway-style; the push stamps the samples with the receive time.
     */
    @Test void prometheusJavaClientProtobufExpositionPushed() throws Exception {
        io.prometheus.metrics.model.registry.PrometheusRegistry reg = new io.prometheus.metrics.model.registry.PrometheusRegistry();
        io.prometheus.metrics.core.metrics.Histogram latency = io.prometheus.metrics.core.metrics.Histogram.builder()
                .name("batch_duration_seconds").help("Batch duration.").nativeOnly().register(reg);
        io.prometheus.metrics.core.metrics.Counter.builder().name("batches_total").help("Batches.").register(reg).inc(2);
        Random rnd = new Random(11);
        for (int i = 0; i < 1000; i++) latency.observe(2 + rnd.nextDouble());
        pushProtobuf(reg);
        long first = System.currentTimeMillis();
        while (System.currentTimeMillis() < first + 5) Thread.onSpinWait(); // the second push must get a later receive time
        double[] second = new double[6000];
        for (int i = 0; i < second.length; i++) {
            second[i] = Math.exp(Math.log(0.05) + 0.5 * rnd.nextGaussian());
            latency.observe(second[i]);
        }
        pushProtobuf(reg);
        double at = System.currentTimeMillis() / 1000.0 + 1;
        JsonNode raw = query("batch_duration_seconds", at);
        assertEquals(7000, raw.at("/data/result/0/histogram/1/count").asDouble(), 0, raw.toString());
        assertEquals("batch", raw.at("/data/result/0/metric/job").asText(), raw.toString());
        assertEquals(2, query("batches_total", at).at("/data/result/0/value/1").asDouble(), 0);
        var snap = ((io.prometheus.metrics.model.snapshots.HistogramSnapshot) reg.scrape().get(0)).getDataPoints().get(0);
        double ratio = Math.pow(2, Math.pow(2, -snap.getNativeSchema()));
        for (double q : new double[]{0.5, 0.99}) {
            JsonNode r = query("histogram_quantile(" + q + ", rate(batch_duration_seconds[1m]))", at);
            double got = r.at("/data/result/0/value/1").asDouble(Double.NaN);
            double want = quantile(second, q);
            System.out.printf("Prometheus Java client protobuf exposition (schema %d): q%s got %.6f recorded %.6f (rel. error %.4f, bucket ratio %.4f)%n",
                    snap.getNativeSchema(), q, got, want, Math.abs(got - want) / want, ratio);
            assertTrue(Math.abs(got - want) <= want * (ratio - 1), "q" + q + ": got " + got + ", recorded " + want + ": " + r);
        }
    }

    void pushProtobuf(io.prometheus.metrics.model.registry.PrometheusRegistry reg) throws Exception {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        io.prometheus.metrics.expositionformats.PrometheusProtobufWriter w = new io.prometheus.metrics.expositionformats.PrometheusProtobufWriter();
        assertTrue(w.isAvailable(), "the protobuf writer needs prometheus-metrics-exposition-formats");
        w.write(out, reg.scrape());
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/metrics/job/batch"))
                .header("Content-Type", w.getContentType()).PUT(HttpRequest.BodyPublishers.ofByteArray(out.toByteArray())).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
    }

    /** Snapshots the registry's one histogram and sends it as a remote write 1.0 histogram sample at ts. */
    io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot push(
            io.prometheus.metrics.model.registry.PrometheusRegistry reg, long ts) throws Exception {
        var hs = (io.prometheus.metrics.model.snapshots.HistogramSnapshot) reg.scrape().get(0);
        var p = hs.getDataPoints().get(0);
        io.tsdb.server.ingest.ProtoWriter w = new io.tsdb.server.ingest.ProtoWriter();
        w.msg(1, series -> {
            series.msg(1, l -> l.string(1, "__name__").string(2, hs.getMetadata().getPrometheusName()));
            series.msg(4, m -> {
                m.uint(1, p.getCount()).dbl(3, p.getSum()).sint(4, p.getNativeSchema())
                        .dbl(5, p.getNativeZeroThreshold()).uint(6, p.getNativeZeroCount());
                sparse(m, p.getNativeBucketsForNegativeValues(), 8, 9);
                sparse(m, p.getNativeBucketsForPositiveValues(), 11, 12);
                m.uint(15, ts);
            });
        });
        byte[] raw = w.toByteArray();
        io.airlift.compress.snappy.SnappyCompressor c = new io.airlift.compress.snappy.SnappyCompressor();
        byte[] out = new byte[c.maxCompressedLength(raw.length)];
        byte[] body = Arrays.copyOf(out, c.compress(raw, 0, raw.length, out, 0, out.length));
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/api/v1/write"))
                .header("Content-Type", "application/x-protobuf").header("Content-Encoding", "snappy")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(204, r.statusCode(), r.body());
        return p;
    }

    /** Sparse (index, count) buckets as spans (a new span at every gap) and deltas. */
    static void sparse(io.tsdb.server.ingest.ProtoWriter m, io.prometheus.metrics.model.snapshots.NativeHistogramBuckets b,
                       int spanField, int deltaField) {
        if (b.size() == 0) return;
        int start = 0;
        int prevEnd = 0;
        for (int i = 1; i <= b.size(); i++) {
            if (i == b.size() || b.getBucketIndex(i) != b.getBucketIndex(i - 1) + 1) {
                int offset = start == 0 ? b.getBucketIndex(0) : b.getBucketIndex(start) - prevEnd;
                int length = i - start;
                m.msg(spanField, s -> s.sint(1, offset).uint(2, length));
                prevEnd = b.getBucketIndex(i - 1) + 1;
                start = i;
            }
        }
        m.msg(deltaField, d -> {
            long prev = 0;
            for (int i = 0; i < b.size(); i++) {
                long delta = b.getCount(i) - prev;
                d.varint((delta << 1) ^ (delta >> 63));
                prev = b.getCount(i);
            }
        });
    }
}
