package io.tsdb.server.rules;

import io.tsdb.core.Labels;
import io.tsdb.query.engine.Sample;
import io.tsdb.server.rules.notify.NotifierAlert;
import io.tsdb.server.rules.template.Template;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * An alerting rule and its alerts, with Prometheus's state machine: a new result label set is a pending alert
 * active since the evaluation; it fires once it has been active for {@code for}; when its result disappears a
 * firing alert resolves (or keeps firing for {@code keep_firing_for}), a pending one is dropped; resolved alerts
 * are kept 15 minutes so Alertmanager keeps hearing that they resolved. Each evaluation yields an {@code ALERTS}
 * sample (value 1, label {@code alertstate}) and an {@code ALERTS_FOR_STATE} sample (value: active-since in Unix
 * seconds) per pending or firing alert, once the rule's {@code for} state is restored (see
 * {@link RuleGroup#restoreForState}).
 *
 * <p>Thread-safety: evaluation runs on the group's thread; {@link #activeAlerts()} and the notifier snapshot are
 * read by others. All access to {@code active} holds this object's monitor.
 */
public final class AlertingRule extends Rule {
    /** How long a resolved alert is still sent to Alertmanager (Prometheus's resolvedRetention). */
    static final long RESOLVED_RETENTION_MS = 15 * 60_000L;
    static final String ALERTS = "ALERTS";
    static final String ALERTS_FOR_STATE = "ALERTS_FOR_STATE";

    private final Map<Labels, Alert> active = new LinkedHashMap<>();
    private volatile boolean restored;

    AlertingRule(RuleSpecs.Rule spec, boolean restored) {
        super(spec);
        this.restored = restored;
    }

    public long holdMs() { return spec.forMs(); }

    public long keepFiringForMs() { return spec.keepFiringForMs(); }

    boolean restored() { return restored; }

    void setRestored(boolean r) { restored = r; }

    @Override
    List<Sample> eval(long ts, long queryOffsetMs, RuleEnv env, int limit) throws RuleEvalException {
        List<Sample> res = env.query(spec.expr(), spec.exprText(), ts - queryOffsetMs);
        Map<Labels, Alert> alerts = new HashMap<>(res.size() * 2);
        PromTemplates.Context tctx = new PromTemplates.Context(env.templateQuery(), ts, env.externalUrl());
        for (Sample s : res) {
            Object data = PromTemplates.alertData(s.labels(), env.externalLabels(), env.externalUrl(), s.value());
            Labels.Builder lb = s.labels().toBuilder().del(Labels.METRIC_NAME);
            Labels rl = spec.labels();
            for (int i = 0; i < rl.size(); i++) {
                Template t = spec.labelTemplates().get(rl.name(i));
                lb.set(rl.name(i), t == null ? rl.value(i) : expand(t, data, tctx, env));
            }
            lb.set("alertname", spec.alert());
            TreeMap<String, String> ann = new TreeMap<>();
            for (Map.Entry<String, String> a : spec.annotations().entrySet()) {
                Template t = spec.annotationTemplates().get(a.getKey());
                ann.put(a.getKey(), t == null ? a.getValue() : expand(t, data, tctx, env));
            }
            Labels l = lb.build();
            if (alerts.containsKey(l)) throw new RuleEvalException("vector contains metrics with the same labelset after applying alert labels");
            alerts.put(l, new Alert(l, ann, Alert.State.PENDING, s.value(), ts));
        }
        List<Sample> vec = new ArrayList<>();
        synchronized (this) {
            for (Map.Entry<Labels, Alert> e : alerts.entrySet()) {
                Alert a = active.get(e.getKey());
                if (a != null && a.state != Alert.State.INACTIVE) {
                    a.value = e.getValue().value;
                    a.annotations = e.getValue().annotations;
                    continue;
                }
                active.put(e.getKey(), e.getValue());
            }
            int numActivePending = 0;
            var it = active.entrySet().iterator();
            while (it.hasNext()) {
                Alert a = it.next().getValue();
                if (!alerts.containsKey(a.labels)) {
                    boolean keepFiring = false;
                    if (a.state == Alert.State.FIRING && spec.keepFiringForMs() > 0) {
                        if (a.keepFiringSince == Alert.NONE) a.keepFiringSince = ts;
                        if (ts - a.keepFiringSince < spec.keepFiringForMs()) keepFiring = true;
                    }
                    if (a.state == Alert.State.PENDING || (a.resolvedAt != Alert.NONE && ts - a.resolvedAt > RESOLVED_RETENTION_MS)) {
                        it.remove();
                    }
                    if (a.state != Alert.State.INACTIVE && !keepFiring) {
                        a.state = Alert.State.INACTIVE;
                        a.resolvedAt = ts;
                    }
                    if (!keepFiring) continue;
                } else {
                    a.keepFiringSince = Alert.NONE;
                }
                numActivePending++;
                if (a.state == Alert.State.PENDING && ts - a.activeAt >= spec.forMs()) {
                    a.state = Alert.State.FIRING;
                    a.firedAt = ts;
                }
                // a reload that raised `for` sends a firing alert back to pending
                if (a.state == Alert.State.FIRING && ts - a.activeAt < spec.forMs()) {
                    a.state = Alert.State.PENDING;
                    a.firedAt = Alert.NONE;
                    a.lastSentAt = Alert.NONE;
                    a.keepFiringSince = Alert.NONE;
                }
                if (restored) {
                    long at = ts - queryOffsetMs;
                    vec.add(new Sample(alertsLabels(a, ALERTS).toBuilder().set("alertstate", a.state.api).build(), at, 1));
                    vec.add(new Sample(alertsLabels(a, ALERTS_FOR_STATE), at, Math.floorDiv(a.activeAt, 1000L)));
                }
            }
            if (limit > 0 && numActivePending > limit) {
                active.clear();
                throw new RuleEvalException("exceeded limit of " + limit + " with " + numActivePending + " alerts");
            }
        }
        return vec;
    }

    private static String expand(Template t, Object data, PromTemplates.Context ctx, RuleEnv env) {
        return PromTemplates.expand(t, data, ctx, env::templateError);
    }

    /** The alert's labels with the rule's static labels underneath, named {@code metric}, alertname set. */
    private Labels alertsLabels(Alert a, String metric) {
        Labels.Builder b = spec.labels().toBuilder();
        for (int i = 0; i < a.labels.size(); i++) b.set(a.labels.name(i), a.labels.value(i));
        return b.set(Labels.METRIC_NAME, metric).set("alertname", spec.alert()).build();
    }

    /**
     * The alerts due for (re)sending at {@code ts}, as Alertmanager gets them: startsAt the firing time, endsAt the
     * resolve time or, while firing, four evaluation intervals (or resend delays) ahead.
     */
    List<NotifierAlert> alertsToSend(long ts, long resendDelayMs, long intervalMs, String generatorUrl) {
        List<NotifierAlert> out = new ArrayList<>();
        synchronized (this) {
            for (Alert a : active.values()) {
                if (!a.needsSending(ts, resendDelayMs)) continue;
                a.lastSentAt = ts;
                a.validUntil = ts + 4 * Math.max(intervalMs, resendDelayMs);
                long endsAt = a.resolvedAt != Alert.NONE ? a.resolvedAt : a.validUntil;
                out.add(new NotifierAlert(a.labels, a.annotations, a.firedAt, endsAt, generatorUrl));
            }
        }
        return out;
    }

    /** Snapshots of the pending and firing alerts (the API's active alerts). */
    public synchronized List<Alert> activeAlerts() {
        List<Alert> out = new ArrayList<>();
        for (Alert a : active.values()) if (a.state != Alert.State.INACTIVE) out.add(a.copy());
        return out;
    }

    /** Snapshots of every alert held, resolved ones included. */
    synchronized List<Alert> allAlerts() {
        List<Alert> out = new ArrayList<>();
        for (Alert a : active.values()) out.add(a.copy());
        return out;
    }

    /** The rule's state across a reload (same name and labels): its alerts carry over. */
    synchronized void copyStateFrom(AlertingRule old) {
        synchronized (old) {
            for (Map.Entry<Labels, Alert> e : old.active.entrySet()) active.put(e.getKey(), e.getValue().copy());
        }
    }

    /** Matchers-as-labels for the ALERTS_FOR_STATE series of this rule (static labels only, no templates). */
    Labels forStateSelector() {
        Labels.Builder b = Labels.builder();
        Labels rl = spec.labels();
        for (int i = 0; i < rl.size(); i++) if (!rl.value(i).contains("{{")) b.set(rl.name(i), rl.value(i));
        return b.set(Labels.METRIC_NAME, ALERTS_FOR_STATE).set("alertname", spec.alert()).build();
    }

    /** Applies {@code f} to every held alert under the lock (restore). */
    synchronized void forEachAlert(java.util.function.Consumer<Alert> f) {
        for (Alert a : active.values()) f.accept(a);
    }

    synchronized int alertCount() { return active.size(); }

    /** Labels of every ALERTS_FOR_STATE series this rule wrote for its held alerts (tests). */
    synchronized Set<Labels> heldLabels() { return new HashSet<>(active.keySet()); }
}
