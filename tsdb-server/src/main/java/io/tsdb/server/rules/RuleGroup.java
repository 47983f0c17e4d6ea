package io.tsdb.server.rules;

import io.tsdb.core.AppendStatus;
import io.tsdb.core.Appender;
import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SampleCursor;
import io.tsdb.core.SeriesSet;
import io.tsdb.core.StaleNaN;
import io.tsdb.query.engine.Sample;
import io.tsdb.server.rules.notify.NotifierAlert;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A rule group, evaluated as Prometheus evaluates one: on its interval at a stable offset derived from the hash of
 * its file and name ({@link #evalTimestamp}); rules in order, each committed before the next runs (a later rule
 * sees an earlier one's output in the same cycle); recorded series that disappear get a staleness marker; iterations
 * that could not start on time are counted as missed, not queued; after a start, the {@code for} state of alerts is
 * restored from {@code ALERTS_FOR_STATE} once two evaluations have run.
 *
 * <p>Threads and invariants: one evaluation thread per group ({@link #start}) runs {@link #eval} and owns
 * {@code seriesInPreviousEval} and {@code staleSeries}; API requests read the volatile statistics and the rules'
 * snapshots. A reload stops the old group (joins its thread) before the new group copies its state, so the two never
 * evaluate at once. {@link #stop} interrupts the thread only while it waits for its next slot ({@code sleeping},
 * guarded by {@code sleepLock}); a running evaluation is never interrupted (an interrupt would reach the storage's
 * WAL write or fsync of the rule being committed), it ends after the rule it is on.
 */
public final class RuleGroup {
    private static final Logger log = LoggerFactory.getLogger(RuleGroup.class);

    final RuleSpecs.Group spec;
    final List<Rule> rules;
    final long intervalMs;
    final long queryOffsetMs;
    private final RuleEnv env;
    private final String key;
    /** Per rule: the label sets it wrote at its last successful evaluation. */
    private final List<Set<Labels>> seriesInPreviousEval;
    /** Series of rules removed by a reload: they get a stale marker at the next evaluation. */
    private List<Labels> staleSeries = new ArrayList<>();
    private volatile boolean shouldRestore;
    private volatile Thread thread;
    private volatile boolean stopped;
    private final Object sleepLock = new Object();
    private boolean sleeping; // guarded by sleepLock
    private volatile long lastEvalTimestamp = Alert.NONE;
    private volatile long lastEvaluationMs;
    private volatile long evaluationNanos;
    private volatile long lastSamples;

    public RuleGroup(RuleSpecs.Group spec, RuleEnv env, boolean shouldRestore) {
        this.spec = spec;
        this.env = env;
        this.key = spec.key();
        this.intervalMs = spec.intervalMs() > 0 ? spec.intervalMs() : env.options.evaluationIntervalMs();
        this.queryOffsetMs = spec.queryOffsetMs() != null ? spec.queryOffsetMs() : env.options.queryOffsetMs();
        this.shouldRestore = shouldRestore;
        List<Rule> rs = new ArrayList<>();
        for (RuleSpecs.Rule r : spec.rules()) rs.add(r.isAlert() ? new AlertingRule(r, !shouldRestore) : new RecordingRule(r));
        this.rules = List.copyOf(rs);
        this.seriesInPreviousEval = new ArrayList<>();
        for (int i = 0; i < rules.size(); i++) seriesInPreviousEval.add(Set.of());
        if (env.metrics != null) {
            env.metrics.interval.labelValues(key).set(intervalMs / 1000.0);
            env.metrics.rules.labelValues(key).set(rules.size());
        }
    }

    public String name() { return spec.name(); }

    public String file() { return spec.file(); }

    public String key() { return key; }

    public List<Rule> rules() { return rules; }

    public long intervalMs() { return intervalMs; }

    public int limit() { return spec.limit(); }

    /** Evaluation timestamp of the last iteration, or {@link Alert#NONE}. */
    public long lastEvalTimestamp() { return lastEvalTimestamp; }

    /** Wall-clock start of the last iteration (ms), 0 before the first. */
    public long lastEvaluationMs() { return lastEvaluationMs; }

    public long evaluationNanos() { return evaluationNanos; }

    /** Prometheus's group hash: XXH64 of {@code file\xffFILE\xffname\xffNAME\xff} (labels in name order). */
    long hash() {
        byte[] f = spec.file().getBytes(StandardCharsets.UTF_8), n = spec.name().getBytes(StandardCharsets.UTF_8);
        byte[] b = new byte[4 + 1 + f.length + 1 + 4 + 1 + n.length + 1];
        int i = 0;
        for (byte x : "file".getBytes(StandardCharsets.UTF_8)) b[i++] = x;
        b[i++] = (byte) 0xff;
        for (byte x : f) b[i++] = x;
        b[i++] = (byte) 0xff;
        for (byte x : "name".getBytes(StandardCharsets.UTF_8)) b[i++] = x;
        b[i++] = (byte) 0xff;
        for (byte x : n) b[i++] = x;
        b[i] = (byte) 0xff;
        return io.tsdb.query.engine.eval.XxHash64.hash(b);
    }

    /**
     * The latest evaluation time at or before {@code nowMs} in this group's slots, in nanoseconds: slots are
     * {@code k * interval + offset}, offset = hash mod interval (Prometheus's EvalTimestamp).
     */
    long evalTimestampNanos(long nowMs) {
        long interval = intervalMs * 1_000_000L;
        long offset = Long.remainderUnsigned(hash(), interval);
        long adjNow = nowMs * 1_000_000L - offset;
        long base = adjNow - Math.floorMod(adjNow, interval);
        return base + offset;
    }

    // ---------------------------------------------------------------- evaluation

    /** One evaluation of every rule at {@code ts} (ms), in order; each rule's samples committed before the next. */
    public void eval(long ts) {
        long t0 = System.nanoTime();
        long wall = env.clock.nowMillis();
        long samples = 0;
        for (int i = 0; i < rules.size(); i++) {
            if (stopped) return;
            samples += evalRule(i, ts);
        }
        cleanupStaleSeries(ts);
        long nanos = System.nanoTime() - t0;
        evaluationNanos = nanos;
        lastEvaluationMs = wall;
        lastEvalTimestamp = ts;
        lastSamples = samples;
        if (env.metrics != null) {
            env.metrics.lastSamples.labelValues(key).set(samples);
            env.metrics.lastDuration.labelValues(key).set(nanos / 1e9);
            env.metrics.lastEvalTimestamp.labelValues(key).set(ts / 1000.0);
            env.metrics.groupDuration.observe(nanos / 1e9);
        }
    }

    private int evalRule(int i, long ts) {
        Rule rule = rules.get(i);
        long t0 = System.nanoTime();
        long wall = env.clock.nowMillis();
        if (env.metrics != null) env.metrics.evaluations.labelValues(key).inc();
        try {
            List<Sample> vector;
            try {
                vector = rule.eval(ts, queryOffsetMs, env, spec.limit());
            } catch (Rule.RuleEvalException e) {
                rule.setHealth(Rule.Health.ERR, e.getMessage());
                if (env.metrics != null) env.metrics.failures.labelValues(key).inc();
                log.atWarn().addKeyValue("group", spec.name()).addKeyValue("file", spec.file()).addKeyValue("rule", rule.name())
                        .addKeyValue("index", i).addKeyValue("err", e.getMessage()).log("evaluating rule failed");
                return 0;
            }
            rule.setHealth(Rule.Health.OK, null);
            if (rule instanceof AlertingRule ar) sendAlerts(ar, ts);
            write(i, rule, vector, ts);
            return vector.size();
        } finally {
            long nanos = System.nanoTime() - t0;
            rule.setEvaluation(wall, nanos);
            if (env.metrics != null) env.metrics.ruleDuration.observe(nanos / 1e9);
        }
    }

    private void sendAlerts(AlertingRule ar, long ts) {
        String url = env.externalUrl() + PromTemplates.tableLink(io.tsdb.query.parser.Printer.print(ar.spec.expr()));
        List<NotifierAlert> send = ar.alertsToSend(ts, env.options.resendDelayMs(), intervalMs, url);
        if (!send.isEmpty()) env.notify.accept(send);
    }

    /** Appends the rule's samples and the stale markers of series it no longer returns; commits. */
    private void write(int i, Rule rule, List<Sample> vector, long ts) {
        Appender app = env.storage.appender();
        Set<Labels> returned = new HashSet<>(Math.max(16, seriesInPreviousEval.get(i).size() * 2));
        int outOfOrder = 0, tooOld = 0, duplicate = 0;
        String firstError = null;
        for (Sample s : vector) {
            // a histogram result (sum(rate(h[5m])), say) is recorded as a float histogram sample, not as its NaN value
            AppendStatus st = s.histogram() != null ? app.appendFloatHistogram(s.labels(), s.timestampMs(), s.histogram())
                    : app.append(s.labels(), s.timestampMs(), s.value());
            if (st.accepted()) {
                returned.add(s.labels());
                continue;
            }
            switch (st) {
                case OUT_OF_ORDER -> outOfOrder++;
                case TOO_OLD -> tooOld++;
                case DUPLICATE_DIFFERENT_VALUE -> duplicate++;
                default -> { }
            }
            if (firstError == null) firstError = app.lastError() != null ? app.lastError() : st.reason;
        }
        if (firstError != null) {
            rule.setHealth(Rule.Health.ERR, firstError);
            log.atWarn().addKeyValue("group", spec.name()).addKeyValue("rule", rule.name()).addKeyValue("out_of_order", outOfOrder)
                    .addKeyValue("too_old", tooOld).addKeyValue("duplicate", duplicate).addKeyValue("err", firstError)
                    .log("rule evaluation results discarded");
        }
        long staleTs = ts - queryOffsetMs;
        for (Labels l : seriesInPreviousEval.get(i)) {
            if (!returned.contains(l)) app.append(l, staleTs, StaleNaN.VALUE); // out of order / duplicate: expected, ignored
        }
        try {
            app.commit();
            seriesInPreviousEval.set(i, returned);
        } catch (IOException | RuntimeException e) {
            app.rollback();
            rule.setHealth(Rule.Health.ERR, "appending rule samples failed: " + e.getMessage());
            if (env.metrics != null) env.metrics.failures.labelValues(key).inc();
            log.atWarn().addKeyValue("group", spec.name()).addKeyValue("rule", rule.name()).addKeyValue("err", String.valueOf(e))
                    .log("rule sample appending failed");
        }
    }

    private void cleanupStaleSeries(long ts) {
        if (staleSeries.isEmpty()) return;
        Appender app = env.storage.appender();
        for (Labels l : staleSeries) app.append(l, ts - queryOffsetMs, StaleNaN.VALUE);
        try {
            app.commit();
            staleSeries = new ArrayList<>();
        } catch (IOException | RuntimeException e) {
            app.rollback();
            log.atWarn().addKeyValue("group", spec.name()).addKeyValue("err", String.valueOf(e))
                    .log("stale sample appending for previous configuration failed");
        }
    }

    /** Every series this group wrote last (for stale markers when the group is removed). */
    List<Labels> currentSeries() {
        List<Labels> out = new ArrayList<>(staleSeries);
        for (Set<Labels> s : seriesInPreviousEval) out.addAll(s);
        return out;
    }

    /** Writes stale markers for every series in {@code series} at {@code ts} (a removed group's, after it stopped). */
    void markStale(List<Labels> series, long ts) {
        if (series.isEmpty()) return;
        Appender app = env.storage.appender();
        for (Labels l : series) app.append(l, ts, StaleNaN.VALUE);
        try {
            app.commit();
        } catch (IOException | RuntimeException e) {
            app.rollback();
            log.atWarn().addKeyValue("group", spec.name()).addKeyValue("err", String.valueOf(e)).log("stale markers of a removed group failed");
        }
    }

    /**
     * Takes over the state of the group this one replaces at a reload: evaluation statistics, the series each rule
     * (matched by name and labels, in order) wrote last, the alerts of alerting rules; series of rules that are gone
     * become stale at the next evaluation.
     */
    void copyState(RuleGroup from) {
        evaluationNanos = from.evaluationNanos;
        lastEvaluationMs = from.lastEvaluationMs;
        lastEvalTimestamp = from.lastEvalTimestamp;
        Map<String, List<Integer>> byName = new HashMap<>();
        for (int fi = 0; fi < from.rules.size(); fi++) byName.computeIfAbsent(from.rules.get(fi).nameAndLabels(), k -> new ArrayList<>()).add(fi);
        for (int i = 0; i < rules.size(); i++) {
            List<Integer> idx = byName.get(rules.get(i).nameAndLabels());
            if (idx == null || idx.isEmpty()) continue;
            int fi = idx.remove(0);
            seriesInPreviousEval.set(i, from.seriesInPreviousEval.get(fi));
            if (rules.get(i) instanceof AlertingRule ar && from.rules.get(fi) instanceof AlertingRule far) ar.copyStateFrom(far);
        }
        staleSeries = new ArrayList<>(from.staleSeries);
        for (List<Integer> left : byName.values()) for (int fi : left) staleSeries.addAll(from.seriesInPreviousEval.get(fi));
    }

    /** True when {@code o} has the same file, name, interval, limit, offset, labels and rules (a reload keeps this one). */
    boolean sameAs(RuleGroup o) {
        if (!spec.file().equals(o.spec.file()) || !spec.name().equals(o.spec.name())) return false;
        if (intervalMs != o.intervalMs || spec.limit() != o.spec.limit() || queryOffsetMs != o.queryOffsetMs) return false;
        if (!spec.labels().equals(o.spec.labels()) || rules.size() != o.rules.size()) return false;
        for (int i = 0; i < rules.size(); i++) {
            RuleSpecs.Rule a = rules.get(i).spec, b = o.rules.get(i).spec;
            if (!java.util.Objects.equals(a.record(), b.record()) || !java.util.Objects.equals(a.alert(), b.alert())
                    || !a.exprText().equals(b.exprText()) || a.forMs() != b.forMs() || a.keepFiringForMs() != b.keepFiringForMs()
                    || !a.labels().equals(b.labels()) || !a.annotations().equals(b.annotations())) return false;
        }
        return true;
    }

    // ---------------------------------------------------------------- for-state restore

    /**
     * Restores the active-since time of the alerts held after the first evaluations from the {@code ALERTS_FOR_STATE}
     * series written before a restart (looked up within {@code --rules.alert.for-outage-tolerance}), as Prometheus
     * does: an alert that had been pending keeps its active-since moved forward by the time the server was down
     * (the outage does not count towards {@code for}), or is given {@code --rules.alert.for-grace-period} to fire if
     * less than that was left; rules whose {@code for} is shorter than the grace period are not restored.
     */
    void restoreForState(long nowMs) {
        long t0 = System.nanoTime();
        long mint = nowMs - env.options.outageToleranceMs();
        try (Querier q = env.storage.querier(mint, nowMs)) {
            for (Rule r : rules) {
                if (!(r instanceof AlertingRule ar)) continue;
                long hold = ar.holdMs();
                if (hold < env.options.forGracePeriodMs()) {
                    ar.setRestored(true);
                    continue;
                }
                Map<String, long[]> last = new HashMap<>();
                List<Matcher> ms = new ArrayList<>();
                Labels sel = ar.forStateSelector();
                for (int i = 0; i < sel.size(); i++) ms.add(Matcher.eq(sel.name(i), sel.value(i)));
                SeriesSet ss = q.select(ms);
                while (ss.next()) {
                    Labels l = ss.labels().toBuilder().del(Labels.METRIC_NAME).build();
                    SampleCursor c = ss.cursor();
                    long t = 0;
                    double v = Double.NaN;
                    boolean any = false;
                    while (c.next()) {
                        t = c.timestamp();
                        v = c.value();
                        any = true;
                    }
                    if (any) last.put(l.toString(), new long[]{t, StaleNaN.is(v) ? Long.MIN_VALUE : (long) v});
                }
                if (last.isEmpty()) {
                    ar.setRestored(true);
                    continue;
                }
                long grace = env.options.forGracePeriodMs();
                ar.forEachAlert(a -> {
                    long[] tv = last.get(a.labels.toString());
                    if (tv == null || tv[1] == Long.MIN_VALUE) return; // no series, or stale: the alert was not active
                    long downAt = Math.floorDiv(tv[0], 1000L) * 1000L;
                    long restoredActiveAt = tv[1] * 1000L;
                    long remaining = hold - (downAt - restoredActiveAt);
                    if (remaining <= 0) {
                        // it was firing: the next evaluation makes it firing again if it still is
                    } else if (remaining < grace) {
                        restoredActiveAt = nowMs + grace - hold;
                    } else {
                        restoredActiveAt += nowMs - downAt;
                    }
                    a.activeAt = restoredActiveAt;
                    log.atDebug().addKeyValue("alertname", ar.name()).addKeyValue("labels", a.labels.toString())
                            .addKeyValue("restored_active_at", restoredActiveAt).log("'for' state restored");
                });
                ar.setRestored(true);
            }
        } catch (RuntimeException e) {
            log.atError().setCause(e).addKeyValue("group", spec.name()).log("restoring the 'for' state of alerts failed");
            for (Rule r : rules) if (r instanceof AlertingRule ar) ar.setRestored(true);
        }
        shouldRestore = false;
        if (env.metrics != null) env.metrics.lastRestore.labelValues(key).set((System.nanoTime() - t0) / 1e9);
    }

    // ---------------------------------------------------------------- scheduling

    /** Starts the evaluation thread. */
    void start() {
        Thread t = new Thread(this::run, "tsdb-rules-" + spec.name());
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    /** Stops evaluating and waits for a running evaluation to finish (it stops after the rule it is on). */
    void stop() {
        stopped = true;
        Thread t = thread;
        if (t == null) return;
        synchronized (sleepLock) {
            if (sleeping) t.interrupt();
        }
        try {
            t.join(60_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits for a slot; the only place {@link #stop} interrupts. Throws once stopped. */
    private void sleepUntil(long ms) throws InterruptedException {
        synchronized (sleepLock) {
            if (stopped) throw new InterruptedException("stopped");
            sleeping = true;
        }
        try {
            env.clock.sleepUntil(ms);
        } finally {
            synchronized (sleepLock) {
                sleeping = false;
                Thread.interrupted(); // an interrupt meant for the wait must not reach the evaluation's I/O
            }
        }
        if (stopped) throw new InterruptedException("stopped");
    }

    private void run() {
        RuleClock clock = env.clock;
        long intervalNs = intervalMs * 1_000_000L;
        try {
            long evalNs = evalTimestampNanos(clock.nowMillis()) + intervalNs;
            sleepUntil(ceilMs(evalNs));
            iterate(evalNs);
            if (shouldRestore) {
                evalNs = nextIteration(clock, evalNs, intervalNs);
                if (evalNs == Long.MIN_VALUE) return;
                iterate(evalNs);
                restoreForState(clock.nowMillis());
            }
            while (!stopped) {
                evalNs = nextIteration(clock, evalNs, intervalNs);
                if (evalNs == Long.MIN_VALUE) return;
                iterate(evalNs);
            }
        } catch (InterruptedException e) {
            // stopped
        } catch (RuntimeException e) {
            log.atError().setCause(e).addKeyValue("group", spec.name()).log("rule group evaluation stopped by an unexpected error");
        }
    }

    private static long ceilMs(long ns) {
        return Math.floorDiv(ns + 999_999L, 1_000_000L);
    }

    /** Waits for the next tick; counts ticks missed while the previous iteration ran; returns the new eval time. */
    private long nextIteration(RuleClock clock, long evalNs, long intervalNs) throws InterruptedException {
        sleepUntil(ceilMs(evalNs + intervalNs));
        long nowNs = clock.nowMillis() * 1_000_000L;
        long missed = (nowNs - evalNs) / intervalNs - 1;
        if (missed > 0 && env.metrics != null) {
            env.metrics.missed.labelValues(key).inc(missed);
            env.metrics.iterations.labelValues(key).inc(missed);
        }
        return evalNs + (Math.max(missed, 0) + 1) * intervalNs;
    }

    private void iterate(long evalNs) {
        if (stopped) return;
        long ts = Math.floorDiv(evalNs, 1_000_000L);
        if (env.metrics != null) {
            env.metrics.iterations.labelValues(key).inc();
            env.metrics.lag.observe(Math.max(0, env.clock.nowMillis() - ts) / 1000.0);
        }
        eval(ts);
    }

    /** For tests and the unit-test runner: marks the group's alerting rules as restored (ALERTS are written). */
    public void markRestored() {
        shouldRestore = false;
        for (Rule r : rules) if (r instanceof AlertingRule ar) ar.setRestored(true);
    }

    /** The series names this group's rules write (for the API's file/group views). */
    Set<String> recordedNames() {
        Set<String> out = new LinkedHashSet<>();
        for (Rule r : rules) out.add(r.spec.isAlert() ? AlertingRule.ALERTS : r.spec.record());
        return out;
    }
}
