package io.tsdb.server.rules;

import io.tsdb.core.Labels;
import io.tsdb.server.rules.unittest.RuleUnitTester;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The jar's rule tools: {@code check rules} (promtool check rules: validation plus the duplicate-rules lint) and
 * {@code test rules} (promtool test rules, see {@link RuleUnitTester}), and the start-up check of
 * {@code --rules.file}. Exit codes as promtool's: 0 success, 1 failure, 3 lint problems with --lint-fatal.
 */
public final class RuleTools {
    public record Output(int code, String stdout, String stderr) {}

    private RuleTools() {}

    /** Null when the rule files load, else a one-line message for the operator (the server refuses to start). */
    public static String validateForStart(List<String> patterns) {
        List<String> errors = new ArrayList<>(), warnings = new ArrayList<>();
        List<String> files = RuleFileLoader.expand(patterns, errors, warnings);
        if (errors.isEmpty()) errors.addAll(RuleFileLoader.load(files, false).errors());
        if (errors.isEmpty()) return null;
        String first = errors.get(0).replaceAll("\\s*\\R\\s*", " ");
        return "invalid rule file: " + first + (errors.size() > 1 ? " (and " + (errors.size() - 1) + " more error"
                + (errors.size() > 2 ? "s" : "") + "; list them all with: java -jar tsdb-server.jar check rules FILE...)" : "");
    }

    public static Output checkRules(List<String> files, boolean lintDuplicates, boolean lintFatal, boolean ignoreUnknown) {
        StringBuilder out = new StringBuilder(), err = new StringBuilder();
        boolean failed = false, hasErrors = false;
        for (String f : files) {
            out.append("Checking ").append(f).append('\n');
            RuleFileLoader.Result r = RuleFileLoader.loadFile(f, ignoreUnknown);
            for (String w : r.warnings()) err.append("  WARNING: ").append(w).append('\n');
            if (!r.ok()) {
                failed = true;
                hasErrors = true;
                err.append("  FAILED:\n");
                for (String e : r.errors()) err.append(e).append('\n');
                out.append('\n');
                continue;
            }
            int n = 0;
            for (RuleSpecs.Group g : r.groups()) n += g.rules().size();
            String lint = lintDuplicates ? duplicates(r.groups()) : null;
            if (lint != null) {
                failed = true;
                err.append("  FAILED:\n").append("lint error ").append(lint).append('\n');
            } else {
                out.append("  SUCCESS: ").append(n).append(" rules found\n");
            }
            out.append('\n');
        }
        int code = !failed ? 0 : hasErrors ? 1 : lintFatal ? 3 : 0;
        return new Output(code, out.toString(), err.toString());
    }

    /** promtool's duplicate-rules lint: the same name and labels recorded twice (in any groups of the file). */
    static String duplicates(List<RuleSpecs.Group> groups) {
        record Key(String metric, Labels labels) {}
        List<Key> keys = new ArrayList<>();
        for (RuleSpecs.Group g : groups) for (RuleSpecs.Rule r : g.rules()) keys.add(new Key(r.name(), r.labels()));
        keys.sort(Comparator.comparing(Key::metric).thenComparing(Key::labels));
        List<Key> dups = new ArrayList<>();
        for (int i = 1; i < keys.size(); i++) {
            if (keys.get(i).equals(keys.get(i - 1)) && (dups.isEmpty() || !dups.get(dups.size() - 1).equals(keys.get(i)))) {
                dups.add(keys.get(i));
            }
        }
        if (dups.isEmpty()) return null;
        StringBuilder sb = new StringBuilder().append(dups.size()).append(" duplicate rule(s) found.\n");
        for (Key k : dups) {
            sb.append("Metric: ").append(k.metric()).append("\nLabel(s):\n");
            for (int i = 0; i < k.labels().size(); i++) sb.append('\t').append(k.labels().name(i)).append(": ").append(k.labels().value(i)).append('\n');
        }
        return sb.append("Might cause inconsistency while recording expressions").toString();
    }

    public static Output testRules(List<String> files, List<String> run, boolean ignoreUnknown, String junitFile, boolean debug) {
        quietLogs();
        return RuleUnitTester.run(files, run, ignoreUnknown, junitFile, debug);
    }

    /** The tools report errors in their output; the engine's own warnings (failed evaluations) would only repeat them. */
    private static void quietLogs() {
        if (org.slf4j.LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext ctx) {
            ctx.getLogger("io.tsdb.server.rules").setLevel(ch.qos.logback.classic.Level.ERROR);
        }
    }
}
