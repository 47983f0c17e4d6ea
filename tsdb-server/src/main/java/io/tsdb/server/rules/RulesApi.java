package io.tsdb.server.rules;

import com.fasterxml.jackson.core.JsonGenerator;
import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.query.parser.Printer;
import io.tsdb.server.api.ApiError;
import io.tsdb.server.api.ApiJson;
import io.tsdb.server.api.Params;
import io.tsdb.server.http.Request;
import io.tsdb.server.http.Response;
import io.tsdb.server.rules.notify.Notifier;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code /api/v1/rules}, {@code /api/v1/alerts} and {@code /api/v1/alertmanagers} in Prometheus's JSON shapes
 * (Grafana's alerting views read them), written with the server's API envelope ({@link ApiJson}).
 * {@code /api/v1/rules} filters: {@code type=alert|record}, {@code rule_name[]}, {@code rule_group[]} (also
 * accepted as {@code group_name[]}), {@code file[]}, {@code match[]} (selectors over the rules' labels),
 * {@code exclude_alerts=true}.
 */
final class RulesApi {
    private final TenantRuleManagers managers;
    private final Notifier notifier;

    RulesApi(TenantRuleManagers managers, Notifier notifier) {
        this.managers = managers;
        this.notifier = notifier;
    }

    /** The rule groups the request's tenant(s) see: each tenant's own (they read and write its series only). */
    private List<RuleGroup> groups(Request r) {
        return managers.groups(r.tenant());
    }

    Response rules(Request r) {
        String type = r.param("type") == null ? "" : r.param("type").toLowerCase(Locale.ROOT);
        if (!type.isEmpty() && !type.equals("alert") && !type.equals("record")) {
            throw ApiError.invalidParam("type", "not supported value \"" + type + "\"");
        }
        boolean alerts = type.isEmpty() || type.equals("alert"), records = type.isEmpty() || type.equals("record");
        String ex = r.param("exclude_alerts");
        boolean excludeAlerts;
        if (ex == null || ex.isEmpty() || ex.equalsIgnoreCase("false")) excludeAlerts = false;
        else if (ex.equalsIgnoreCase("true")) excludeAlerts = true;
        else throw ApiError.invalidParam("exclude_alerts", "strconv.ParseBool: parsing \"" + ex + "\": invalid syntax");
        Set<String> names = new HashSet<>(r.params("rule_name[]"));
        Set<String> groups = new HashSet<>(r.params("rule_group[]"));
        groups.addAll(r.params("group_name[]"));
        Set<String> files = new HashSet<>(r.params("file[]"));
        List<List<Matcher>> matchers = new ArrayList<>();
        for (String m : r.params("match[]")) {
            try {
                matchers.add(Params.parseSelector(m));
            } catch (IllegalArgumentException e) {
                throw ApiError.invalidParam("match[]", e.getMessage());
            }
        }
        List<RuleGroup> selected = new ArrayList<>();
        for (RuleGroup g : groups(r)) {
            if (!groups.isEmpty() && !groups.contains(g.name())) continue;
            if (!files.isEmpty() && !files.contains(g.file())) continue;
            selected.add(g);
        }
        return ApiJson.success(gen -> {
            gen.writeStartObject();
            gen.writeArrayFieldStart("groups");
            for (RuleGroup g : selected) {
                List<Rule> rs = new ArrayList<>();
                for (Rule rule : g.rules()) {
                    if (!names.isEmpty() && !names.contains(rule.name())) continue;
                    if (rule instanceof AlertingRule ? !alerts : !records) continue;
                    if (!matchers.isEmpty() && !matchesAny(rule.spec.labels(), matchers)) continue;
                    rs.add(rule);
                }
                if (rs.isEmpty()) continue;
                gen.writeStartObject();
                gen.writeStringField("name", g.name());
                gen.writeStringField("file", g.file());
                gen.writeArrayFieldStart("rules");
                for (Rule rule : rs) writeRule(gen, rule, excludeAlerts);
                gen.writeEndArray();
                gen.writeNumberField("interval", g.intervalMs() / 1000.0);
                gen.writeNumberField("limit", g.limit());
                gen.writeNumberField("evaluationTime", g.evaluationNanos() / 1e9);
                gen.writeStringField("lastEvaluation", goTime(g.lastEvaluationMs() == 0 ? Alert.NONE : g.lastEvaluationMs()));
                gen.writeEndObject();
            }
            gen.writeEndArray();
            gen.writeEndObject();
        });
    }

    private static boolean matchesAny(Labels l, List<List<Matcher>> sets) {
        for (List<Matcher> set : sets) {
            boolean all = true;
            for (Matcher m : set) {
                String v = l.get(m.name());
                if (!m.matches(v == null ? "" : v)) {
                    all = false;
                    break;
                }
            }
            if (all) return true;
        }
        return false;
    }

    private static void writeRule(JsonGenerator g, Rule rule, boolean excludeAlerts) throws IOException {
        g.writeStartObject();
        if (rule instanceof AlertingRule ar) {
            List<Alert> active = ar.activeAlerts();
            Alert.State state = Alert.State.INACTIVE;
            for (Alert a : active) if (a.state().ordinal() > state.ordinal()) state = a.state();
            g.writeStringField("state", state.api);
            g.writeStringField("name", rule.name());
            g.writeStringField("query", Printer.print(rule.spec.expr()));
            g.writeNumberField("duration", ar.holdMs() / 1000.0);
            g.writeNumberField("keepFiringFor", ar.keepFiringForMs() / 1000.0);
            g.writeFieldName("labels");
            ApiJson.writeLabels(g, rule.spec.labels());
            g.writeFieldName("annotations");
            writeMap(g, rule.spec.annotations());
            g.writeFieldName("alerts");
            if (excludeAlerts) {
                g.writeNull();
            } else {
                g.writeStartArray();
                for (Alert a : active) writeAlert(g, a);
                g.writeEndArray();
            }
        } else {
            g.writeStringField("name", rule.name());
            g.writeStringField("query", Printer.print(rule.spec.expr()));
            g.writeFieldName("labels");
            ApiJson.writeLabels(g, rule.spec.labels());
        }
        g.writeStringField("health", rule.health().api);
        if (rule.lastError() != null) g.writeStringField("lastError", rule.lastError());
        g.writeNumberField("evaluationTime", rule.evaluationNanos() / 1e9);
        g.writeStringField("lastEvaluation", goTime(rule.lastEvaluationMs() == 0 ? Alert.NONE : rule.lastEvaluationMs()));
        g.writeStringField("type", rule instanceof AlertingRule ? "alerting" : "recording");
        g.writeEndObject();
    }

    static void writeAlert(JsonGenerator g, Alert a) throws IOException {
        g.writeStartObject();
        g.writeFieldName("labels");
        ApiJson.writeLabels(g, a.labels());
        g.writeFieldName("annotations");
        writeMap(g, a.annotations());
        g.writeStringField("state", a.state().api);
        g.writeStringField("activeAt", goTime(a.activeAt()));
        if (a.keepFiringSince() != Alert.NONE) g.writeStringField("keepFiringSince", goTime(a.keepFiringSince()));
        g.writeStringField("value", goExp(a.value()));
        g.writeEndObject();
    }

    private static void writeMap(JsonGenerator g, Map<String, String> m) throws IOException {
        g.writeStartObject();
        for (Map.Entry<String, String> e : m.entrySet()) g.writeStringField(e.getKey(), e.getValue());
        g.writeEndObject();
    }

    /** strconv.FormatFloat(v, 'e', -1, 64), as Prometheus writes alert values. */
    static String goExp(double v) {
        return io.tsdb.server.rules.template.GoFmt.formatFloat(v, 'e', -1);
    }

    /** Go's time.Time JSON (RFC 3339 with the fraction trimmed); Go's zero time for "never". */
    static String goTime(long ms) {
        if (ms == Alert.NONE) return "0001-01-01T00:00:00Z";
        String s = Instant.ofEpochMilli(ms).toString();
        return s;
    }

    Response alerts(Request r) {
        List<Alert> all = new ArrayList<>();
        for (RuleGroup g : groups(r)) {
            for (Rule rule : g.rules()) if (rule instanceof AlertingRule ar) all.addAll(ar.activeAlerts());
        }
        return ApiJson.success(gen -> {
            gen.writeStartObject();
            gen.writeArrayFieldStart("alerts");
            for (Alert a : all) writeAlert(gen, a);
            gen.writeEndArray();
            gen.writeEndObject();
        });
    }

    Response alertmanagers(Request r) {
        List<String> urls = notifier == null ? List.of() : notifier.endpoints();
        return ApiJson.success(gen -> {
            gen.writeStartObject();
            gen.writeArrayFieldStart("activeAlertmanagers");
            for (String u : urls) {
                gen.writeStartObject();
                gen.writeStringField("url", u);
                gen.writeEndObject();
            }
            gen.writeEndArray();
            gen.writeArrayFieldStart("droppedAlertmanagers");
            gen.writeEndArray();
            gen.writeEndObject();
        });
    }
}
