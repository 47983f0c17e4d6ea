package io.tsdb.server;

import io.tsdb.core.RetentionRule;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The server's effective configuration (flags, YAML file, defaults). Built by the command-line layer
 * ({@link Main}); immutable once the server starts. Add a field here together with its flag, its YAML key,
 * its default and its line in --help.
 */
public final class ServerConfig {
    public String listenHost = "0.0.0.0";
    public int listenPort = 9201;
    public Path dataDir = Path.of("data");
    public Duration retention = Duration.ofDays(15);
    /** Retention by selector ({@code --retention.rule}, repeatable): shorter retention for matching series. */
    public List<RetentionRule> retentionRules = List.of();
    /** {@code --web.enable-admin-api}: the destructive admin endpoints (delete_series, clean_tombstones, snapshot). */
    public boolean enableAdminApi = false;
    /** "always" (fsync before ack), "periodic" (every walFsyncInterval), "never". */
    public String walFsync = "always";
    public Duration walFsyncInterval = Duration.ofSeconds(1);
    public Duration outOfOrderWindow = Duration.ofHours(1);
    public long maxBodyBytes = 64L << 20;
    public int maxActiveSeries = 5_000_000;
    /** Cap on active series of one metric name; 0 = no limit. */
    public int maxActiveSeriesPerMetric = 0;
    public int maxLabelsPerSeries = 64;
    public int maxLabelNameLength = 256;
    public int maxLabelValueLength = 4096;
    public int ingestQueueSize = 64;
    public Duration queryTimeout = Duration.ofMinutes(2);
    public long queryMaxSamples = 50_000_000L;
    public long queryMaxSeries = 0;
    /** Shards (threads) one large aggregation is evaluated in: 0 = one per available processor, 1 = none. */
    public int queryParallelism = 0;
    public Duration queryLookbackDelta = Duration.ofMinutes(5);
    public String corsOrigin = null;
    /** Prometheus-format web config (TLS, basic auth, tokens); null: plain HTTP without credentials. */
    public java.nio.file.Path webConfigFile = null;
    /** How often the web config file and the certificate files it names are checked for changes. */
    public Duration webConfigPollInterval = Duration.ofSeconds(2);
    /** {@code --tenant.default}: the tenant of requests without X-Scope-OrgID (its series carry no tenant label). */
    public String tenantDefault = "anonymous";
    /** {@code --tenant.limits-file}: per-tenant limits (docs/format/tenant-limits.md); null: the flags for every tenant. */
    public java.nio.file.Path tenantLimitsFile = null;
    public String logLevel = "info";
    /** {@code --log.access}: one access-log line per HTTP request (logger io.tsdb.server.http.access). */
    public boolean logAccess = false;
    /**
     * Handler threads (requests are parsed on Netty event loops, handled here). More than the cores: ingest
     * handlers wait for WAL group commits, and concurrent committers share fsyncs.
     */
    public int httpWorkers = Math.max(8, 4 * Runtime.getRuntime().availableProcessors());
    /** Requests waiting for a worker before new ones are answered 429 + Retry-After. */
    public int httpMaxQueuedRequests = 256;
    /** Idle keep-alive connections are closed after this long. */
    public Duration httpIdleTimeout = Duration.ofMinutes(5);
    /** On SIGTERM, how long to wait for in-flight requests before closing storage anyway. */
    public Duration shutdownTimeout = Duration.ofSeconds(30);

    // rules and alerting (io.tsdb.server.rules, docs/rules.md)
    /** {@code --rules.file}, repeatable: rule files or globs (Prometheus's rule_files). */
    public List<String> rulesFiles = List.of();
    /**
     * {@code --rules.tenant-directory}: per-tenant rule files, {@code <dir>/<tenant>/*.yml|*.yaml}, evaluated as that
     * tenant; null: rules only from {@link #rulesFiles}, as the default tenant.
     */
    public java.nio.file.Path rulesTenantDirectory = null;
    /** Evaluation interval of groups that do not set their own (Prometheus's global evaluation_interval). */
    public Duration rulesEvaluationInterval = Duration.ofMinutes(1);
    /** Query offset of groups that do not set their own (Prometheus's global rule_query_offset). */
    public Duration rulesQueryOffset = Duration.ZERO;
    /** Alerts active before a restart within this long get their 'for' state restored. */
    public Duration rulesForOutageTolerance = Duration.ofHours(1);
    /** Minimum time an alert with a restored 'for' state waits before firing. */
    public Duration rulesForGracePeriod = Duration.ofMinutes(10);
    /** Minimum time between two sends of the same alert to Alertmanager. */
    public Duration rulesResendDelay = Duration.ofMinutes(1);
    /** {@code --alertmanager.url}, repeatable. */
    public List<String> alertmanagerUrls = List.of();
    /** Alerts queued per Alertmanager before the oldest are dropped. */
    public int alertmanagerQueueCapacity = 10_000;
    /** Timeout of one POST to an Alertmanager. */
    public Duration alertmanagerTimeout = Duration.ofSeconds(10);
    /** {@code --external-label NAME=VALUE}, repeatable: added to alerts, {@code $externalLabels} in templates. */
    public java.util.Map<String, String> externalLabels = java.util.Map.of();
    /** The URL users reach this server at (generator URLs of alerts, {@code $externalURL}); null = derived. */
    public String externalUrl = null;
    /** {@code --web.enable-lifecycle}: POST /-/reload. */
    public boolean enableLifecycle = false;
    /**
     * {@code --ingest.start-timestamp-zero-samples}: a remote write 2.0 sample or histogram with a start (created)
     * timestamp before its own also stores a zero sample at the start timestamp (Prometheus's created-timestamp zero
     * ingestion), so that rate() and increase() see the counter start at zero.
     */
    public boolean ingestStartTimestampZeros = false;

    /** The external URL: {@link #externalUrl}, or http://HOSTNAME:PORT as Prometheus derives it. */
    public String effectiveExternalUrl() {
        if (externalUrl != null) return externalUrl.endsWith("/") ? externalUrl.substring(0, externalUrl.length() - 1) : externalUrl;
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            host = "localhost";
        }
        return "http://" + host + ":" + listenPort;
    }
}
