package io.tsdb.server;

import io.tsdb.query.ast.Expr;
import io.tsdb.query.engine.QueryEngine;
import io.tsdb.query.engine.QueryException;
import io.tsdb.query.engine.QueryOptions;
import io.tsdb.query.engine.QueryResult;
import io.tsdb.core.db.Tsdb;
import io.tsdb.core.db.TsdbOptions;
import io.tsdb.core.registry.Limits;
import io.tsdb.core.wal.FsyncPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * What {@link Main} runs with: the production storage, query engine and the HTTP features. Features
 * developed in parallel are picked up by class name when present on the class path (each must have a
 * public no-argument constructor).
 */
public final class Defaults {
    private static final Logger log = LoggerFactory.getLogger(Defaults.class);

    /** Feature classes wired in at start-up, in registration order. */
    static final List<String> FEATURE_CLASSES = List.of(
            "io.tsdb.server.ingest.IngestFeature",
            "io.tsdb.server.api.PrometheusApiFeature",
            "io.tsdb.server.console.ConsoleFeature");

    private Defaults() {}

    /** tsdb-core's {@link Tsdb} in {@link ServerConfig#dataDir}, with the configured WAL policy, retention and limits. */
    public static StorageFactory storage() {
        return cfg -> Tsdb.open(tsdbOptions(cfg));
    }

    public static TsdbOptions tsdbOptions(ServerConfig cfg) {
        return TsdbOptions.builder(cfg.dataDir)
                .retention(cfg.retention)
                .walFsync(FsyncPolicy.parse(cfg.walFsync))
                .walFsyncInterval(cfg.walFsyncInterval)
                .outOfOrderWindow(cfg.outOfOrderWindow)
                .limits(new Limits(cfg.maxLabelsPerSeries, cfg.maxLabelNameLength, cfg.maxLabelValueLength,
                        cfg.maxActiveSeries))
                .build();
    }

    public static EngineFactory engine() {
        return (storage, cfg) -> new UnavailableEngine();
    }

    public static List<Feature> features() {
        List<Feature> out = new ArrayList<>();
        for (String name : FEATURE_CLASSES) {
            Class<?> c;
            try {
                c = Class.forName(name);
            } catch (ClassNotFoundException e) {
                log.atInfo().addKeyValue("feature", name).log("feature not present in this build");
                continue;
            }
            try {
                out.add((Feature) c.getDeclaredConstructor().newInstance());
            } catch (ReflectiveOperationException | ClassCastException e) {
                throw new IllegalStateException("cannot instantiate feature " + name + ": " + e, e);
            }
        }
        return out;
    }

    /**
     * Answers every query with 503 "unavailable" until the query engine is part of the build; parsing
     * (used for match[] selectors of the metadata endpoints) already works.
     */
    static final class UnavailableEngine implements QueryEngine {
        private static QueryException unavailable() {
            return new QueryException(QueryException.Kind.UNAVAILABLE, "the query engine is not available in this build");
        }
        @Override public QueryResult instant(String q, long t, QueryOptions o) { throw unavailable(); }
        @Override public QueryResult range(String q, long s, long e, long st, QueryOptions o) { throw unavailable(); }
        @Override public Expr parse(String q) { return io.tsdb.query.parser.QueryParser.parse(q); }
    }
}
