package io.tsdb.server.rules;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * The rule engine's metrics on /metrics, named after Prometheus's ({@code prometheus_rule_*} become
 * {@code tsdb_rule_*}); {@code rule_group} is {@code FILE;GROUP} as in Prometheus. Added here:
 * {@code tsdb_rule_group_evaluation_lag_seconds} (how late an iteration started after its scheduled time) and
 * {@code tsdb_rules_config_reloads_total{result}}.
 */
public final class RuleMetrics {
    final Counter evaluations, failures, iterations, missed;
    final Gauge interval, lastDuration, lastEvalTimestamp, lastSamples, rules, lastRestore;
    final Histogram ruleDuration, groupDuration, lag;
    final Gauge reloadSuccessful, reloadSuccessTimestamp;
    final Counter reloads;

    public RuleMetrics(PrometheusRegistry r) {
        evaluations = Counter.builder().name("tsdb_rule_evaluations_total").help("Rule evaluations, by group.")
                .labelNames("rule_group").register(r);
        failures = Counter.builder().name("tsdb_rule_evaluation_failures_total")
                .help("Rule evaluations that failed (query error, limit exceeded, samples not stored), by group.")
                .labelNames("rule_group").register(r);
        iterations = Counter.builder().name("tsdb_rule_group_iterations_total")
                .help("Group evaluation iterations scheduled (run or missed), by group.").labelNames("rule_group").register(r);
        missed = Counter.builder().name("tsdb_rule_group_iterations_missed_total")
                .help("Group evaluation iterations missed because the previous one was still running, by group.")
                .labelNames("rule_group").register(r);
        interval = Gauge.builder().name("tsdb_rule_group_interval_seconds").help("Evaluation interval of a group.")
                .labelNames("rule_group").register(r);
        lastDuration = Gauge.builder().name("tsdb_rule_group_last_duration_seconds")
                .help("Duration of the group's last evaluation.").labelNames("rule_group").register(r);
        lastEvalTimestamp = Gauge.builder().name("tsdb_rule_group_last_evaluation_timestamp_seconds")
                .help("Evaluation timestamp of the group's last evaluation.").labelNames("rule_group").register(r);
        lastSamples = Gauge.builder().name("tsdb_rule_group_last_evaluation_samples")
                .help("Samples returned by the group's rules in its last evaluation.").labelNames("rule_group").register(r);
        rules = Gauge.builder().name("tsdb_rule_group_rules").help("Rules in a group.").labelNames("rule_group").register(r);
        lastRestore = Gauge.builder().name("tsdb_rule_group_last_restore_duration_seconds")
                .help("Time the group took to restore the 'for' state of its alerts.").labelNames("rule_group").register(r);
        ruleDuration = Histogram.builder().name("tsdb_rule_evaluation_duration_seconds")
                .help("Duration of one rule evaluation (query, templates, append and commit).").classicOnly()
                .classicUpperBounds(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10).register(r);
        groupDuration = Histogram.builder().name("tsdb_rule_group_duration_seconds")
                .help("Duration of a whole group evaluation.").classicOnly()
                .classicUpperBounds(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60).register(r);
        lag = Histogram.builder().name("tsdb_rule_group_evaluation_lag_seconds")
                .help("How long after its scheduled evaluation time an iteration started.").classicOnly()
                .classicUpperBounds(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10).register(r);
        reloadSuccessful = Gauge.builder().name("tsdb_rules_config_last_reload_successful")
                .help("1 if the last rule-file (re)load succeeded, 0 if it failed (the previous rules keep running).").register(r);
        reloadSuccessTimestamp = Gauge.builder().name("tsdb_rules_config_last_reload_success_timestamp_seconds")
                .help("Time of the last successful rule-file (re)load.").register(r);
        reloads = Counter.builder().name("tsdb_rules_config_reloads_total")
                .help("Rule-file (re)loads by result (success, failure).").labelNames("result").register(r);
    }

    void removeGroup(String key) {
        for (Counter c : new Counter[]{evaluations, failures, iterations, missed}) c.remove(key);
        for (Gauge g : new Gauge[]{interval, lastDuration, lastEvalTimestamp, lastSamples, rules, lastRestore}) g.remove(key);
    }
}
