package io.tsdb.server.tenant;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.tsdb.server.ServerConfig;
import io.tsdb.server.http.HttpError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * Per-tenant limits in force and their enforcement state: ingestion token buckets, running queries, and usage in
 * /metrics ({@code tsdb_tenant_*}, labelled by tenant; at most {@value #MAX_METRIC_TENANTS} tenants get their own
 * series, the rest count under {@code tenant="__other__"}).
 * <p>Invariants: {@link #config} is replaced whole by a reload (one volatile write); a failed reload keeps it. A
 * bucket is touched under its own monitor only; the running-query counters are atomics. No lock is held while
 * another is taken.
 */
public final class TenantLimiter {
    private static final Logger log = LoggerFactory.getLogger(TenantLimiter.class);
    static final int MAX_METRIC_TENANTS = 1000;
    static final String OTHER = "__other__";

    private final Path file;
    private final TenantLimits flags;
    private final LongSupplier nanos;
    private volatile TenantLimitsFile.Content config;
    private volatile byte[] loadedText;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> running = new ConcurrentHashMap<>();
    private final Map<String, String> metricTenant = new ConcurrentHashMap<>();
    private final Counter samplesIn, rejected, queries, querySeconds, requestsRejected;
    private final Gauge reloadOk;

    /** A token bucket: {@code tokens} at {@code lastNanos}, refilled at the tenant's rate up to its burst. */
    private static final class Bucket {
        double tokens = Double.NaN;
        long lastNanos;
    }

    public TenantLimiter(ServerConfig cfg, PrometheusRegistry registry, LongSupplier nanos) throws TenantLimitsFile.LimitsException {
        this.file = cfg.tenantLimitsFile;
        this.flags = TenantLimits.fromFlags(cfg);
        this.nanos = nanos;
        this.config = file == null ? new TenantLimitsFile.Content(flags, Map.of()) : TenantLimitsFile.load(file, flags);
        this.loadedText = read(file);
        samplesIn = Counter.builder().name("tsdb_tenant_samples_received_total")
                .help("Samples a tenant's ingest requests stored.").labelNames("tenant").register(registry);
        rejected = Counter.builder().name("tsdb_tenant_samples_rejected_total")
                .help("Samples of a tenant refused, by reason (rate_limited, series_limit, too_many_labels, ...).")
                .labelNames("tenant", "reason").register(registry);
        queries = Counter.builder().name("tsdb_tenant_queries_total")
                .help("Queries of a tenant (query, query_range), by outcome (ok, failed, throttled).")
                .labelNames("tenant", "outcome").register(registry);
        requestsRejected = Counter.builder().name("tsdb_tenant_requests_rejected_total")
                .help("Write requests of a tenant refused before their body was decoded (reason=rate_limited: its bucket was empty).")
                .labelNames("tenant", "reason").register(registry);
        querySeconds = Counter.builder().name("tsdb_tenant_query_seconds_total")
                .help("Wall-clock time of a tenant's queries.").labelNames("tenant").register(registry);
        reloadOk = Gauge.builder().name("tsdb_tenant_limits_last_reload_successful")
                .help("Whether the last reload of --tenant.limits-file succeeded (1) or kept the previous limits (0).")
                .register(registry);
        reloadOk.set(1);
    }

    /** The limits of a tenant: its override, else the file's defaults, else the flags. */
    public TenantLimits limits(String tenant) {
        TenantLimitsFile.Content c = config;
        TenantLimits l = c.overrides().get(tenant);
        return l != null ? l : c.defaults();
    }

    public Path file() { return file; }

    /** The limits the flags give (every tenant's unless the file says otherwise; the store-wide series caps). */
    public TenantLimits flags() { return flags; }

    private static byte[] read(Path p) {
        if (p == null) return null;
        try {
            return Files.readAllBytes(p);
        } catch (java.io.IOException e) {
            return null;
        }
    }

    /** Re-reads the limits file when its content changed; a failed reload keeps the limits in force. */
    public synchronized io.tsdb.server.Reloadable.Outcome reload(boolean onlyIfChanged) {
        if (file == null) return new io.tsdb.server.Reloadable.Outcome(true, "no tenant limits file");
        byte[] now = read(file);
        if (onlyIfChanged && now != null && java.util.Arrays.equals(now, loadedText)) {
            return new io.tsdb.server.Reloadable.Outcome(true, "tenant limits " + file + ": unchanged");
        }
        try {
            config = TenantLimitsFile.load(file, flags);
            loadedText = now;
            reloadOk.set(1);
            log.atInfo().addKeyValue("file", file).addKeyValue("overrides", config.overrides().size()).log("tenant limits loaded");
            return new io.tsdb.server.Reloadable.Outcome(true, "tenant limits " + file + ": reloaded");
        } catch (TenantLimitsFile.LimitsException e) {
            reloadOk.set(0);
            log.atError().addKeyValue("file", file).addKeyValue("err", e.getMessage())
                    .log("tenant limits reload failed; the previous limits stay in force");
            return new io.tsdb.server.Reloadable.Outcome(false, e.getMessage());
        }
    }

    /**
     * Takes {@code samples} tokens from the tenant's ingestion bucket, or throws 429 with Retry-After (seconds until
     * the bucket holds them) when it has too few; a request larger than the burst can never pass: 429 saying so.
     */
    public void admitSamples(String tenant, long samples) {
        TenantLimits l = limits(tenant);
        if (l.ingestionRate() <= 0 || samples <= 0) return;
        long burst = l.burst();
        if (samples > burst) {
            rejected(tenant, "rate_limited", samples);
            throw new HttpError(429, "tenant " + tenant + ": request of " + samples + " samples exceeds the ingestion burst of "
                    + burst + " samples (ingestion_burst_size); send smaller requests", "1");
        }
        Bucket b = buckets.computeIfAbsent(tenant, k -> new Bucket());
        double wait;
        synchronized (b) {
            long t = nanos.getAsLong();
            if (Double.isNaN(b.tokens)) b.tokens = burst;
            else b.tokens = Math.min(burst, b.tokens + (t - b.lastNanos) / 1e9 * l.ingestionRate());
            b.lastNanos = t;
            if (b.tokens >= samples) {
                b.tokens -= samples;
                return;
            }
            wait = (samples - b.tokens) / l.ingestionRate();
        }
        rejected(tenant, "rate_limited", samples);
        throw new HttpError(429, "tenant " + tenant + ": ingestion rate limit of " + fmt(l.ingestionRate())
                + " samples/s (burst " + burst + ") exceeded; retry later", Long.toString(Math.max(1, (long) Math.ceil(wait))));
    }

    /**
     * Refuses a write request before its body is decoded when the tenant's bucket is empty (the tenant is over its
     * rate): 429 with Retry-After, so a tenant flooding past its limit costs little more than reading its requests.
     * A request that passes is admitted by its sample count at commit ({@link #admitSamples}).
     */
    public void admitRequest(String tenant) {
        TenantLimits l = limits(tenant);
        if (l.ingestionRate() <= 0) return;
        Bucket b = buckets.get(tenant);
        if (b == null) return;
        double wait;
        synchronized (b) {
            if (Double.isNaN(b.tokens)) return;
            long t = nanos.getAsLong();
            b.tokens = Math.min(l.burst(), b.tokens + (t - b.lastNanos) / 1e9 * l.ingestionRate());
            b.lastNanos = t;
            if (b.tokens >= 1) return;
            wait = (1 - b.tokens) / l.ingestionRate();
        }
        requestsRejected.labelValues(metricName(tenant), "rate_limited").inc();
        throw new HttpError(429, "tenant " + tenant + ": ingestion rate limit of " + fmt(l.ingestionRate())
                + " samples/s (burst " + l.burst() + ") exceeded; retry later", Long.toString(Math.max(1, (long) Math.ceil(wait))));
    }

    private static String fmt(double d) { return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d); }

    /** Counts a query of the tenant as running, or throws 429 when the tenant runs its maximum already. */
    public void startQuery(String tenant) {
        int max = limits(tenant).maxConcurrentQueries();
        AtomicInteger n = running.computeIfAbsent(tenant, k -> new AtomicInteger());
        if (n.incrementAndGet() > max && max > 0) {
            n.decrementAndGet();
            queries.labelValues(metricName(tenant), "throttled").inc();
            throw new HttpError(429, "tenant " + tenant + ": " + max + " queries are running already (max_concurrent_queries); retry later", "1");
        }
    }

    /** Ends a query {@link #startQuery} admitted. */
    public void endQuery(String tenant, long nanosTaken, boolean ok) {
        running.get(tenant).decrementAndGet();
        String t = metricName(tenant);
        queries.labelValues(t, ok ? "ok" : "failed").inc();
        querySeconds.labelValues(t).inc(nanosTaken / 1e9);
    }

    /**
     * Ends a query {@link #startQuery} admitted that was handed on before it ran (tried on the event loop, too large
     * for it): no outcome is counted, it is counted once it ran; its time so far is.
     */
    public void endDeferred(String tenant, long nanosTaken) {
        running.get(tenant).decrementAndGet();
        querySeconds.labelValues(metricName(tenant)).inc(nanosTaken / 1e9);
    }

    public void received(String tenant, long samples) {
        if (samples > 0) samplesIn.labelValues(metricName(tenant)).inc(samples);
    }

    public void rejected(String tenant, String reason, long samples) {
        if (samples > 0) rejected.labelValues(metricName(tenant), reason).inc(samples);
    }

    /** The tenants with their own label value in /metrics (the first {@value #MAX_METRIC_TENANTS} seen). */
    java.util.Set<String> metricTenants() {
        java.util.Set<String> out = new java.util.TreeSet<>();
        metricTenant.forEach((t, m) -> { if (!m.equals(OTHER)) out.add(t); });
        return out;
    }

    /** The tenant label value in /metrics: the tenant, or {@value #OTHER} beyond the first tenants seen. */
    private String metricName(String tenant) {
        String m = metricTenant.get(tenant);
        if (m != null) return m;
        return metricTenant.computeIfAbsent(tenant, k -> metricTenant.size() < MAX_METRIC_TENANTS ? k : OTHER);
    }
}
