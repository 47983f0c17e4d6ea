package io.tsdb.server.rules.unittest;

import io.tsdb.core.Labels;
import io.tsdb.query.engine.PromqlEngine;
import io.tsdb.query.engine.QueryOptions;
import io.tsdb.query.engine.Sample;
import io.tsdb.query.parser.ParseException;
import io.tsdb.query.parser.QueryParser;
import io.tsdb.server.rules.Alert;
import io.tsdb.server.rules.AlertingRule;
import io.tsdb.server.rules.Rule;
import io.tsdb.server.rules.RuleClock;
import io.tsdb.server.rules.RuleDurations;
import io.tsdb.server.rules.RuleEnv;
import io.tsdb.server.rules.RuleFileLoader;
import io.tsdb.server.rules.RuleGroup;
import io.tsdb.server.rules.RuleSpecs;
import io.tsdb.server.rules.RuleTools;
import io.tsdb.server.rules.YamlNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Runs rule unit-test files in promtool's format ({@code promtool test rules}), so users keep their rule tests:
 * {@code rule_files} (relative to the test file, globs), {@code evaluation_interval} (default 1m),
 * {@code group_eval_order}, {@code fuzzy_compare}, and {@code tests}: groups with {@code interval},
 * {@code input_series} ({@link SeriesNotation}), {@code alert_rule_test}, {@code promql_expr_test},
 * {@code external_labels}, {@code external_url}, {@code name}, {@code start_timestamp}.
 *
 * <p>As promtool: each test group runs on fresh storage; every rule group is evaluated at each evaluation interval
 * from the start to the latest time a test asks about, with the input samples up to that time loaded before each
 * evaluation; the first rule evaluation error ends the group; firing alerts are compared at the evaluation covering
 * each {@code eval_time}; expressions are evaluated at the end. Native histograms are refused (this server stores
 * float samples only). Output and exit code follow promtool's (0 all passed, 1 otherwise).
 */
public final class RuleUnitTester {
    private static final Set<String> FILE_FIELDS = Set.of("rule_files", "evaluation_interval", "group_eval_order", "tests", "fuzzy_compare");
    private static final Set<String> GROUP_FIELDS = Set.of("interval", "input_series", "alert_rule_test", "promql_expr_test",
            "external_labels", "external_url", "name", "start_timestamp");

    private RuleUnitTester() {}

    public static RuleTools.Output run(List<String> files, List<String> run, boolean ignoreUnknown, String junitFile, boolean debug) {
        StringBuilder out = new StringBuilder(), err = new StringBuilder();
        Pattern runRe = run == null || run.isEmpty() ? null : Pattern.compile(String.join("|", run));
        boolean failed = false;
        Junit junit = new Junit();
        for (String f : files) {
            out.append("Unit Testing:  ").append(f).append('\n');
            List<String> errs = testFile(f, runRe, ignoreUnknown, debug, junit, err);
            if (!errs.isEmpty()) {
                err.append("  FAILED:\n");
                for (String e : errs) err.append(e).append('\n');
                failed = true;
            } else {
                out.append("  SUCCESS\n");
            }
            out.append('\n');
        }
        if (junitFile != null) {
            try {
                Files.writeString(Path.of(junitFile), junit.xml(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                err.append("failed to write JUnit XML: ").append(e.getMessage()).append('\n');
            }
        }
        return new RuleTools.Output(failed ? 1 : 0, out.toString(), err.toString());
    }

    // ------------------------------------------------------------------ the test file

    record SeriesIn(String series, String values) {}

    record AlertCase(long evalMs, String evalText, String alertname, List<Map<String, String>[]> expected) {}

    record ExprCase(String expr, long evalMs, String evalText, List<String[]> expected) {}

    record TestGroup(String name, long intervalMs, List<SeriesIn> series, List<AlertCase> alerts, List<ExprCase> exprs,
                     Map<String, String> externalLabels, String externalUrl, long startMs) {}

    private static List<String> testFile(String file, Pattern run, boolean ignoreUnknown, boolean debug, Junit junit, StringBuilder err) {
        Junit.Suite suite = junit.suite(file);
        String text;
        try {
            text = Files.readString(Path.of(file), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return suite.abort("open " + file + ": " + (e instanceof java.nio.file.NoSuchFileException ? "no such file or directory" : e.getMessage()));
        }
        YamlNode root;
        try {
            root = YamlNode.parse(text, new int[1]);
        } catch (YamlNode.YamlException e) {
            return suite.abort(e.getMessage());
        }
        List<String> errors = new ArrayList<>();
        if (root == null || root.isNull()) return List.of(); // an empty file has no tests
        if (root.kind != YamlNode.Kind.MAP) return suite.abort("yaml: the unit-test file must be a mapping");
        for (String k : root.map.keySet()) {
            if (!FILE_FIELDS.contains(k)) errors.add("yaml: unmarshal errors:\n  line " + root.keyPos.get(k)[0] + ": field " + k + " not found in type main.unitTestFile");
        }
        if (!errors.isEmpty()) return suite.abort(String.join("\n", errors));
        long evalInterval;
        List<String> ruleFiles = new ArrayList<>();
        List<String> order = new ArrayList<>();
        List<TestGroup> groups = new ArrayList<>();
        boolean fuzzy;
        try {
            evalInterval = dur(root.get("evaluation_interval"), 60_000);
            if (evalInterval == 0) evalInterval = 60_000;
            fuzzy = bool(root.get("fuzzy_compare"));
            Path base = Path.of(file).toAbsolutePath().getParent();
            for (String rf : strings(root.get("rule_files"))) {
                ruleFiles.add(rf.isEmpty() || Path.of(rf).isAbsolute() ? rf : base.resolve(rf).normalize().toString());
            }
            order.addAll(strings(root.get("group_eval_order")));
            YamlNode tests = root.get("tests");
            if (tests != null && !tests.isNull()) {
                if (tests.kind != YamlNode.Kind.LIST) throw new IllegalArgumentException("yaml: tests must be a list");
                for (YamlNode t : tests.list) groups.add(testGroup(t, evalInterval));
            }
        } catch (IllegalArgumentException e) {
            return suite.abort(e.getMessage());
        }
        Map<String, Integer> orderMap = new HashMap<>();
        for (int i = 0; i < order.size(); i++) {
            if (orderMap.put(order.get(i), i) != null) return suite.abort("group name repeated in evaluation order: " + order.get(i));
        }
        List<String> globErrors = new ArrayList<>(), warnings = new ArrayList<>();
        List<String> expanded = new ArrayList<>();
        for (String rf : ruleFiles) {
            List<String> m = RuleFileLoader.expand(List.of(rf), globErrors, warnings);
            if (m.isEmpty()) err.append("  WARNING: no file match pattern ").append(rf).append('\n');
            expanded.addAll(m);
        }
        List<String> all = new ArrayList<>();
        for (int i = 0; i < groups.size(); i++) {
            TestGroup tg = groups.get(i);
            String testName = tg.name().isEmpty() ? "unnamed#" + i : tg.name();
            if (run != null && !run.matcher(tg.name()).find()) continue;
            Junit.Case c = suite.testCase(testName);
            List<String> errs;
            try {
                errs = new GroupRun(tg, evalInterval, expanded, orderMap, ignoreUnknown, fuzzy, debug, err).run();
            } catch (RuntimeException e) {
                errs = List.of("    " + testName + ": " + e);
            }
            for (String e : errs) c.fail(e);
            all.addAll(errs);
        }
        return all;
    }

    @SuppressWarnings("unchecked")
    private static TestGroup testGroup(YamlNode t, long evalInterval) {
        if (t.kind == YamlNode.Kind.NULL) return new TestGroup("", evalInterval, List.of(), List.of(), List.of(), Map.of(), "", 0);
        if (t.kind != YamlNode.Kind.MAP) throw new IllegalArgumentException("yaml: a test group must be a mapping (line " + t.line + ")");
        for (String k : t.map.keySet()) {
            if (!GROUP_FIELDS.contains(k)) throw new IllegalArgumentException("yaml: unmarshal errors:\n  line " + t.keyPos.get(k)[0] + ": field " + k + " not found in type main.testGroup");
        }
        long interval = dur(t.get("interval"), 0);
        if (interval == 0) interval = evalInterval;
        List<SeriesIn> series = new ArrayList<>();
        for (YamlNode s : list(t.get("input_series"))) series.add(new SeriesIn(str(s.get("series")), str(s.get("values"))));
        List<AlertCase> alerts = new ArrayList<>();
        for (YamlNode a : list(t.get("alert_rule_test"))) {
            List<Map<String, String>[]> exp = new ArrayList<>();
            for (YamlNode e : list(a.get("exp_alerts"))) {
                Map<String, String>[] la = new Map[]{strMap(e.get("exp_labels")), strMap(e.get("exp_annotations"))};
                exp.add(la);
            }
            YamlNode et = a.get("eval_time");
            alerts.add(new AlertCase(dur(et, 0), durText(et), str(a.get("alertname")), exp));
        }
        List<ExprCase> exprs = new ArrayList<>();
        for (YamlNode e : list(t.get("promql_expr_test"))) {
            List<String[]> exp = new ArrayList<>();
            for (YamlNode s : list(e.get("exp_samples"))) {
                exp.add(new String[]{str(s.get("labels")), s.get("value") == null ? "0" : str(s.get("value")), str(s.get("histogram"))});
            }
            YamlNode et = e.get("eval_time");
            exprs.add(new ExprCase(str(e.get("expr")), dur(et, 0), durText(et), exp));
        }
        long start = 0;
        YamlNode st = t.get("start_timestamp");
        if (st != null && !st.isNull()) start = startTime(str(st));
        return new TestGroup(str(t.get("name")), interval, series, alerts, exprs, strMap(t.get("external_labels")),
                str(t.get("external_url")), start);
    }

    /** RFC 3339, or Unix seconds (with a fraction). */
    static long startTime(String s) {
        try {
            double d = Double.parseDouble(s);
            return Math.round(d * 1000);
        } catch (NumberFormatException e) {
            try {
                return OffsetDateTime.parse(s).toInstant().toEpochMilli();
            } catch (java.time.format.DateTimeParseException ex) {
                throw new IllegalArgumentException("cannot parse \"" + s + "\" to a valid timestamp");
            }
        }
    }

    private static List<YamlNode> list(YamlNode n) {
        if (n == null || n.isNull()) return List.of();
        if (n.kind != YamlNode.Kind.LIST) throw new IllegalArgumentException("yaml: expected a list at line " + n.line);
        return n.list;
    }

    private static String str(YamlNode n) {
        if (n == null || n.isNull()) return "";
        if (n.kind != YamlNode.Kind.SCALAR) throw new IllegalArgumentException("yaml: expected a single value at line " + n.line);
        return n.text;
    }

    private static boolean bool(YamlNode n) {
        String s = str(n);
        return s.equalsIgnoreCase("true");
    }

    private static List<String> strings(YamlNode n) {
        List<String> out = new ArrayList<>();
        for (YamlNode x : list(n)) out.add(str(x));
        return out;
    }

    private static Map<String, String> strMap(YamlNode n) {
        Map<String, String> m = new TreeMap<>();
        if (n == null || n.isNull()) return m;
        if (n.kind != YamlNode.Kind.MAP) throw new IllegalArgumentException("yaml: expected a mapping at line " + n.line);
        for (Map.Entry<String, YamlNode> e : n.map.entrySet()) m.put(e.getKey(), str(e.getValue()));
        return m;
    }

    private static long dur(YamlNode n, long def) {
        if (n == null || n.isNull()) return def;
        return RuleDurations.parse(str(n).trim());
    }

    private static String durText(YamlNode n) {
        return RuleDurations.format(dur(n, 0));
    }

    // ------------------------------------------------------------------ one test group

    private static final class GroupRun {
        final TestGroup tg;
        final long evalInterval;
        final List<String> ruleFiles;
        final Map<String, Integer> order;
        final boolean ignoreUnknown, fuzzy, debug;
        final StringBuilder err;
        final TestStorage storage = new TestStorage();
        PromqlEngine engine;

        GroupRun(TestGroup tg, long evalInterval, List<String> ruleFiles, Map<String, Integer> order, boolean ignoreUnknown,
                 boolean fuzzy, boolean debug, StringBuilder err) {
            this.tg = tg;
            this.evalInterval = evalInterval;
            this.ruleFiles = ruleFiles;
            this.order = order;
            this.ignoreUnknown = ignoreUnknown;
            this.fuzzy = fuzzy;
            this.debug = debug;
            this.err = err;
        }

        List<String> run() {
            List<String> errs = new ArrayList<>();
            // input series: one sample per interval from the start
            List<Object[]> input = new ArrayList<>(); // {labels, long[] ts, double[] v}
            for (SeriesIn s : tg.series()) {
                Labels l;
                List<Double> vals;
                try {
                    l = SeriesNotation.labels(s.series());
                    vals = SeriesNotation.values(s.values());
                } catch (IllegalArgumentException e) {
                    return List.of("    series " + quote(s.series()) + ": " + e.getMessage());
                }
                List<long[]> ts = new ArrayList<>();
                List<Double> vs = new ArrayList<>();
                for (int i = 0; i < vals.size(); i++) {
                    if (vals.get(i) == null) continue;
                    ts.add(new long[]{tg.startMs() + i * tg.intervalMs()});
                    vs.add(vals.get(i));
                }
                long[] t = new long[ts.size()];
                double[] v = new double[vs.size()];
                for (int i = 0; i < t.length; i++) {
                    t[i] = ts.get(i)[0];
                    v[i] = vs.get(i);
                }
                input.add(new Object[]{l, t, v});
            }
            int[] loaded = new int[input.size()];
            QueryOptions qo = new QueryOptions(QueryOptions.DEFAULT_LOOKBACK_MS, 120_000, 50_000_000, 0, false);
            engine = new PromqlEngine(storage, qo, evalInterval);
            RuleEnv env = new RuleEnv(storage, engine, qo, new RuleEnv.Options(evalInterval, 0, 60_000, 3_600_000, 600_000,
                    tg.externalLabels(), tg.externalUrl()), RuleClock.SYSTEM, null, null);
            RuleFileLoader.Result loadedRules = RuleFileLoader.load(ruleFiles, ignoreUnknown);
            if (!loadedRules.ok()) return loadedRules.errors();
            List<RuleGroup> groups = new ArrayList<>();
            for (RuleSpecs.Group g : loadedRules.groups()) {
                RuleGroup rg = new RuleGroup(g, env, false);
                rg.markRestored();
                groups.add(rg);
            }
            groups.sort(Comparator.comparingInt(g -> order.getOrDefault(g.name(), 0)));

            long mint = tg.startMs();
            long maxEval = 0;
            for (AlertCase a : tg.alerts()) maxEval = Math.max(maxEval, a.evalMs());
            for (ExprCase e : tg.exprs()) maxEval = Math.max(maxEval, e.evalMs());
            long maxt = mint + maxEval;
            TreeSet<Long> alertTimes = new TreeSet<>();
            Map<Long, List<AlertCase>> alertTests = new LinkedHashMap<>();
            for (AlertCase a : tg.alerts()) {
                if (a.alertname().isEmpty()) {
                    return List.of("an item under alert_rule_test misses required attribute alertname at eval_time "
                            + a.evalText() + (tg.name().isEmpty() ? "" : " (in TestGroup " + tg.name() + ")"));
                }
                alertTimes.add(a.evalMs());
                alertTests.computeIfAbsent(a.evalMs(), k -> new ArrayList<>()).add(a);
            }
            List<Long> times = new ArrayList<>(alertTimes);
            int curr = 0;
            for (long ts = mint; ts <= maxt; ts += evalInterval) {
                for (int k = 0; k < input.size(); k++) {
                    Object[] in = input.get(k);
                    long[] t = (long[]) in[1];
                    double[] v = (double[]) in[2];
                    while (loaded[k] < t.length && t[loaded[k]] <= ts) {
                        storage.add((Labels) in[0], t[loaded[k]], v[loaded[k]]);
                        loaded[k]++;
                    }
                }
                List<String> evalErrs = new ArrayList<>();
                for (RuleGroup g : groups) {
                    g.eval(ts);
                    for (Rule r : g.rules()) {
                        if (r.lastError() != null) {
                            evalErrs.add("    rule: " + r.name() + ", time: " + goDuration(ts) + ", err: " + r.lastError());
                        }
                    }
                }
                errs.addAll(evalErrs);
                if (!evalErrs.isEmpty()) return errs;
                while (curr < times.size() && ts - mint <= times.get(curr) && times.get(curr) < ts + evalInterval - mint) {
                    long t = times.get(curr);
                    for (AlertCase tc : alertTests.get(t)) checkAlerts(tc, groups, errs);
                    curr++;
                }
            }
            for (ExprCase ec : tg.exprs()) checkExpr(ec, mint, errs);
            if (debug) {
                err.append("DEBUG: Dump of all data (input_series and rules) at ").append(RuleDurations.format(maxEval)).append(":\n");
                for (Map.Entry<Labels, List<double[]>> e : storage.dump(Long.MIN_VALUE / 2, maxt).entrySet()) {
                    err.append(promString(e.getKey())).append(" =>");
                    for (double[] p : e.getValue()) err.append(' ').append(io.tsdb.server.rules.template.GoFmt.format(p[1])).append(" @[").append((long) p[0]).append(']');
                    err.append('\n');
                }
            }
            return errs;
        }

        private void checkAlerts(AlertCase tc, List<RuleGroup> groups, List<String> errs) {
            List<String[]> got = new ArrayList<>();
            for (RuleGroup g : groups) {
                for (Rule r : g.rules()) {
                    if (!(r instanceof AlertingRule ar) || !ar.name().equals(tc.alertname())) continue;
                    for (Alert a : ar.activeAlerts()) {
                        if (a.state() == Alert.State.FIRING) got.add(new String[]{promString(a.labels()), promString(labelsKeepEmpty(a.annotations()))});
                    }
                }
            }
            List<String[]> exp = new ArrayList<>();
            for (Map<String, String>[] e : tc.expected()) {
                Map<String, String> l = new TreeMap<>(e[0]);
                l.put("alertname", tc.alertname());
                exp.add(new String[]{promString(labelsKeepEmpty(l)), promString(labelsKeepEmpty(e[1]))});
            }
            Comparator<String[]> cmp = Comparator.<String[], String>comparing(x -> x[0]).thenComparing(x -> x[1]);
            got.sort(cmp);
            exp.sort(cmp);
            boolean equal = got.size() == exp.size();
            for (int i = 0; equal && i < got.size(); i++) equal = got.get(i)[0].equals(exp.get(i)[0]) && got.get(i)[1].equals(exp.get(i)[1]);
            if (!equal) {
                String name = tg.name().isEmpty() ? "" : "    name: " + tg.name() + ",\n";
                errs.add(name + "    alertname: " + tc.alertname() + ", time: " + tc.evalText() + ", \n        exp:"
                        + alertsString(exp) + ", \n        got:" + alertsString(got));
            }
        }

        private void checkExpr(ExprCase ec, long mint, List<String> errs) {
            List<Sample> got;
            try {
                got = query(ec.expr(), mint + ec.evalMs());
            } catch (RuntimeException e) {
                errs.add("    expr: " + quote(ec.expr()) + ", time: " + ec.evalText() + ", err: " + e.getMessage());
                return;
            }
            List<Object[]> exp = new ArrayList<>();
            for (String[] s : ec.expected()) {
                if (!s[2].isEmpty()) {
                    errs.add("    expr: " + quote(ec.expr()) + ", time: " + ec.evalText() + ", err: labels " + quote(s[0])
                            + ": native histograms are not supported");
                    return;
                }
                try {
                    exp.add(new Object[]{SeriesNotation.labels(s[0]), SeriesNotation.number(s[1].trim(), s[1])});
                } catch (IllegalArgumentException e) {
                    errs.add("    expr: " + quote(ec.expr()) + ", time: " + ec.evalText() + ", err: labels " + quote(s[0]) + ": " + e.getMessage());
                    return;
                }
            }
            List<Object[]> gotL = new ArrayList<>();
            for (Sample s : got) gotL.add(new Object[]{s.labels(), s.value()});
            Comparator<Object[]> cmp = Comparator.comparing(x -> (Labels) x[0]);
            exp.sort(cmp);
            gotL.sort(cmp);
            boolean equal = exp.size() == gotL.size();
            for (int i = 0; equal && i < exp.size(); i++) {
                equal = exp.get(i)[0].equals(gotL.get(i)[0]) && sameValue((Double) exp.get(i)[1], (Double) gotL.get(i)[1]);
            }
            if (!equal) {
                errs.add("    expr: " + quote(ec.expr()) + ", time: " + ec.evalText() + ",\n        exp: " + samplesString(exp)
                        + "\n        got: " + samplesString(gotL));
            }
        }

        private boolean sameValue(double a, double b) {
            if (Double.isNaN(a) && Double.isNaN(b)) return false; // cmp.Equal of NaN floats is false, as in promtool
            if (a == b) return true;
            return fuzzy && (Math.nextDown(a) == b || Math.nextUp(a) == b);
        }

        private List<Sample> query(String expr, long t) {
            try {
                QueryParser.parse(expr);
            } catch (ParseException e) {
                throw new IllegalArgumentException(e.getMessage());
            }
            var r = engine.instant(expr, t, null);
            if (r.value() instanceof io.tsdb.query.engine.Value.Vector v) return v.samples();
            if (r.value() instanceof io.tsdb.query.engine.Value.Scalar s) return List.of(new Sample(Labels.EMPTY, s.timestampMs(), s.value()));
            throw new IllegalArgumentException("rule result is not a vector or scalar");
        }
    }

    /** A label set that keeps empty values (expected annotations may be empty strings). */
    private static Labels labelsKeepEmpty(Map<String, String> m) {
        return Labels.fromSortedUnsafe(flatten(new TreeMap<>(m)));
    }

    private static String[] flatten(TreeMap<String, String> m) {
        String[] kv = new String[m.size() * 2];
        int i = 0;
        for (Map.Entry<String, String> e : m.entrySet()) {
            kv[i++] = e.getKey();
            kv[i++] = e.getValue();
        }
        return kv;
    }

    /** Prometheus's labels.String(): {a="1", b="2"}. */
    static String promString(Labels l) {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < l.size(); i++) {
            if (i > 0) sb.append(", ");
            sb.append(l.name(i)).append('=').append(quote(l.value(i)));
        }
        return sb.append('}').toString();
    }

    private static String quote(String s) {
        return io.tsdb.server.rules.template.GoFmt.sprintf("%q", List.of(s));
    }

    private static String alertsString(List<String[]> l) {
        if (l.isEmpty()) return "[]";
        StringBuilder sb = new StringBuilder("[\n");
        for (int i = 0; i < l.size(); i++) {
            if (i > 0) sb.append(",\n");
            sb.append("            ").append(i).append(":\n              Labels:").append(l.get(i)[0])
                    .append("\n              Annotations:").append(l.get(i)[1]);
        }
        return sb.append("\n            ]").toString();
    }

    private static String samplesString(List<Object[]> l) {
        if (l.isEmpty()) return "nil";
        StringBuilder sb = new StringBuilder();
        for (Object[] s : l) {
            if (sb.length() > 0) sb.append(", ");
            sb.append(promString((Labels) s[0])).append(' ').append(goE((Double) s[1]));
        }
        return sb.toString();
    }

    /** strconv.FormatFloat(v, 'E', -1, 64). */
    static String goE(double v) {
        return io.tsdb.server.rules.template.GoFmt.formatFloat(v, 'E', -1);
    }

    /** Go's time.Duration String of a time since the epoch (promtool's rule error times): 0s, 1m0s, 1h0m0s. */
    static String goDuration(long ms) {
        if (ms == 0) return "0s";
        StringBuilder sb = new StringBuilder();
        long a = Math.abs(ms);
        if (ms < 0) sb.append('-');
        long h = a / 3_600_000, m = a % 3_600_000 / 60_000;
        double s = a % 60_000 / 1000.0;
        if (h > 0) sb.append(h).append('h');
        if (h > 0 || m > 0) sb.append(m).append('m');
        String sec = s == Math.floor(s) ? Long.toString((long) s) : new java.math.BigDecimal(Double.toString(s)).stripTrailingZeros().toPlainString();
        return sb.append(sec).append('s').toString();
    }

    /** A minimal JUnit XML report (testsuites, one testsuite per file, one testcase per test group). */
    private static final class Junit {
        final List<Suite> suites = new ArrayList<>();

        Suite suite(String name) {
            Suite s = new Suite(name);
            suites.add(s);
            return s;
        }

        String xml() {
            StringBuilder sb = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
            for (Suite s : suites) {
                int failures = 0;
                for (Case c : s.cases) if (!c.failures.isEmpty()) failures++;
                sb.append("  <testsuite name=\"").append(esc(s.name)).append("\" tests=\"").append(s.cases.size())
                        .append("\" failures=\"").append(failures).append("\" errors=\"").append(s.aborted == null ? 0 : 1).append("\">\n");
                if (s.aborted != null) sb.append("    <error message=\"").append(esc(s.aborted)).append("\"></error>\n");
                for (Case c : s.cases) {
                    sb.append("    <testcase name=\"").append(esc(c.name)).append("\">");
                    for (String f : c.failures) sb.append("<failure message=\"").append(esc(f)).append("\"></failure>");
                    sb.append("</testcase>\n");
                }
                sb.append("  </testsuite>\n");
            }
            return sb.append("</testsuites>\n").toString();
        }

        private static String esc(String s) {
            return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;").replace("\n", "&#xA;");
        }

        final class Suite {
            final String name;
            final List<Case> cases = new ArrayList<>();
            String aborted;

            Suite(String name) { this.name = name; }

            List<String> abort(String msg) {
                aborted = msg;
                return List.of(msg);
            }

            Case testCase(String n) {
                Case c = new Case(n);
                cases.add(c);
                return c;
            }
        }

        static final class Case {
            final String name;
            final List<String> failures = new ArrayList<>();

            Case(String name) { this.name = name; }

            void fail(String f) { failures.add(f); }
        }
    }
}
