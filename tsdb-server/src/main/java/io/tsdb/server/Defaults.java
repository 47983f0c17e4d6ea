package io.tsdb.server;

import io.tsdb.core.db.Tsdb;
import io.tsdb.core.fs.FileLayer;
import io.tsdb.core.db.TsdbOptions;
import io.tsdb.core.registry.Limits;
import io.tsdb.core.wal.FsyncPolicy;
import io.tsdb.query.engine.PromqlEngine;
import io.tsdb.query.engine.QueryOptions;
import io.tsdb.server.api.PrometheusApiFeature;
import io.tsdb.server.console.ConsoleFeature;
import io.tsdb.server.ingest.IngestFeature;
import io.tsdb.server.rules.RulesFeature;

import java.util.List;

/** What {@link Main} runs with: the production storage, query engine and HTTP features, configured from {@link ServerConfig}. */
public final class Defaults {
    private Defaults() {}

    /** tsdb-core's {@link Tsdb} in {@link ServerConfig#dataDir}, with the configured WAL policy, retention and limits. */
    public static StorageFactory storage() {
        return storage(FileLayer.SYSTEM);
    }

    /** As {@link #storage()}, changing files through {@code fs} (crash and fault tests). */
    public static StorageFactory storage(FileLayer fs) {
        return cfg -> Tsdb.open(tsdbOptions(cfg, fs));
    }

    public static TsdbOptions tsdbOptions(ServerConfig cfg) {
        return tsdbOptions(cfg, FileLayer.SYSTEM);
    }

    static TsdbOptions tsdbOptions(ServerConfig cfg, FileLayer fs) {
        return TsdbOptions.builder(cfg.dataDir)
                .fileLayer(fs)
                .retention(cfg.retention)
                .retentionRules(cfg.retentionRules)
                .walFsync(FsyncPolicy.parse(cfg.walFsync))
                .walFsyncInterval(cfg.walFsyncInterval)
                .outOfOrderWindow(cfg.outOfOrderWindow)
                // one more label than clients may send: the hidden tenant label (tenants' own limit: TenantAppender)
                .limits(new Limits(cfg.maxLabelsPerSeries + 1, cfg.maxLabelNameLength, cfg.maxLabelValueLength,
                        cfg.maxActiveSeries, cfg.maxActiveSeriesPerMetric))
                .build();
    }

    /** tsdb-query's {@link PromqlEngine} with the configured lookback, timeout and size limits as defaults. */
    public static EngineFactory engine() {
        return (storage, cfg) -> new PromqlEngine(storage, queryOptions(cfg), 60_000L, queryShards(cfg));
    }

    /** The threads large aggregations are evaluated on ({@code --query.parallelism}). */
    public static io.tsdb.query.engine.QueryShards queryShards(ServerConfig cfg) {
        return io.tsdb.query.engine.QueryShards.of(cfg.queryParallelism);
    }

    public static QueryOptions queryOptions(ServerConfig cfg) {
        return new QueryOptions(cfg.queryLookbackDelta.toMillis(), cfg.queryTimeout.toMillis(), cfg.queryMaxSamples,
                cfg.queryMaxSeries, false);
    }

    /**
     * The HTTP features, in registration order: ingest, rules (before the Prometheus API, whose empty rules and
     * alerts answers it overrides), Prometheus API, console, admin.
     */
    public static List<Feature> features() {
        return List.of(new IngestFeature(), new RulesFeature(), new PrometheusApiFeature(), new ConsoleFeature(), new AdminFeature());
    }
}
