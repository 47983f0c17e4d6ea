package io.tsdb.server.rules;

import io.tsdb.query.testdata.SharedTestData;
import io.tsdb.server.cli.Cli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Rule-file loading and validation: upstream's fixtures (rules/fixtures and the promtool rule files) load or fail
 * as upstream expects, and every validation error names the file, line and column, group, rule and what is wrong,
 * as promtool check rules does.
 */
class RuleFileLoaderTest {
    static Path fixtures(String sub) {
        return SharedTestData.require("prometheus-rules-testdata", "RuleFileLoaderTest").resolve(sub);
    }

    static RuleFileLoader.Result parse(String yaml) {
        return RuleFileLoader.parse("r.yml", yaml, false);
    }

    @Test
    void upstreamRuleFixturesLoad() throws Exception {
        Path dir = fixtures("rules-fixtures");
        Map<String, int[]> expect = new TreeMap<>(Map.ofEntries(   // file -> {groups, rules}
                Map.entry("alert_rule.yaml", new int[]{1, 1}), Map.entry("alert_rule1.yaml", new int[]{1, 1}),
                Map.entry("rules.yaml", new int[]{1, 1}), Map.entry("rules1.yaml", new int[]{1, 1}),
                Map.entry("rules2.yaml", new int[]{1, 1}), Map.entry("rules2_copy.yaml", new int[]{1, 1}),
                Map.entry("rules_chain.yaml", new int[]{1, 7}), Map.entry("rules_dependencies.yaml", new int[]{1, 2}),
                Map.entry("rules_indeterminates.yaml", new int[]{1, 7}), Map.entry("rules_multi_doc.yaml", new int[]{1, 1}),
                Map.entry("rules_multiple.yaml", new int[]{1, 6}), Map.entry("rules_multiple_dependents_on_base.yaml", new int[]{1, 8}),
                Map.entry("rules_multiple_groups.yaml", new int[]{2, 10}), Map.entry("rules_multiple_independent.yaml", new int[]{1, 8})));
        for (var e : expect.entrySet()) {
            RuleFileLoader.Result r = RuleFileLoader.loadFile(dir.resolve(e.getKey()).toString(), false);
            assertTrue(r.ok(), e.getKey() + ": " + r.errors());
            assertEquals(e.getValue()[0], r.groups().size(), e.getKey());
            assertEquals(e.getValue()[1], r.groups().stream().mapToInt(g -> g.rules().size()).sum(), e.getKey());
        }
        // the group interval and the alerting rules of alert_rule.yaml
        RuleSpecs.Group g = RuleFileLoader.loadFile(dir.resolve("alert_rule.yaml").toString(), false).groups().get(0);
        assertEquals(1000, g.intervalMs());
        assertEquals("rule1", g.rules().get(0).alert());
        // a second YAML document is ignored with a warning
        RuleFileLoader.Result multi = RuleFileLoader.loadFile(dir.resolve("rules_multi_doc.yaml").toString(), false);
        assertEquals(1, multi.warnings().size(), multi.warnings().toString());
        assertTrue(multi.warnings().get(0).contains("only the first document is processed"));
        // an unknown field is refused with its line, unless unknown fields are ignored
        String invalid = dir.resolve("invalid_rules.yaml").toString();
        RuleFileLoader.Result bad = RuleFileLoader.loadFile(invalid, false);
        assertEquals(List.of(invalid + ": 6:9: group \"invalid\", rule 1, \"job:http_requests:rate5m\": field unexpected_field "
                + "not found in type rulefmt.Rule"), bad.errors());
        assertTrue(RuleFileLoader.loadFile(invalid, true).ok());
    }

    @Test
    void checkRulesOnUpstreamPromtoolFiles() {
        Path dir = fixtures("promtool");
        Cli.Exit good = (Cli.Exit) Cli.parse("check", "rules", dir.resolve("rules.yml").toString());
        assertEquals(0, good.code(), good.stderr());
        assertTrue(good.stdout().contains("SUCCESS: 5 rules found"), good.stdout());

        Cli.Exit bad = (Cli.Exit) Cli.parse("check", "rules", dir.resolve("rules-bad.yml").toString());
        assertEquals(1, bad.code());
        assertTrue(bad.stderr().contains("rules-bad.yml: 12:20: group \"alerts\", rule 1, \"InstanceDown\": annotation \"summary\": "
                + "template: __alert_InstanceDown:1: undefined variable \"$label\""), bad.stderr());

        String dups = dir.resolve("rules_duplicates.yml").toString();
        Cli.Exit lint = (Cli.Exit) Cli.parse("check", "rules", dups);
        assertEquals(0, lint.code());   // lint problems alone do not fail without --lint-fatal
        assertTrue(lint.stderr().contains("1 duplicate rule(s) found.\nMetric: job:test:count_over_time1m"), lint.stderr());
        assertEquals(3, ((Cli.Exit) Cli.parse("check", "rules", "--lint-fatal", dups)).code());
        assertEquals(0, ((Cli.Exit) Cli.parse("check", "rules", "--lint=none", "--lint-fatal", dups)).code());

        String extra = dir.resolve("rules_extrafields.yml").toString();
        assertEquals(1, ((Cli.Exit) Cli.parse("check", "rules", extra)).code());
        assertEquals(0, ((Cli.Exit) Cli.parse("check", "rules", "--ignore-unknown-fields", extra)).code());
    }

    @Test
    void everyErrorNamesFileLineGroupAndRule() {
        RuleFileLoader.Result r = parse("""
                groups:
                  - name: g
                    interval: 1x
                    rules:
                      - record: ok:rule
                        expr: sum(up)
                      - record: bad
                        expr: sum(up
                      - alert: Both
                        record: both
                        expr: up
                      - record: with:annotations
                        expr: up
                        for: 5m
                        annotations:
                          a: b
                      - alert: BadTemplate
                        expr: up == 0
                        labels:
                          severity: '{{ nope }}'
                      - expr: up
                      - record: 'x{y="z"}'
                        expr: up
                      - record: bad-name
                        expr: up
                        labels:
                          __name__: x
                          0bad: y
                  - name: g
                    rules: []
                  - rules: []
                """);
        assertFalse(r.ok());
        List<String> e = r.errors();
        String all = String.join("\n", e);
        assertTrue(e.contains("r.yml: 3:15: group \"g\": interval: not a valid duration string: \"1x\""), all);
        assertTrue(all.contains("r.yml: 8:15: group \"g\", rule 2, \"bad\": could not parse expression: "), all);
        assertTrue(all.contains("r.yml: 10:17: 9:16: group \"g\", rule 3, \"Both\": only one of 'record' and 'alert' must be set"), all);
        assertTrue(e.contains("r.yml: 12:17: group \"g\", rule 4, \"with:annotations\": invalid field 'annotations' in recording rule"), all);
        assertTrue(e.contains("r.yml: 12:17: group \"g\", rule 4, \"with:annotations\": invalid field 'for' in recording rule"), all);
        assertTrue(e.contains("r.yml: 20:21: group \"g\", rule 5, \"BadTemplate\": label \"severity\": "
                + "template: __alert_BadTemplate:1: function \"nope\" not defined"), all);
        assertTrue(e.contains("r.yml: 21:9: group \"g\", rule 6, \"\": one of 'record' or 'alert' must be set"), all);
        assertTrue(e.contains("r.yml: 22:17: group \"g\", rule 7, \"x{y=\\\"z\\\"}\": braces present in the recording rule name; "
                + "should it be in expr?: x{y=\"z\"}"), all);
        assertTrue(e.contains("r.yml: 24:17: group \"g\", rule 8, \"bad-name\": invalid recording rule name: bad-name"), all);
        assertTrue(e.contains("r.yml: 27:11: group \"g\", rule 8, \"bad-name\": invalid label name: __name__"), all);
        assertTrue(e.contains("r.yml: 28:11: group \"g\", rule 8, \"bad-name\": invalid label name: 0bad"), all);
        assertTrue(e.contains("r.yml: 29:5: groupname: \"g\" is repeated in the same file"), all);
        assertTrue(e.contains("r.yml: 31:5: Groupname must not be empty"), all);
        assertTrue(r.groups().isEmpty());
    }

    @Test
    void yamlProblemsHaveAPosition() {
        assertEquals(List.of("r.yml: 3:3: yaml: mapping key \"name\" already defined at line 2"),
                parse("groups:\n- name: a\n  name: b\n").errors().stream().map(s -> s.replaceAll("3:\\d+:", "3:3:")).toList());
        assertTrue(parse("groups: [\n").errors().get(0).startsWith("r.yml: "), parse("groups: [\n").errors().toString());
        assertEquals(List.of("r.yml: 1:1: field group not found in type rulefmt.RuleGroups"), parse("group: []\n").errors());
        assertTrue(parse("").ok());
        assertTrue(parse("groups:\n").ok());
    }

    @Test
    void groupFieldsAndMergedLabels() {
        RuleFileLoader.Result r = parse("""
                groups:
                  - name: g
                    interval: 30s
                    query_offset: 1m
                    limit: 10
                    labels: {team: a, env: prod}
                    rules:
                      - alert: A
                        expr: up == 0
                        for: 5m
                        keep_firing_for: 2m
                        labels: {team: b, severity: '{{ $labels.job | toUpper }}'}
                        annotations: {summary: '{{ humanize $value }} on {{ $labels.instance }}'}
                """);
        assertTrue(r.ok(), r.errors().toString());
        RuleSpecs.Group g = r.groups().get(0);
        assertEquals(30_000, g.intervalMs());
        assertEquals(60_000L, g.queryOffsetMs());
        assertEquals(10, g.limit());
        RuleSpecs.Rule a = g.rules().get(0);
        assertEquals(300_000, a.forMs());
        assertEquals(120_000, a.keepFiringForMs());
        assertEquals("b", a.labels().get("team"));     // the rule's label wins over the group's
        assertEquals("prod", a.labels().get("env"));
        assertTrue(a.labelTemplates().containsKey("severity"));
        assertTrue(a.annotationTemplates().containsKey("summary"));
    }

    @Test
    void globsExpandLikeGo(@TempDir Path tmp) throws Exception {
        Files.writeString(tmp.resolve("b.yml"), "groups: []\n");
        Files.writeString(tmp.resolve("a.yml"), "groups: []\n");
        Files.writeString(tmp.resolve("c.yaml"), "groups: []\n");
        List<String> errors = new ArrayList<>(), warnings = new ArrayList<>();
        List<String> files = RuleFileLoader.expand(List.of(tmp + "/*.yml", tmp + "/a.yml", tmp + "/none-*.yml", tmp + "/missing.yml"),
                errors, warnings);
        assertEquals(List.of(tmp + "/a.yml", tmp + "/b.yml"), files);
        assertEquals(List.of("rule file pattern '" + tmp + "/none-*.yml' matches no file"), warnings);
        assertEquals(List.of(tmp + "/missing.yml: open " + tmp + "/missing.yml: no such file or directory"), errors);
    }

    @Test
    void serverRefusesToStartOnAnInvalidRuleFile(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("r.yml");
        Files.writeString(f, "groups:\n  - name: g\n    rules:\n      - record: x\n        expr: 'sum('\n");
        Cli.Exit e = assertInstanceOf(Cli.Exit.class, Cli.parse("--rules.file=" + f));
        assertEquals(2, e.code());
        assertEquals(1, e.stderr().lines().count(), e.stderr());
        assertTrue(e.stderr().startsWith("tsdb-server: invalid rule file: " + f + ": 5:15: group \"g\", rule 1, \"x\": could not parse expression"), e.stderr());
        Files.writeString(f, "groups:\n  - name: g\n    rules:\n      - record: x\n        expr: 'sum(up)'\n");
        assertInstanceOf(Cli.Run.class, Cli.parse("--rules.file=" + f, "--rules.file=" + tmp + "/*.yml"));
    }
}
