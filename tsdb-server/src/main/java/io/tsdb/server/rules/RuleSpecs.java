package io.tsdb.server.rules;

import io.tsdb.core.Labels;
import io.tsdb.query.ast.Expr;
import io.tsdb.server.rules.template.Template;

import java.util.List;
import java.util.Map;
import java.util.SortedMap;

/** A rule file as loaded and validated (see {@link RuleFileLoader}): its groups and their rules. */
public final class RuleSpecs {
    private RuleSpecs() {}

    /**
     * One group. {@code intervalMs} 0 = the global evaluation interval; {@code queryOffsetMs} null = the global
     * default ({@code --rules.query-offset}); {@code limit} 0 = none.
     */
    public record Group(String file, String name, long intervalMs, Long queryOffsetMs, int limit, Labels labels,
                        List<Rule> rules, int line) {
        /** Prometheus's group key: file and name. */
        public String key() { return file + ";" + name; }
    }

    /**
     * One rule, recording ({@code record} set) or alerting ({@code alert} set). {@code labels} are the group's
     * labels overridden by the rule's; for an alerting rule their values (and the annotations) are templates,
     * parsed in {@code labelTemplates} / {@code annotationTemplates}.
     */
    public record Rule(int index, String record, String alert, String exprText, Expr expr, long forMs,
                       long keepFiringForMs, Labels labels, SortedMap<String, String> annotations,
                       Map<String, Template> labelTemplates, Map<String, Template> annotationTemplates, int line) {
        public boolean isAlert() { return alert != null; }

        public String name() { return alert != null ? alert : record; }
    }
}
