package io.tsdb.server.rules.notify;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.tsdb.core.Labels;
import io.tsdb.server.rules.Alert;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Sends alerts to Alertmanagers ({@code POST <url>/api/v2/alerts}, JSON as Prometheus sends it). Every
 * Alertmanager has its own bounded queue and sender thread, so one that is down does not hold back the others:
 * a failed batch (connection error, timeout, 5xx, 429) is retried with exponential backoff (0.5 s doubling to
 * 10 s) while newer alerts queue behind it; when a queue is full its oldest alerts are dropped and counted
 * ({@code tsdb_notifications_dropped_total}), as Prometheus drops them. A batch answered with another 4xx is not
 * retried (it would fail again) and is counted as dropped. External labels are added to alerts that lack them.
 *
 * <p>Invariants: each {@link Target}'s deque is guarded by its own monitor, the HTTP client (made by the first
 * send, see {@link #client()}) by the notifier's; no thread holds both. {@link #send} never blocks on the
 * network; {@link #close} stops the threads after a last attempt to deliver what is queued (bounded by the timeout).
 */
public final class Notifier implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Notifier.class);
    static final int MAX_BATCH = 64;
    static final long BACKOFF_MIN_MS = 500, BACKOFF_MAX_MS = 10_000;
    private static final JsonFactory JSON = JsonFactory.builder().build();
    private static final DateTimeFormatter RFC3339_MS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX")
            .withZone(java.time.ZoneOffset.UTC);

    public record Options(List<String> urls, int queueCapacity, Duration timeout, Map<String, String> externalLabels) {}

    private final Options options;
    private final List<Target> targets = new ArrayList<>();
    /**
     * Made by the first send ({@link #client()}): building an {@link HttpClient} initialises the JDK's default TLS
     * context (security providers, the trust store), a third of the main thread's start-up work, which a server
     * without Alertmanagers never needs. Guarded by this object's monitor.
     */
    private HttpClient http;
    private final Counter sent, errors, dropped;
    private final Gauge queueLength;
    private final Histogram latency;
    private volatile boolean closed;

    public Notifier(Options options, PrometheusRegistry registry) {
        this.options = options;
        sent = Counter.builder().name("tsdb_notifications_sent_total").help("Alerts sent, by Alertmanager.")
                .labelNames("alertmanager").register(registry);
        errors = Counter.builder().name("tsdb_notifications_errors_total")
                .help("Failed attempts to send a batch of alerts (each retry counts), by Alertmanager.")
                .labelNames("alertmanager").register(registry);
        dropped = Counter.builder().name("tsdb_notifications_dropped_total")
                .help("Alerts dropped: queue full (oldest first) or refused by the Alertmanager with a 4xx, by Alertmanager.")
                .labelNames("alertmanager").register(registry);
        queueLength = Gauge.builder().name("tsdb_notifications_queue_length").help("Alerts waiting to be sent, by Alertmanager.")
                .labelNames("alertmanager").register(registry);
        Gauge.builder().name("tsdb_notifications_queue_capacity").help("Capacity of each Alertmanager's alert queue.")
                .register(registry).set(options.queueCapacity());
        Gauge.builder().name("tsdb_notifications_alertmanagers_discovered").help("Alertmanagers alerts are sent to.")
                .register(registry).set(options.urls().size());
        latency = Histogram.builder().name("tsdb_notifications_latency_seconds").help("Time to send a batch of alerts.")
                .labelNames("alertmanager").classicOnly()
                .classicUpperBounds(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10).register(registry);
        for (String u : options.urls()) {
            Target t = new Target(endpoint(u));
            targets.add(t);
            queueLength.labelValues(t.url).set(0);
            sent.labelValues(t.url);
            errors.labelValues(t.url);
            dropped.labelValues(t.url);
            t.thread.start();
        }
    }

    /** The HTTP client of every Alertmanager's sender thread, made at the first call. */
    synchronized HttpClient client() {
        if (http == null) http = HttpClient.newBuilder().connectTimeout(options.timeout()).build();
        return http;
    }

    /** Whether the HTTP client has been made (tests: a server without Alertmanagers never makes it). */
    synchronized boolean clientMade() { return http != null; }

    /** {@code http://host:9093} or {@code http://host:9093/prefix} → {@code .../api/v2/alerts}. */
    static String endpoint(String base) {
        String b = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        return b.endsWith("/api/v2/alerts") ? b : b + "/api/v2/alerts";
    }

    /** The endpoints alerts are posted to (the API's active Alertmanagers). */
    public List<String> endpoints() {
        List<String> out = new ArrayList<>();
        for (Target t : targets) out.add(t.url);
        return out;
    }

    /** Queues alerts for every Alertmanager; never blocks. */
    public void send(List<NotifierAlert> alerts) {
        if (alerts.isEmpty() || targets.isEmpty() || closed) return;
        List<NotifierAlert> withExternal = new ArrayList<>(alerts.size());
        for (NotifierAlert a : alerts) withExternal.add(withExternalLabels(a));
        for (Target t : targets) t.offer(withExternal);
    }

    private NotifierAlert withExternalLabels(NotifierAlert a) {
        if (options.externalLabels().isEmpty()) return a;
        Labels.Builder b = a.labels().toBuilder();
        boolean changed = false;
        for (Map.Entry<String, String> e : options.externalLabels().entrySet()) {
            if (a.labels().get(e.getKey()) == null) {
                b.set(e.getKey(), e.getValue());
                changed = true;
            }
        }
        return changed ? new NotifierAlert(b.build(), a.annotations(), a.startsAt(), a.endsAt(), a.generatorUrl()) : a;
    }

    /** Queued alerts of one Alertmanager (tests, API). */
    public int queued(String endpoint) {
        for (Target t : targets) if (t.url.equals(endpoint)) synchronized (t) { return t.queue.size(); }
        return -1;
    }

    /** The JSON body Prometheus posts: an array of {labels, annotations, startsAt, endsAt, generatorURL}. */
    static byte[] body(List<NotifierAlert> alerts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256 * alerts.size());
        try (JsonGenerator g = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            g.writeStartArray();
            for (NotifierAlert a : alerts) {
                g.writeStartObject();
                g.writeObjectFieldStart("labels");
                for (int i = 0; i < a.labels().size(); i++) g.writeStringField(a.labels().name(i), a.labels().value(i));
                g.writeEndObject();
                g.writeObjectFieldStart("annotations");
                for (Map.Entry<String, String> e : a.annotations().entrySet()) g.writeStringField(e.getKey(), e.getValue());
                g.writeEndObject();
                if (a.startsAt() != Alert.NONE) g.writeStringField("startsAt", time(a.startsAt()));
                if (a.endsAt() != Alert.NONE) g.writeStringField("endsAt", time(a.endsAt()));
                g.writeStringField("generatorURL", a.generatorUrl());
                g.writeEndObject();
            }
            g.writeEndArray();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static String time(long ms) {
        return RFC3339_MS.format(Instant.ofEpochMilli(ms));
    }

    @Override
    public void close() {
        closed = true;
        for (Target t : targets) {
            synchronized (t) {
                t.notifyAll();
            }
        }
        for (Target t : targets) {
            try {
                t.thread.join(options.timeout().toMillis() + 1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (t.thread.isAlive()) t.thread.interrupt();
        }
    }

    /** One Alertmanager: its queue and sender thread. */
    private final class Target {
        final String url;
        final ArrayDeque<NotifierAlert> queue = new ArrayDeque<>();
        final Thread thread;

        Target(String url) {
            this.url = url;
            this.thread = new Thread(this::loop, "tsdb-notifier-" + url);
            thread.setDaemon(true);
        }

        synchronized void offer(List<NotifierAlert> alerts) {
            int cap = options.queueCapacity();
            int drop = 0;
            int from = 0;
            if (alerts.size() > cap) {
                from = alerts.size() - cap;
                drop += from;
            }
            int over = queue.size() + (alerts.size() - from) - cap;
            for (int i = 0; i < over; i++) {
                queue.pollFirst();
                drop++;
            }
            for (int i = from; i < alerts.size(); i++) queue.addLast(alerts.get(i));
            if (drop > 0) {
                dropped.labelValues(url).inc(drop);
                log.atWarn().addKeyValue("alertmanager", url).addKeyValue("num_dropped", drop)
                        .log("alert notification queue full, dropping the oldest alerts");
            }
            queueLength.labelValues(url).set(queue.size());
            notifyAll();
        }

        private synchronized List<NotifierAlert> peekBatch() throws InterruptedException {
            while (queue.isEmpty() && !closed) wait();
            List<NotifierAlert> b = new ArrayList<>(Math.min(MAX_BATCH, queue.size()));
            var it = queue.iterator();
            while (it.hasNext() && b.size() < MAX_BATCH) b.add(it.next());
            return b;
        }

        /** Removes a delivered (or refused) batch from the head, unless newer alerts pushed it out meanwhile. */
        private synchronized void removeBatch(List<NotifierAlert> b) {
            for (NotifierAlert a : b) {
                if (queue.peekFirst() == a) queue.pollFirst();
            }
            queueLength.labelValues(url).set(queue.size());
        }

        private void loop() {
            long backoff = BACKOFF_MIN_MS;
            while (true) {
                List<NotifierAlert> batch;
                try {
                    batch = peekBatch();
                } catch (InterruptedException e) {
                    return;
                }
                if (batch.isEmpty()) return; // closed and drained
                int status = post(batch);
                if (status / 100 == 2) {
                    sent.labelValues(url).inc(batch.size());
                    removeBatch(batch);
                    backoff = BACKOFF_MIN_MS;
                    continue;
                }
                errors.labelValues(url).inc();
                if (status >= 400 && status < 500 && status != 429) {
                    dropped.labelValues(url).inc(batch.size());
                    removeBatch(batch);
                    continue;
                }
                if (closed) return;
                try {
                    synchronized (this) {
                        wait(backoff);
                    }
                } catch (InterruptedException e) {
                    return;
                }
                backoff = Math.min(BACKOFF_MAX_MS, backoff * 2);
            }
        }

        /** The HTTP status, or -1 when the request did not complete. */
        private int post(List<NotifierAlert> batch) {
            long t0 = System.nanoTime();
            try {
                HttpResponse<String> r = client().send(HttpRequest.newBuilder(URI.create(url)).timeout(options.timeout())
                        .header("Content-Type", "application/json").header("User-Agent", "tsdb")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body(batch))).build(), HttpResponse.BodyHandlers.ofString());
                latency.labelValues(url).observe((System.nanoTime() - t0) / 1e9);
                if (r.statusCode() / 100 != 2) {
                    log.atWarn().addKeyValue("alertmanager", url).addKeyValue("status", r.statusCode())
                            .addKeyValue("body", r.body().length() > 300 ? r.body().substring(0, 300) : r.body())
                            .addKeyValue("count", batch.size()).log("error sending alerts");
                }
                return r.statusCode();
            } catch (IOException e) {
                log.atWarn().addKeyValue("alertmanager", url).addKeyValue("err", String.valueOf(e)).addKeyValue("count", batch.size())
                        .log("error sending alerts; will retry");
                return -1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            }
        }
    }
}
