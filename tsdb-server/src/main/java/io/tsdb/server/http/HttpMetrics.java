package io.tsdb.server.http;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-request instrumentation: request counter by route and status code, latency and response-size
 * histograms by route, in-flight gauge, and (with {@code --log.access}) one structured access-log event per request.
 * The data points of each route are looked up once and kept ({@link Route}): the registry's lookup by label values
 * builds a key list per call.
 */
public final class HttpMetrics {
    /** Route label for requests that matched no route (404), so unknown paths cannot explode cardinality. */
    public static final String UNMATCHED = "unmatched";
    private static final Logger ACCESS = LoggerFactory.getLogger("io.tsdb.server.http.access");

    private final Counter requests;
    private final Histogram duration;
    private final Histogram responseSize;
    private final Gauge inFlight;
    private final Counter inline;
    /** Whether {@link #finished} writes the access-log line ({@code --log.access}). */
    private final boolean accessLog;
    /** The data points of each route seen so far (routes are the router's names and {@link #UNMATCHED}: a few dozen). */
    private final java.util.concurrent.ConcurrentHashMap<String, Route> routes = new java.util.concurrent.ConcurrentHashMap<>();

    /** One route's data points; the counters by status code are filled as codes occur (a lost race finds the same point). */
    private final class Route {
        final String name;
        final io.prometheus.metrics.core.datapoints.DistributionDataPoint duration, responseSize;
        final io.prometheus.metrics.core.datapoints.CounterDataPoint[] byStatus = new io.prometheus.metrics.core.datapoints.CounterDataPoint[600];
        /** Inline requests answered on the event loop, and handed on to a worker (made when first used). */
        io.prometheus.metrics.core.datapoints.CounterDataPoint inlineAnswered, inlineDeferred;

        Route(String name) {
            this.name = name;
            duration = HttpMetrics.this.duration.labelValues(name);
            responseSize = HttpMetrics.this.responseSize.labelValues(name);
        }

        io.prometheus.metrics.core.datapoints.CounterDataPoint requests(int status) {
            if (status < 0 || status >= byStatus.length) return HttpMetrics.this.requests.labelValues(name, Integer.toString(status));
            io.prometheus.metrics.core.datapoints.CounterDataPoint p = byStatus[status];
            if (p == null) byStatus[status] = p = HttpMetrics.this.requests.labelValues(name, Integer.toString(status));
            return p;
        }
    }

    /** Without the access log. */
    public HttpMetrics(PrometheusRegistry registry) { this(registry, false); }

    /** @param accessLog write one access-log line per request ({@code --log.access}) */
    public HttpMetrics(PrometheusRegistry registry, boolean accessLog) {
        this.accessLog = accessLog;
        requests = Counter.builder().name("tsdb_http_requests_total")
                .help("HTTP requests served, by route and status code.")
                .labelNames("route", "code").register(registry);
        duration = Histogram.builder().name("tsdb_http_request_duration_seconds")
                .help("HTTP request latency from receipt of the full request to the response being written, by route.")
                .unit(io.prometheus.metrics.model.snapshots.Unit.SECONDS)
                .classicOnly()
                .classicUpperBounds(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
                .labelNames("route").register(registry);
        responseSize = Histogram.builder().name("tsdb_http_response_size_bytes")
                .help("HTTP response body sizes, by route.")
                .classicOnly()
                .classicExponentialUpperBounds(100, 10, 8)
                .labelNames("route").register(registry);
        inFlight = Gauge.builder().name("tsdb_http_requests_in_flight")
                .help("HTTP requests received and not yet answered.").register(registry);
        inline = Counter.builder().name("tsdb_http_inline_requests_total")
                .help("Requests of inline routes (the query routes) by where they were answered: on the event loop"
                        + " (answered), or handed to a worker because they were not small (deferred).")
                .labelNames("route", "outcome").register(registry);
    }

    /** Counts a request of an inline route: answered on the event loop, or handed to a worker. */
    void inline(String routeName, boolean answered) {
        Route r = routes.computeIfAbsent(routeName, Route::new);
        if (answered) {
            if (r.inlineAnswered == null) r.inlineAnswered = inline.labelValues(routeName, "answered");
            r.inlineAnswered.inc();
        } else {
            if (r.inlineDeferred == null) r.inlineDeferred = inline.labelValues(routeName, "deferred");
            r.inlineDeferred.inc();
        }
    }

    void started() { inFlight.inc(); }

    /** Records a finished request: metrics and (with {@code --log.access}) the access-log line. */
    void finished(String requestId, String method, String path, String route, int status, long startNanos,
                  long bytesIn, long bytesOut, String remote) {
        inFlight.dec();
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        String r = route == null ? UNMATCHED : route;
        Route points = routes.computeIfAbsent(r, Route::new);
        points.requests(status).inc();
        points.duration.observe(seconds);
        points.responseSize.observe(bytesOut);
        if (!accessLog || !ACCESS.isInfoEnabled()) return;
        ACCESS.atInfo()
                .addKeyValue("request_id", requestId)
                .addKeyValue("method", method)
                .addKeyValue("path", path)
                .addKeyValue("route", r)
                .addKeyValue("status", status)
                .addKeyValue("duration_ms", Math.round(seconds * 1e6) / 1e3)
                .addKeyValue("bytes_in", bytesIn)
                .addKeyValue("bytes_out", bytesOut)
                .addKeyValue("remote", remote)
                .log("http request");
    }
}
