package io.tsdb.server.rules;

import io.tsdb.core.Labels;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Loads the rule files and runs their groups; reloads them on request (SIGHUP, {@code POST /-/reload}).
 *
 * <p>A reload that fails (a file does not parse or validate) changes nothing: the running groups keep evaluating
 * and the failure is reported in the log, in {@code tsdb_rules_config_last_reload_successful} and to the caller. A
 * successful reload, as in Prometheus: a group whose definition is unchanged keeps running untouched; a changed
 * group is stopped and its replacement takes over its state (series written, alerts and their active-since); a
 * removed group stops and its series get staleness markers two intervals later.
 *
 * <p>Locking: {@link #reload} and {@link #stop} are synchronized on this manager (one at a time); {@code groups}
 * is replaced wholesale (volatile) so readers see either the old or the new set.
 */
public final class RuleManager implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RuleManager.class);

    /** Outcome of a (re)load. */
    public record ReloadResult(boolean ok, List<String> errors, List<String> warnings, int groups, int rules) {
        public String message() {
            if (ok) return "loaded " + groups + " rule groups (" + rules + " rules)";
            return String.join("; ", errors);
        }
    }

    private final RuleEnv env;
    private final List<String> patterns;
    private volatile Map<String, RuleGroup> groups = new LinkedHashMap<>();
    private boolean restored;
    private boolean stopped;
    private volatile ReloadResult lastReload;
    private volatile long lastReloadMs;
    private volatile long lastSuccessMs;

    public RuleManager(RuleEnv env, List<String> patterns) {
        this.env = env;
        this.patterns = List.copyOf(patterns);
    }

    public RuleEnv env() { return env; }

    public List<String> patterns() { return patterns; }

    /** The running groups, in file and definition order. */
    public List<RuleGroup> groups() { return new ArrayList<>(groups.values()); }

    public ReloadResult lastReload() { return lastReload; }

    public long lastReloadMs() { return lastReloadMs; }

    public long lastSuccessMs() { return lastSuccessMs; }

    /** Reads the rule files again and applies them (see class comment); the first call starts evaluation. */
    public synchronized ReloadResult reload() {
        List<String> errors = new ArrayList<>(), warnings = new ArrayList<>();
        List<String> files = RuleFileLoader.expand(patterns, errors, warnings);
        RuleFileLoader.Result r = errors.isEmpty() ? RuleFileLoader.load(files, false)
                : new RuleFileLoader.Result(List.of(), errors, warnings);
        if (r != null && errors.isEmpty()) {
            errors.addAll(r.errors());
            warnings.addAll(r.warnings());
        }
        for (String w : warnings) log.atWarn().addKeyValue("warning", w).log("rule files");
        lastReloadMs = env.clock.nowMillis();
        if (!errors.isEmpty() || stopped) {
            if (stopped) errors.add("the rule manager is stopped");
            for (String e : errors) log.atError().addKeyValue("err", e).log("loading rule files failed; the previous rules keep running");
            ReloadResult res = new ReloadResult(false, List.copyOf(errors), List.copyOf(warnings), groups.size(), ruleCount(groups));
            lastReload = res;
            if (env.metrics != null) {
                env.metrics.reloadSuccessful.set(0);
                env.metrics.reloads.labelValues("failure").inc();
            }
            return res;
        }
        update(r.groups());
        lastSuccessMs = lastReloadMs;
        ReloadResult res = new ReloadResult(true, List.of(), List.copyOf(warnings), groups.size(), ruleCount(groups));
        lastReload = res;
        if (env.metrics != null) {
            env.metrics.reloadSuccessful.set(1);
            env.metrics.reloadSuccessTimestamp.set(lastSuccessMs / 1000.0);
            env.metrics.reloads.labelValues("success").inc();
        }
        log.atInfo().addKeyValue("groups", res.groups()).addKeyValue("rules", res.rules()).addKeyValue("files", files.size())
                .log("rule files loaded");
        return res;
    }

    private static int ruleCount(Map<String, RuleGroup> gs) {
        int n = 0;
        for (RuleGroup g : gs.values()) n += g.rules().size();
        return n;
    }

    /** Applies validated groups: keeps unchanged ones, replaces changed ones (copying state), stops removed ones. */
    synchronized void update(List<RuleSpecs.Group> specs) {
        boolean shouldRestore = !restored;
        Map<String, RuleGroup> old = new LinkedHashMap<>(groups);
        Map<String, RuleGroup> next = new LinkedHashMap<>();
        List<RuleGroup> toStart = new ArrayList<>();
        for (RuleSpecs.Group s : specs) {
            RuleGroup ng = new RuleGroup(s, env, shouldRestore);
            RuleGroup og = old.remove(s.key());
            if (og != null && og.sameAs(ng)) {
                next.put(s.key(), og);
                continue;
            }
            if (og != null) {
                og.stop();
                ng.copyState(og);
            }
            next.put(s.key(), ng);
            toStart.add(ng);
        }
        restored = true;
        groups = next;
        for (RuleGroup g : toStart) g.start();
        for (RuleGroup g : old.values()) {
            g.stop();
            if (env.metrics != null) env.metrics.removeGroup(g.key());
            List<Labels> series = g.currentSeries();
            if (series.isEmpty()) continue;
            // stale markers two intervals later, so a rule that moved to another group can write its series first
            long at = env.clock.nowMillis() + 2 * g.intervalMs();
            Thread t = new Thread(() -> {
                try {
                    env.clock.sleepUntil(at);
                    synchronized (this) {
                        if (stopped) return;
                    }
                    g.markStale(series, env.clock.nowMillis());
                } catch (InterruptedException e) {
                    // stopping
                }
            }, "tsdb-rules-stale-" + g.name());
            t.setDaemon(true);
            t.start();
        }
    }

    /** Stops every group (waiting for running evaluations). */
    public synchronized void stop() {
        stopped = true;
        for (RuleGroup g : groups.values()) g.stop();
    }

    @Override public void close() { stop(); }
}
