package io.tsdb.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.MockClock;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.ipc.http.HttpUrlConnectionSender;
import io.micrometer.registry.otlp.AggregationTemporality;
import io.micrometer.registry.otlp.HistogramFlavor;
import io.micrometer.registry.otlp.OtlpConfig;
import io.micrometer.registry.otlp.OtlpHttpMetricsSender;
import io.micrometer.registry.otlp.OtlpMeterRegistry;
import io.micrometer.registry.otlp.OtlpMetricsSender;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
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

    /** Micrometer's OTLP registry with base-2 exponential histograms, pushing OTLP/HTTP protobuf to this server. */
    OtlpConfig micrometerConfig(AggregationTemporality temporality, boolean enabled) {
        return new OtlpConfig() {
            @Override public String get(String key) { return null; }
            @Override public boolean enabled() { return enabled; }
            @Override public String url() { return server.baseUrl() + "/api/v1/otlp/v1/metrics"; }
            @Override public Duration step() { return Duration.ofMinutes(1); }
            @Override public Map<String, String> resourceAttributes() { return Map.of("service.name", "shop", "service.instance.id", "shop-1"); }
            @Override public AggregationTemporality aggregationTemporality() { return temporality; }
            @Override public HistogramFlavor histogramFlavor() { return HistogramFlavor.BASE2_EXPONENTIAL_BUCKET_HISTOGRAM; }
            // Micrometer's defaults, written out: it starts at scale 20 and lowers the scale as the recorded range needs
            // more than 160 buckets (the test's data ends at scale 5 after the first export, 4 after the second)
            @Override public int maxScale() { return 20; }
            @Override public int maxBucketCount() { return 160; }
        };
    }

    /** An OTLP registry published on demand (the step scheduler is off): each publish is one export at the clock's time. */
    static final class ManualOtlpRegistry extends OtlpMeterRegistry {
        ManualOtlpRegistry(OtlpConfig config, MockClock clock) { super(config, clock); }
        void publishNow() { publish(); }
    }

    /** Records a duration given in milliseconds at nanosecond resolution; returns what the timer recorded (in ms, its base unit). */
    static double record(Timer timer, double ms) {
        long nanos = Math.round(ms * 1e6);
        timer.record(nanos, TimeUnit.NANOSECONDS);
        return nanos / 1e6;
    }

    /**
     * Micrometer's OTLP registry with the base-2 exponential histogram flavour and cumulative temporality (the
     * Prometheus model): a Timer's histogram is exported twice, 15 s apart, and becomes one native histogram sample
     * per export (the registry's unit, milliseconds, in the name); rate() over both sees only what was recorded between.
     */
    @Test void micrometerOtlpExponentialHistogramAnswersHistogramQuantile() throws Exception {
        long t0 = System.currentTimeMillis() - 30_000, t1 = t0 + 15_000;
        MockClock clock = new MockClock();
        clock.add(t0 - clock.wallTime(), TimeUnit.MILLISECONDS);
        ManualOtlpRegistry registry = new ManualOtlpRegistry(micrometerConfig(AggregationTemporality.CUMULATIVE, false), clock);
        Random rnd = new Random(23);
        double total = 0;
        double[] second = new double[6000];
        try {
            Timer timer = Timer.builder("http.server.requests").tag("uri", "/checkout").publishPercentileHistogram().register(registry);
            for (int i = 0; i < 2000; i++) total += record(timer, 5 + rnd.nextDouble() * 95);
            registry.publishNow(); // at t0
            clock.add(15, TimeUnit.SECONDS);
            // between the exports: a log-normal latency distribution around 20 ms
            for (int i = 0; i < second.length; i++) {
                second[i] = record(timer, Math.exp(Math.log(20) + 0.7 * rnd.nextGaussian()));
                total += second[i];
            }
            registry.publishNow(); // at t1
        } finally {
            registry.close();
        }
        String name = "http_server_requests_milliseconds";
        double at = t1 / 1000.0;
        JsonNode raw = query(name, at);
        assertEquals(1, raw.at("/data/result").size(), raw.toString());
        assertEquals("shop", raw.at("/data/result/0/metric/job").asText(), raw.toString());
        assertEquals("shop-1", raw.at("/data/result/0/metric/instance").asText(), raw.toString());
        assertEquals("/checkout", raw.at("/data/result/0/metric/uri").asText(), raw.toString());
        JsonNode h = raw.at("/data/result/0/histogram/1");
        assertFalse(h.isMissingNode(), raw.toString());
        assertEquals(8000, h.get("count").asDouble(), 0, raw.toString());
        assertEquals(total, h.get("sum").asDouble(), total * 1e-12, raw.toString());
        // count and sum through PromQL at both exports
        assertEquals(2000, query("histogram_count(" + name + ")", t0 / 1000.0).at("/data/result/0/value/1").asDouble(), 0);
        assertEquals(8000, query("histogram_count(" + name + ")", at).at("/data/result/0/value/1").asDouble(), 0);
        assertEquals(total, query("histogram_sum(" + name + ")", at).at("/data/result/0/value/1").asDouble(), total * 1e-12);
        // rate()'s extrapolation scales count and sum alike: their ratio is the mean of what was recorded in between
        double mean = Arrays.stream(second).average().orElseThrow();
        JsonNode avg = query("histogram_avg(rate(" + name + "[1m]))", at);
        assertEquals(mean, avg.at("/data/result/0/value/1").asDouble(), mean * 1e-9, avg.toString());
        // the bucket ratio of the stored schema bounds the error of an estimate inside one bucket; the registry lowered
        // its scale between the exports, so rate() also crosses a schema change here
        JsonNode lastBucket = h.get("buckets").get(h.get("buckets").size() - 1);
        double ratio = lastBucket.get(2).asDouble() / lastBucket.get(1).asDouble();
        assertTrue(ratio > 1 && ratio < 1.1, "bucket ratio " + ratio);
        JsonNode firstExport = query(name, t0 / 1000.0).at("/data/result/0/histogram/1/buckets/0");
        System.out.printf("Micrometer OTLP exponential histogram: bucket ratio %.4f at the first export, %.4f at the second%n",
                firstExport.get(2).asDouble() / firstExport.get(1).asDouble(), ratio);
        for (double q : new double[]{0.5, 0.9, 0.99}) {
            JsonNode r = query("histogram_quantile(" + q + ", rate(" + name + "[1m]))", at);
            double got = r.at("/data/result/0/value/1").asDouble(Double.NaN);
            double want = quantile(second, q);
            System.out.printf("Micrometer OTLP exponential histogram: q%s got %.6f recorded %.6f (rel. error %.4f, bucket ratio %.4f)%n",
                    q, got, want, Math.abs(got - want) / want, ratio);
            assertTrue(Math.abs(got - want) <= want * (ratio - 1), "q" + q + ": got " + got + ", recorded " + want + ", bucket ratio " + ratio + ": " + r);
        }
    }

    /**
     * The same registry with delta temporality (Micrometer's other choice): the exponential histogram is refused with a
     * 400 naming the metric and telling the user to configure cumulative temporality, and so is the delta counter;
     * nothing of them is stored, while the gauge in the same request (no temporality) is.
     */
    @Test void micrometerOtlpDeltaTemporalityIsRefusedWith400() throws Exception {
        long step = 60_000;
        // the clock starts just after a step boundary one to two steps ago, so the registry's own scheduled publish is
        // a whole step away, and one step later the recorded step is complete and published at a time in the past minute
        long start = (System.currentTimeMillis() / step - 2) * step + 1;
        MockClock clock = new MockClock();
        clock.add(start - clock.wallTime(), TimeUnit.MILLISECONDS);
        List<String> failures = new ArrayList<>();
        OtlpMetricsSender http = new OtlpHttpMetricsSender(new HttpUrlConnectionSender());
        OtlpMetricsSender recording = request -> {
            try {
                http.send(request);
            } catch (Exception e) { // kept for the assertions, not rethrown: the registry would log it with a stack trace
                synchronized (failures) { failures.add(e.getMessage()); }
            }
        };
        OtlpMeterRegistry registry = OtlpMeterRegistry.builder(micrometerConfig(AggregationTemporality.DELTA, true))
                .clock(clock).metricsSender(recording).build();
        Random rnd = new Random(5);
        java.util.concurrent.atomic.AtomicInteger queue = new java.util.concurrent.atomic.AtomicInteger(12);
        try {
            Timer timer = Timer.builder("http.client.requests").publishPercentileHistogram().register(registry);
            for (int i = 0; i < 1000; i++) record(timer, 1 + rnd.nextDouble() * 50);
            io.micrometer.core.instrument.Counter.builder("retries").register(registry).increment(3);
            io.micrometer.core.instrument.Gauge.builder("queue.size", queue, java.util.concurrent.atomic.AtomicInteger::get).register(registry);
            clock.add(step, TimeUnit.MILLISECONDS);
        } finally {
            registry.close(); // publishes the completed step
        }
        double at = clock.wallTime() / 1000.0;
        synchronized (failures) {
            assertEquals(1, failures.size(), failures.toString());
            String f = failures.get(0);
            assertTrue(f.contains("HTTP status code 400"), f);
            assertTrue(f.contains("accepted 1 of 3 samples; rejected 2 (delta_temporality: 2)"), f);
            assertTrue(f.contains("metric \"http.client.requests\": delta temporality is not supported; configure the exporter for cumulative temporality"), f);
        }
        JsonNode refused = query("{__name__=~\"http_client_requests.*|retries.*\"}", at);
        assertEquals(0, refused.at("/data/result").size(), "a delta point was stored: " + refused);
        JsonNode gauge = query("queue_size", at);
        assertEquals(12, gauge.at("/data/result/0/value/1").asDouble(), 0, gauge.toString());
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
