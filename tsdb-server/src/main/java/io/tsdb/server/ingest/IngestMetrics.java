package io.tsdb.server.ingest;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Ingest counters exposed on /metrics: samples accepted and rejected by protocol and reason, request body
 * sizes (as received and decompressed), ingest latency, and requests refused by backpressure.
 */
public final class IngestMetrics {
    final Counter accepted;
    final Counter rejected;
    final Histogram bodyBytes;
    final Histogram latency;
    final Counter throttled;
    private final ConcurrentHashMap<String, CounterDataPoint> acceptedByProtocol = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, CounterDataPoint> rejectedByKey = new ConcurrentHashMap<>();

    public IngestMetrics(PrometheusRegistry registry) {
        accepted = Counter.builder().name("tsdb_ingest_samples_accepted_total")
                .help("Samples accepted (committed) by ingest protocol").labelNames("protocol").register(registry);
        rejected = Counter.builder().name("tsdb_ingest_samples_rejected_total")
                .help("Samples (or unparseable lines/fields) rejected by ingest protocol and reason")
                .labelNames("protocol", "reason").register(registry);
        bodyBytes = Histogram.builder().name("tsdb_ingest_request_body_bytes")
                .help("Ingest request body sizes, as received (stage=wire) and after decompression (stage=decoded)")
                .labelNames("protocol", "stage").classicOnly()
                .classicExponentialUpperBounds(256, 4, 10).register(registry);
        latency = Histogram.builder().name("tsdb_ingest_duration_seconds")
                .help("Time to decode, append and commit one ingest request").labelNames("protocol").classicOnly()
                .classicUpperBounds(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
                .register(registry);
        throttled = Counter.builder().name("tsdb_ingest_requests_throttled_total")
                .help("Ingest requests refused by backpressure (reason=queue_full|memory_budget|not_ready)")
                .labelNames("reason").register(registry);
    }

    public void accepted(String protocol, long n) {
        if (n > 0) acceptedByProtocol.computeIfAbsent(protocol, p -> accepted.labelValues(p)).inc(n);
    }

    public void rejected(String protocol, String reason, long n) {
        if (n > 0) rejectedByKey.computeIfAbsent(protocol + '\0' + reason, k -> rejected.labelValues(protocol, reason)).inc(n);
    }

    public void body(String protocol, long wireBytes, long decodedBytes) {
        bodyBytes.labelValues(protocol, "wire").observe(wireBytes);
        bodyBytes.labelValues(protocol, "decoded").observe(decodedBytes);
    }

    public void latency(String protocol, long nanos) { latency.labelValues(protocol).observe(nanos / 1e9); }

    public void throttled(String reason) { throttled.labelValues(reason).inc(); }
}
