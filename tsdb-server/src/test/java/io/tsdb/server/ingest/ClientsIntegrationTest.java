package io.tsdb.server.ingest;

import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.influx.InfluxConfig;
import io.micrometer.influx.InfluxMeterRegistry;
import io.micrometer.registry.otlp.OtlpConfig;
import io.micrometer.registry.otlp.OtlpMeterRegistry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.LongUpDownCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.opentelemetry.sdk.resources.Resource;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.OpenMetricsTextFormatWriter;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/** Real client libraries pointed at the real server; the data each sent is read back from storage exactly. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClientsIntegrationTest extends IngestHttpTestBase {

    private static TreeMap<String, Double> map(Object... kv) {
        TreeMap<String, Double> m = new TreeMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], ((Number) kv[i + 1]).doubleValue());
        return m;
    }

    @Test void micrometerInfluxRegistry() {
        InfluxConfig cfg = new InfluxConfig() {
            @Override public String get(String key) { return null; }
            @Override public String uri() { return base; }
            @Override public String db() { return "mydb"; }
            @Override public boolean autoCreateDb() { return false; }
            @Override public Duration step() { return Duration.ofMinutes(10); }
        };
        long before = System.currentTimeMillis();
        InfluxMeterRegistry registry = InfluxMeterRegistry.builder(cfg).clock(Clock.SYSTEM).build();
        Counter c = Counter.builder("orders.created").tags("region", "eu west").register(registry);
        c.increment(3);
        AtomicInteger depth = new AtomicInteger(17);
        Gauge.builder("queue.depth", depth, AtomicInteger::get).tags(Tags.of("queue", "in,bound")).register(registry);
        registry.close(); // publishes once (gzip-compressed line protocol, precision ms)
        long after = System.currentTimeMillis();
        assertEquals(map("orders_created_value{db=\"mydb\", metric_type=\"counter\", region=\"eu west\"}", 3,
                "queue_depth_value{db=\"mydb\", metric_type=\"gauge\", queue=\"in,bound\"}", 17), latest("orders_created_value|queue_depth_value"));
        for (String s : query("orders_created_value|queue_depth_value")) {
            long t = Long.parseLong(s.substring(s.lastIndexOf(' ') + 1, s.lastIndexOf('=')));
            assertTrue(t >= before - 600_000 && t <= after, s);
        }
    }

    @Test void micrometerOtlpRegistry() {
        OtlpConfig cfg = new OtlpConfig() {
            @Override public String get(String key) { return null; }
            @Override public String url() { return base + "/api/v1/otlp/v1/metrics"; }
            @Override public Map<String, String> resourceAttributes() {
                return Map.of("service.name", "billing", "service.instance.id", "billing-1");
            }
            @Override public Duration step() { return Duration.ofMinutes(10); }
        };
        OtlpMeterRegistry registry = OtlpMeterRegistry.builder(cfg).clock(Clock.SYSTEM).build();
        Counter.builder("invoices.sent").tags("kind", "email").register(registry).increment(4);
        AtomicInteger open = new AtomicInteger(9);
        Gauge.builder("invoices.open", open, AtomicInteger::get).register(registry);
        registry.close();
        assertEquals(map("invoices_open{instance=\"billing-1\", job=\"billing\"}", 9,
                "invoices_sent_total{instance=\"billing-1\", job=\"billing\", kind=\"email\"}", 4), latest("invoices_.*"));
    }

    @Test void openTelemetrySdkOtlpHttpExporter() {
        OtlpHttpMetricExporter exporter = OtlpHttpMetricExporter.builder()
                .setEndpoint(base + "/api/v1/otlp/v1/metrics").setCompression("gzip").build();
        PeriodicMetricReader reader = PeriodicMetricReader.builder(exporter).setInterval(Duration.ofHours(1)).build();
        Resource resource = Resource.getDefault().merge(Resource.create(Attributes.of(
                AttributeKey.stringKey("service.name"), "otel-test", AttributeKey.stringKey("service.namespace"), "shop",
                AttributeKey.stringKey("service.instance.id"), "inst-1")));
        SdkMeterProvider provider = SdkMeterProvider.builder().setResource(resource).registerMetricReader(reader).build();
        try {
            Meter meter = provider.get("io.tsdb.test");
            LongCounter orders = meter.counterBuilder("orders.processed").setUnit("{order}").build();
            orders.add(5, Attributes.of(AttributeKey.stringKey("shop.id"), "a"));
            orders.add(2, Attributes.of(AttributeKey.stringKey("shop.id"), "b"));
            DoubleHistogram latency = meter.histogramBuilder("request.duration").setUnit("s")
                    .setExplicitBucketBoundariesAdvice(List.of(0.1, 1.0)).build();
            latency.record(0.05);
            latency.record(0.5);
            latency.record(2.0);
            meter.gaugeBuilder("room.temperature").setUnit("Cel").buildWithCallback(m -> m.record(21.5));
            LongUpDownCounter queue = meter.upDownCounterBuilder("queue.size").build();
            queue.add(-2);
            CompletableResultCode flush = provider.forceFlush().join(30, TimeUnit.SECONDS);
            assertTrue(flush.isSuccess(), "export failed");
        } finally {
            provider.shutdown().join(10, TimeUnit.SECONDS);
        }
        String res = "instance=\"inst-1\", job=\"shop/otel-test\"";
        assertEquals(map(
                "orders_processed_total{" + res + ", shop_id=\"a\"}", 5,
                "orders_processed_total{" + res + ", shop_id=\"b\"}", 2,
                "queue_size{" + res + "}", -2,
                "request_duration_seconds_bucket{" + res + ", le=\"+Inf\"}", 3,
                "request_duration_seconds_bucket{" + res + ", le=\"0.1\"}", 1,
                "request_duration_seconds_bucket{" + res + ", le=\"1\"}", 2,
                "request_duration_seconds_count{" + res + "}", 3,
                "request_duration_seconds_sum{" + res + "}", 2.55,
                "room_temperature_celsius{" + res + "}", 21.5),
                latest("orders_processed_total|queue_size|request_duration_seconds_.*|room_temperature_celsius"));
    }

    @Test void prometheusJavaClientTextAndOpenMetricsOutput() throws Exception {
        PrometheusRegistry reg = new PrometheusRegistry();
        io.prometheus.metrics.core.metrics.Counter jobs = io.prometheus.metrics.core.metrics.Counter.builder()
                .name("jobs_processed_total").help("Jobs processed.").labelNames("queue").register(reg);
        jobs.labelValues("a").inc(3);
        jobs.labelValues("b \"quoted\"").inc(1.5);
        io.prometheus.metrics.core.metrics.Gauge.builder().name("temperature_celsius").help("Temp.").register(reg).set(-4.25);
        Histogram h = Histogram.builder().name("job_duration_seconds").help("Duration.").classicOnly()
                .classicUpperBounds(0.1, 1).register(reg);
        h.observe(0.05);
        h.observe(0.5);
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(text, reg.scrape());
        long before = System.currentTimeMillis();
        var r = send("POST", "/api/v1/import/prometheus", text.toByteArray(), "Content-Type", PrometheusTextFormatWriter.CONTENT_TYPE);
        assertEquals(204, r.statusCode(), r.body() + "\n" + text);
        TreeMap<String, Double> expected = map(
                "job_duration_seconds_bucket{le=\"+Inf\"}", 2,
                "job_duration_seconds_bucket{le=\"0.1\"}", 1,
                "job_duration_seconds_bucket{le=\"1.0\"}", 2,
                "job_duration_seconds_count{}", 2,
                "job_duration_seconds_sum{}", 0.55,
                "jobs_processed_total{queue=\"a\"}", 3,
                "jobs_processed_total{queue=\"b \\\"quoted\\\"\"}", 1.5,
                "temperature_celsius{}", -4.25);
        assertEquals(expected, latest("job_duration_seconds_.*|jobs_processed_total|temperature_celsius"));
        for (String s : query("jobs_processed_total")) {
            long t = Long.parseLong(s.substring(s.lastIndexOf(' ') + 1, s.lastIndexOf('=')));
            assertTrue(t >= before && t <= System.currentTimeMillis(), s);
        }
        assertEquals("counter", server.context().metadata().get("jobs_processed_total").get(0).type());
        assertEquals("Jobs processed.", server.context().metadata().get("jobs_processed_total").get(0).help());

        // the same registry pushed Pushgateway-style, and as OpenMetrics
        jobs.labelValues("a").inc(1);
        ByteArrayOutputStream pushed = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(pushed, reg.scrape());
        assertEquals(200, send("PUT", "/metrics/job/batch/instance@base64/aG9zdC8x", pushed.toByteArray(),
                "Content-Type", PrometheusTextFormatWriter.CONTENT_TYPE).statusCode());
        assertEquals(4.0, latest("jobs_processed_total").get("jobs_processed_total{instance=\"host/1\", job=\"batch\", queue=\"a\"}"));
        ByteArrayOutputStream om = new ByteArrayOutputStream();
        new OpenMetricsTextFormatWriter(false, false).write(om, reg.scrape());
        r = send("POST", "/api/v1/import/prometheus", om.toByteArray(), "Content-Type", OpenMetricsTextFormatWriter.CONTENT_TYPE);
        assertEquals(204, r.statusCode(), r.body() + "\n" + om);
        assertEquals(4.0, latest("jobs_processed_total").get("jobs_processed_total{queue=\"a\"}"));
    }
}
