package io.tsdb.server.rules;

import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SampleCursor;
import io.tsdb.core.SeriesSet;
import io.tsdb.core.StaleNaN;
import io.tsdb.core.testing.MemStorage;
import io.tsdb.query.engine.PromqlEngine;
import io.tsdb.query.engine.QueryOptions;
import io.tsdb.server.rules.notify.NotifierAlert;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Group evaluation driven directly at chosen timestamps (no waiting): recording rules through the appender,
 * chaining within a cycle, staleness markers, limits, the alert state machine (pending, firing, resolved,
 * keep_firing_for), ALERTS and ALERTS_FOR_STATE, templates, what is sent to Alertmanager and when, the 'for'-state
 * restore after a restart, and state carried across a reload.
 */
class RuleEvaluationTest {
    static final long M = 60_000;
    final MemStorage storage = new MemStorage();
    final List<NotifierAlert> sent = new ArrayList<>();
    RuleEnv.Options options = new RuleEnv.Options(M, 0, M, 3_600_000, 600_000, Map.of("cluster", "eu1"), "http://tsdb:9201");
    long now = 0;
    final RuleClock clock = new RuleClock() {
        @Override public long nowMillis() { return now; }
        @Override public void sleepUntil(long ms) { throw new UnsupportedOperationException(); }
    };

    RuleEnv env() {
        QueryOptions qo = QueryOptions.DEFAULTS;
        return new RuleEnv(storage, new PromqlEngine(storage, qo, M), qo, options, clock, sent::addAll, null);
    }

    RuleGroup group(String yaml, boolean restore) {
        RuleFileLoader.Result r = RuleFileLoader.parse("/rules/test.yml", yaml, false);
        assertTrue(r.ok(), r.errors().toString());
        RuleGroup g = new RuleGroup(r.groups().get(0), env(), restore);
        if (!restore) g.markRestored();
        return g;
    }

    void sample(String metric, long t, double v, String... labels) {
        String[] kv = new String[labels.length + 2];
        kv[0] = Labels.METRIC_NAME;
        kv[1] = metric;
        System.arraycopy(labels, 0, kv, 2, labels.length);
        storage.add(Labels.of(kv), t, v);
    }

    /** Samples of the series matching, as {t, v} pairs. */
    List<double[]> series(String... nameValue) {
        List<Matcher> ms = new ArrayList<>();
        for (int i = 0; i < nameValue.length; i += 2) ms.add(Matcher.eq(nameValue[i], nameValue[i + 1]));
        List<double[]> out = new ArrayList<>();
        try (Querier q = storage.querier(Long.MIN_VALUE / 2, Long.MAX_VALUE / 2)) {
            SeriesSet ss = q.select(ms);
            while (ss.next()) {
                SampleCursor c = ss.cursor();
                while (c.next()) out.add(new double[]{c.timestamp(), c.value()});
            }
        }
        return out;
    }

    @Test
    void recordingRulesChainWithinACycleAndGoStale() {
        RuleGroup g = group("""
                groups:
                  - name: rec
                    rules:
                      - record: job:req:sum
                        expr: sum by (job) (req)
                        labels: {source: rule}
                      - record: job:req:double
                        expr: job:req:sum * 2
                """, false);
        sample("req", 0, 1, "job", "a", "i", "1");
        sample("req", 0, 2, "job", "a", "i", "2");
        sample("req", 0, 5, "job", "b", "i", "1");
        g.eval(10_000);
        assertArrayEquals(new double[]{10_000, 3}, series(Labels.METRIC_NAME, "job:req:sum", "job", "a").get(0));
        assertEquals("rule", Labels.of(Labels.METRIC_NAME, "x", "source", "rule").get("source"));
        // the second rule saw the first one's output of the same cycle
        assertArrayEquals(new double[]{10_000, 6}, series(Labels.METRIC_NAME, "job:req:double", "job", "a").get(0));
        assertArrayEquals(new double[]{10_000, 10}, series(Labels.METRIC_NAME, "job:req:double", "job", "b").get(0));
        assertEquals(Rule.Health.OK, g.rules().get(0).health());
        // job b disappears (its input goes stale): its recorded series gets a staleness marker at the next evaluation
        sample("req", 60_000, 1, "job", "a", "i", "1");
        sample("req", 60_000, 2, "job", "a", "i", "2");
        sample("req", 60_000, StaleNaN.VALUE, "job", "b", "i", "1");
        g.eval(70_000);
        List<double[]> b = series(Labels.METRIC_NAME, "job:req:sum", "job", "b");
        assertEquals(2, b.size());
        assertEquals(70_000, b.get(1)[0]);
        assertTrue(StaleNaN.is(b.get(1)[1]));
        assertEquals(2, series(Labels.METRIC_NAME, "job:req:sum", "job", "a").size());
    }

    @Test
    void failuresSetHealthAndKeepOtherRulesRunning() {
        RuleGroup g = group("""
                groups:
                  - name: g
                    limit: 1
                    rules:
                      - record: too_many
                        expr: req
                      - record: collide
                        expr: req
                        labels: {i: same}
                      - record: fine
                        expr: vector(1)
                """, false);
        sample("req", 0, 1, "i", "1");
        sample("req", 0, 2, "i", "2");
        g.eval(1000);
        assertEquals("exceeded limit of 1 with 2 series", g.rules().get(0).lastError());
        assertEquals(Rule.Health.ERR, g.rules().get(0).health());
        assertEquals("vector contains metrics with the same labelset after applying rule labels", g.rules().get(1).lastError());
        assertEquals(Rule.Health.OK, g.rules().get(2).health());
        assertEquals(1, series(Labels.METRIC_NAME, "fine").size());
        assertTrue(series(Labels.METRIC_NAME, "too_many").isEmpty());
    }

    @Test
    void alertGoesPendingFiringResolvedWithAlertsSeriesAndNotifications() {
        RuleGroup g = group("""
                groups:
                  - name: alerts
                    rules:
                      - alert: Down
                        expr: up == 0
                        for: 2m
                        labels: {severity: page, instance: '{{ $labels.instance }}-x'}
                        annotations:
                          summary: '{{ $labels.instance }} of {{ $externalLabels.cluster }} is {{ $value | humanize }}'
                """, false);
        AlertingRule rule = (AlertingRule) g.rules().get(0);
        for (long t = 0; t <= 4 * M; t += M) sample("up", t, 0, "instance", "h1", "job", "j");
        g.eval(0);
        Alert a = rule.activeAlerts().get(0);
        assertEquals(Alert.State.PENDING, a.state());
        assertEquals(Labels.of("alertname", "Down", "instance", "h1-x", "job", "j", "severity", "page"), a.labels());
        assertEquals("h1 of eu1 is 0", a.annotations().get("summary")); // $labels are the result's labels
        assertTrue(sent.isEmpty(), "pending alerts are not sent");
        List<double[]> alerts = series(Labels.METRIC_NAME, "ALERTS", "alertstate", "pending");
        assertEquals(1, alerts.size());
        assertArrayEquals(new double[]{0, 0}, series(Labels.METRIC_NAME, "ALERTS_FOR_STATE").get(0));
        g.eval(M);
        assertEquals(Alert.State.PENDING, rule.activeAlerts().get(0).state());
        g.eval(2 * M);
        a = rule.activeAlerts().get(0);
        assertEquals(Alert.State.FIRING, a.state());
        assertEquals(1, sent.size());
        NotifierAlert n = sent.get(0);
        assertEquals(2 * M, n.startsAt());
        assertEquals(2 * M + 4 * M, n.endsAt());   // four times max(interval, resend delay) ahead
        assertEquals("http://tsdb:9201/graph?g0.expr=up+%3D%3D+0&g0.tab=1", n.generatorUrl());
        // the pending series went stale when the alert started firing
        List<double[]> pending = series(Labels.METRIC_NAME, "ALERTS", "alertstate", "pending");
        assertTrue(StaleNaN.is(pending.get(pending.size() - 1)[1]));
        assertEquals(1, series(Labels.METRIC_NAME, "ALERTS", "alertstate", "firing").size());
        // not resent before the resend delay has passed
        g.eval(3 * M);
        assertEquals(1, sent.size());
        g.eval(3 * M + 1);
        assertEquals(2, sent.size());
        // resolved: sent at once with endsAt = resolve time, ALERTS goes stale, the alert stays held
        sample("up", 5 * M, 1, "instance", "h1", "job", "j");
        g.eval(5 * M);
        assertEquals(3, sent.size());
        assertEquals(5 * M, sent.get(2).endsAt());
        assertTrue(rule.activeAlerts().isEmpty());
        List<double[]> firing = series(Labels.METRIC_NAME, "ALERTS", "alertstate", "firing");
        assertTrue(StaleNaN.is(firing.get(firing.size() - 1)[1]));
        // resolved alerts are resent every resend delay for 15 minutes, then forgotten
        g.eval(6 * M + 1);
        assertEquals(4, sent.size());
        g.eval(20 * M);
        assertEquals(1, rule.alertCount());
        g.eval(20 * M + 1);
        assertEquals(0, rule.alertCount());
    }

    @Test
    void keepFiringForHoldsAResolvedAlert() {
        RuleGroup g = group("""
                groups:
                  - name: alerts
                    rules:
                      - alert: Flappy
                        expr: up == 0
                        keep_firing_for: 2m
                """, false);
        AlertingRule rule = (AlertingRule) g.rules().get(0);
        sample("up", 0, 0);
        g.eval(0);
        assertEquals(Alert.State.FIRING, rule.activeAlerts().get(0).state()); // no `for`: fires at once
        sample("up", M, 1);
        g.eval(M);
        assertEquals(Alert.State.FIRING, rule.activeAlerts().get(0).state());
        assertEquals(M, rule.activeAlerts().get(0).keepFiringSince());
        g.eval(2 * M);
        assertEquals(Alert.State.FIRING, rule.activeAlerts().get(0).state());
        g.eval(3 * M);
        assertTrue(rule.activeAlerts().isEmpty());
    }

    @Test
    void templatesQueryTheEngineAtTheEvaluationTime() {
        RuleGroup g = group("""
                groups:
                  - name: alerts
                    rules:
                      - alert: High
                        expr: load > 1
                        annotations:
                          total: '{{ with query "sum(load)" }}{{ . | first | value | printf "%.1f" }}{{ end }}'
                          hosts: '{{ range query "load" | sortByLabel "host" }}{{ label "host" . }} {{ end }}'
                          bad: '{{ query "nonexistent" | first | value }}'
                          dur: '{{ 3723 | humanizeDuration }} {{ 0.25 | humanizePercentage }} {{ 1536 | humanize1024 }}'
                """, false);
        sample("load", 0, 2.5, "host", "b");
        sample("load", 0, 0.5, "host", "a");
        g.eval(0);
        Alert a = ((AlertingRule) g.rules().get(0)).activeAlerts().get(0);
        assertEquals("3.0", a.annotations().get("total"));
        assertEquals("a b ", a.annotations().get("hosts"));
        assertTrue(a.annotations().get("bad").startsWith("<error expanding template: template: __alert_High:1:"), a.annotations().get("bad"));
        assertTrue(a.annotations().get("bad").endsWith("error calling first: first() called on vector with no elements>"), a.annotations().get("bad"));
        assertEquals("1h 2m 3s 25% 1.5ki", a.annotations().get("dur"));
    }

    @Test
    void forStateIsRestoredAfterARestart() {
        String yaml = """
                groups:
                  - name: alerts
                    rules:
                      - alert: Slow
                        expr: up == 0
                        for: 5m
                      - alert: Short
                        expr: up == 0
                        for: 1m
                """;
        options = new RuleEnv.Options(M, 0, M, 3_600_000, 2 * M, Map.of(), "");
        for (long t = 0; t <= 30 * M; t += M) sample("up", t, 0);
        RuleGroup before = group(yaml, false);
        before.eval(0);
        before.eval(M);
        before.eval(2 * M);                  // Slow pending since 0, written ALERTS_FOR_STATE = 0 at 2m
        // "restart" at 4m: a new group must restore; it evaluates twice without writing ALERTS, then restores
        RuleGroup after = group(yaml, true);
        after.eval(4 * M);
        after.eval(5 * M);
        AlertingRule slow = (AlertingRule) after.rules().get(0);
        assertEquals(4 * M, slow.activeAlerts().get(0).activeAt());
        long series = series(Labels.METRIC_NAME, "ALERTS_FOR_STATE", "alertname", "Slow").size();
        assertEquals(3, series, "no ALERTS_FOR_STATE written before the restore");
        now = 5 * M + 500;
        after.restoreForState(now);
        // down from 2m (last ALERTS_FOR_STATE) to now: the outage does not count towards `for`
        assertEquals(0 + (now - 2 * M), slow.activeAlerts().get(0).activeAt());
        // `for` shorter than the grace period: not restored, pending since the first evaluation after the restart
        assertEquals(4 * M, ((AlertingRule) after.rules().get(1)).activeAlerts().get(0).activeAt());
        after.eval(6 * M);
        after.eval(8 * M);
        assertEquals(Alert.State.PENDING, slow.activeAlerts().get(0).state());
        after.eval(8 * M + 500);              // active since 3m0.5s + 5m
        assertEquals(Alert.State.FIRING, slow.activeAlerts().get(0).state());
    }

    @Test
    void restoreGivesTheGracePeriodWhenLittleWasLeft() {
        String yaml = """
                groups:
                  - name: alerts
                    rules:
                      - alert: Slow
                        expr: up == 0
                        for: 5m
                """;
        options = new RuleEnv.Options(M, 0, M, 3_600_000, 2 * M, Map.of(), "");
        for (long t = 0; t <= 30 * M; t += M) sample("up", t, 0);
        RuleGroup before = group(yaml, false);
        for (long t = 0; t <= 4 * M; t += M) before.eval(t);   // pending 4 of 5 minutes
        RuleGroup after = group(yaml, true);
        after.eval(6 * M);
        after.eval(7 * M);
        now = 7 * M;
        after.restoreForState(now);
        // 1 minute was left, less than the 2 minute grace period: it fires 2 minutes after the restore
        assertEquals(now + 2 * M - 5 * M, ((AlertingRule) after.rules().get(0)).activeAlerts().get(0).activeAt());
    }

    @Test
    void reloadCarriesAlertsAndMarksRemovedRulesStale() {
        RuleGroup g1 = group("""
                groups:
                  - name: g
                    rules:
                      - alert: A
                        expr: up == 0
                        for: 5m
                      - record: gone
                        expr: vector(1)
                """, false);
        sample("up", 0, 0);
        sample("up", M, 0);
        g1.eval(0);
        RuleGroup g2 = group("""
                groups:
                  - name: g
                    rules:
                      - alert: A
                        expr: up == 0
                        for: 5m
                        annotations: {a: changed}
                """, false);
        assertFalse(g2.sameAs(g1));
        g2.copyState(g1);
        g2.eval(M);
        Alert a = ((AlertingRule) g2.rules().get(0)).activeAlerts().get(0);
        assertEquals(0, a.activeAt(), "the alert keeps its active-since across the reload");
        List<double[]> gone = series(Labels.METRIC_NAME, "gone");
        assertTrue(StaleNaN.is(gone.get(gone.size() - 1)[1]), "the removed rule's series is marked stale");
    }

    @Test
    void evaluationSlotsMatchPrometheus() {
        RuleGroup g = group("""
                groups:
                  - name: example
                    interval: 15s
                    rules:
                      - record: x
                        expr: vector(1)
                """, false);
        long slot = g.evalTimestampNanos(1_700_000_000_000L);
        long offsetNs = Long.remainderUnsigned(g.hash(), 15_000_000_000L);
        assertEquals(offsetNs, Math.floorMod(slot, 15_000_000_000L));
        assertTrue(slot <= 1_700_000_000_000L * 1_000_000 && slot > 1_700_000_000_000L * 1_000_000 - 15_000_000_000L);
        // XXH64 test vectors (seed 0)
        assertEquals(0xEF46DB3751D8E999L, io.tsdb.query.engine.eval.XxHash64.hash(new byte[0]));
        assertEquals(0xD24EC4F1A98C6E5BL, io.tsdb.query.engine.eval.XxHash64.hash("a".getBytes()));
        assertEquals(0x44BC2CF5AD770999L, io.tsdb.query.engine.eval.XxHash64.hash("abc".getBytes()));
    }
}
