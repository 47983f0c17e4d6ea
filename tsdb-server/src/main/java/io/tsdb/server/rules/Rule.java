package io.tsdb.server.rules;

import io.tsdb.core.Labels;
import io.tsdb.query.engine.Sample;

import java.util.List;

/**
 * A recording or alerting rule of a loaded group, with what the API reports about its last evaluation. The
 * health fields are written by the group's evaluation thread and read by API requests (volatile).
 */
public abstract sealed class Rule permits RecordingRule, AlertingRule {
    public enum Health {
        UNKNOWN("unknown"), OK("ok"), ERR("err");

        public final String api;

        Health(String api) { this.api = api; }
    }

    final RuleSpecs.Rule spec;
    private volatile Health health = Health.UNKNOWN;
    private volatile String lastError;
    private volatile long lastEvaluationMs;
    private volatile long evaluationNanos;

    Rule(RuleSpecs.Rule spec) { this.spec = spec; }

    public RuleSpecs.Rule spec() { return spec; }

    public String name() { return spec.name(); }

    public Health health() { return health; }

    public String lastError() { return lastError; }

    /** Wall-clock time the last evaluation started (ms), 0 before the first. */
    public long lastEvaluationMs() { return lastEvaluationMs; }

    public long evaluationNanos() { return evaluationNanos; }

    void setHealth(Health h, String err) {
        health = h;
        lastError = err;
    }

    void setEvaluation(long startMs, long nanos) {
        lastEvaluationMs = startMs;
        evaluationNanos = nanos;
    }

    /** Prometheus matches rules across a reload by name and labels. */
    String nameAndLabels() { return name() + spec.labels(); }

    /**
     * Evaluates at {@code ts} (the query runs at {@code ts - queryOffset}) and returns the samples to write;
     * throws {@link RuleEvalException} (health bad) on a query failure or a limit exceeded.
     */
    abstract List<Sample> eval(long ts, long queryOffsetMs, RuleEnv env, int limit) throws RuleEvalException;

    /** A rule evaluation failure: the message is the rule's last error. */
    static final class RuleEvalException extends Exception {
        RuleEvalException(String message) { super(message, null, false, false); }
    }

    static Labels withName(Labels l, String name) {
        return l.toBuilder().set(Labels.METRIC_NAME, name).build();
    }
}
