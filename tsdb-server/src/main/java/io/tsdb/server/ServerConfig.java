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
    public Duration queryLookbackDelta = Duration.ofMinutes(5);
    public String corsOrigin = null;
    public String logLevel = "info";
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
}
