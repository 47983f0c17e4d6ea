package io.tsdb.server.rules;

import io.tsdb.core.Labels;
import io.tsdb.core.Storage;
import io.tsdb.query.ast.Expr;
import io.tsdb.query.engine.PromqlEngine;
import io.tsdb.query.engine.QueryException;
import io.tsdb.query.engine.QueryOptions;
import io.tsdb.query.engine.QueryResult;
import io.tsdb.query.engine.Sample;
import io.tsdb.query.engine.Value;
import io.tsdb.query.parser.QueryParser;
import io.tsdb.server.rules.notify.NotifierAlert;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * What rule groups evaluate with: the storage they write to (through its appender: the WAL, as ingest does), the
 * PromQL engine they query in-process, the clock, the settings of {@code --rules.*} and {@code --alertmanager.*},
 * and where alerts go.
 */
public final class RuleEnv {
    private static final Logger log = LoggerFactory.getLogger(RuleEnv.class);

    /**
     * Rule settings. {@code evaluationIntervalMs}: groups without their own interval; {@code queryOffsetMs}:
     * groups without their own query_offset; {@code externalUrl}: the base of generator URLs and
     * {@code $externalURL}.
     */
    public record Options(long evaluationIntervalMs, long queryOffsetMs, long resendDelayMs, long outageToleranceMs,
                          long forGracePeriodMs, Map<String, String> externalLabels, String externalUrl) {
        public static Options defaults() {
            return new Options(60_000, 0, 60_000, 3_600_000, 600_000, Map.of(), "");
        }
    }

    final Storage storage;
    final PromqlEngine engine;
    final QueryOptions queryOptions;
    final Options options;
    final RuleClock clock;
    final Consumer<List<NotifierAlert>> notify;
    final RuleMetrics metrics;

    public RuleEnv(Storage storage, PromqlEngine engine, QueryOptions queryOptions, Options options, RuleClock clock,
                   Consumer<List<NotifierAlert>> notify, RuleMetrics metrics) {
        this.storage = storage;
        this.engine = engine;
        this.queryOptions = queryOptions;
        this.options = options;
        this.clock = clock;
        this.notify = notify == null ? a -> { } : notify;
        this.metrics = metrics;
    }

    public Options options() { return options; }

    public Map<String, String> externalLabels() { return options.externalLabels(); }

    public String externalUrl() { return options.externalUrl(); }

    /** An instant query in-process; a scalar result is one sample without labels (as Prometheus's rule query). */
    List<Sample> query(Expr expr, String text, long ts) throws Rule.RuleEvalException {
        QueryResult r;
        try {
            r = engine.instant(text, expr, ts, queryOptions);
        } catch (QueryException e) {
            throw new Rule.RuleEvalException(e.getMessage());
        } catch (RuntimeException e) {
            log.atWarn().setCause(e).addKeyValue("expr", text).log("rule query failed unexpectedly");
            throw new Rule.RuleEvalException(String.valueOf(e));
        }
        if (r.value() instanceof Value.Vector v) return v.samples();
        if (r.value() instanceof Value.Scalar s) return List.of(new Sample(Labels.EMPTY, s.timestampMs(), s.value()));
        throw new Rule.RuleEvalException("rule result is not a vector or scalar");
    }

    /** The {@code query} template function. */
    PromTemplates.QueryFunction templateQuery() {
        return (q, ts) -> {
            Expr e;
            try {
                e = QueryParser.parse(q);
            } catch (io.tsdb.query.parser.ParseException ex) {
                throw new IllegalArgumentException(ex.getMessage());
            }
            try {
                return query(e, q, ts);
            } catch (Rule.RuleEvalException ex) {
                throw new IllegalArgumentException(ex.getMessage());
            }
        };
    }

    void templateError(String msg) {
        log.atWarn().addKeyValue("err", msg).log("expanding alert template failed");
    }
}
