package io.tsdb.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.tsdb.server.ServerConfig;
import io.tsdb.server.BuildInfo;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Command-line layer: flags (picocli, generated from {@link Flags#ALL}), an optional YAML config file
 * ({@code --config=FILE}, same keys as the flags without the leading dashes, flat {@code query.timeout: 2m}
 * or nested {@code query: {timeout: 2m}}), built-in defaults. Precedence: flag, then file, then default.
 * Errors are one line, exit code 2.
 */
public final class Cli {
    public static final String NAME = "tsdb-server";

    /** The outcome of parsing: either run with a config, or exit with output. */
    public sealed interface Result permits Run, Exit {}

    public record Run(ServerConfig config) implements Result {}

    public record Exit(int code, String stdout, String stderr) implements Result {}

    private Cli() {}

    /** The rule tools as subcommands: {@code check rules FILE...} and {@code test rules FILE...} (promtool's). */
    private static void addToolSubcommands(CommandSpec spec) {
        CommandSpec checkRules = CommandSpec.create().name("rules").mixinStandardHelpOptions(true);
        checkRules.usageMessage().description("Check Prometheus rule files: syntax, PromQL, templates, names; exit 0 when",
                "valid, 1 on errors, 3 on lint problems with --lint-fatal (promtool check rules).").width(110);
        checkRules.addOption(OptionSpec.builder("--lint").paramLabel("MODE").type(String.class).defaultValue("duplicate-rules")
                .description("Linting checks: duplicate-rules or none. Default: duplicate-rules.").build());
        checkRules.addOption(OptionSpec.builder("--lint-fatal").description("Make lint problems exit with 3.").build());
        checkRules.addOption(OptionSpec.builder("--ignore-unknown-fields").description("Ignore unknown fields in the rule files.").build());
        checkRules.addPositional(CommandLine.Model.PositionalParamSpec.builder().paramLabel("FILE").arity("1..*")
                .type(List.class).auxiliaryTypes(String.class).description("Rule files to check.").build());
        CommandSpec check = CommandSpec.create().name("check").mixinStandardHelpOptions(true);
        check.usageMessage().description("Check configuration files.");
        check.addSubcommand("rules", new CommandLine(checkRules));

        CommandSpec testRules = CommandSpec.create().name("rules").mixinStandardHelpOptions(true);
        testRules.usageMessage().description("Run rule unit tests (promtool test rules files: rule_files, evaluation_interval,",
                "tests with input_series, alert_rule_test, promql_expr_test); exit 0 when all pass, 1 otherwise.").width(110);
        testRules.addOption(OptionSpec.builder("--run").paramLabel("REGEX").type(List.class).auxiliaryTypes(String.class)
                .arity("1").description("Run only test groups whose name matches (repeatable).").build());
        testRules.addOption(OptionSpec.builder("--junit").paramLabel("FILE").type(String.class)
                .description("Write a JUnit XML report to FILE.").build());
        testRules.addOption(OptionSpec.builder("--ignore-unknown-fields").description("Ignore unknown fields in the rule files.").build());
        testRules.addOption(OptionSpec.builder("--debug").description("Print every series at the end of each test group.").build());
        testRules.addPositional(CommandLine.Model.PositionalParamSpec.builder().paramLabel("TEST_FILE").arity("1..*")
                .type(List.class).auxiliaryTypes(String.class).description("Unit-test files.").build());
        CommandSpec test = CommandSpec.create().name("test").mixinStandardHelpOptions(true);
        test.usageMessage().description("Unit testing.");
        test.addSubcommand("rules", new CommandLine(testRules));

        spec.addSubcommand("check", new CommandLine(check));
        spec.addSubcommand("test", new CommandLine(test));
    }

    static CommandSpec spec() {
        return spec(true);
    }

    /**
     * The command line's spec; with {@code tools}, the rule tools' subcommands too. Building those (picocli
     * reflects over their help mixins) is a fifth of parsing, so a plain server start parses without them
     * ({@link #parse}); its outcome is the same, see {@link #needsTools}.
     */
    static CommandSpec spec(boolean tools) {
        ServerConfig defaults = new ServerConfig();
        CommandSpec spec = CommandSpec.create().name("java -jar tsdb-server.jar")
                .mixinStandardHelpOptions(true)
                .version(NAME + " " + BuildInfo.VERSION);
        spec.usageMessage()
                .description("A dimensional metrics time-series database: Prometheus remote write, Influx line protocol,",
                        "Prometheus text and OTLP ingest; PromQL over a Prometheus-compatible HTTP API; a web console.",
                        "Every flag can also be set in the YAML file given with --config (key = flag name without",
                        "the leading dashes); flags override the file. Durations: 15d, 2h, 1h30m, 30s, 500ms.")
                .width(110);
        spec.addOption(OptionSpec.builder("--config").paramLabel("FILE").type(String.class)
                .description("YAML config file setting any of the flags below.").build());
        for (Flags.Flag f : Flags.ALL) {
            String def = f.defaultValue().apply(defaults);
            OptionSpec.Builder o = OptionSpec.builder(f.option()).paramLabel(f.label())
                    .description(f.help() + " Default: " + (def.isEmpty() ? "(unset)" : def) + ".");
            switch (f.kind()) {
                case VALUE -> o.type(String.class);
                case SWITCH -> o.type(String.class).arity("0..1").fallbackValue("true");
                case REPEATABLE -> o.type(List.class).auxiliaryTypes(String.class).arity("1");
            }
            spec.addOption(o.build());
        }
        if (tools) addToolSubcommands(spec);
        return spec;
    }

    /**
     * Whether parsing {@code args} can depend on the tool subcommands: an argument names one ({@code check},
     * {@code test}; also as a flag's value, which only costs the longer parse) or asks for the usage or version
     * (the usage lists the subcommands). Parse errors are reported from the full spec (same messages).
     */
    static boolean needsTools(String... args) {
        for (String a : args) {
            switch (a) {
                case "check", "test", "-h", "--help", "-V", "--version" -> { return true; }
                default -> { }
            }
        }
        return false;
    }

    public static String usage() {
        return new CommandLine(spec()).getUsageMessage(CommandLine.Help.Ansi.OFF);
    }

    public static Result parse(String... args) {
        Map<String, List<String>> simple = simpleArgs(args);
        if (simple != null) return configure(simple);
        return parse(needsTools(args), args);
    }

    /**
     * The flags of a command line that only sets known flags as {@code --name=value} (or a switch alone,
     * {@code --web.enable-admin-api}), keyed by option ({@code --name}) in command-line order with their values in
     * order; null for any other command line, which picocli parses. Such a command line means the same to
     * picocli (each flag's whole value after the first {@code =}, a switch alone {@code true}); anything picocli could
     * read otherwise or refuse (another form, an unknown or repeated single-valued flag, an empty value, a value
     * starting with a dash or a quote) goes to picocli. A server start is then parsed without picocli: its
     * classes are compiled for Java 5, which this JDK's class-data archive cannot hold, and building its model of
     * the command line took about 150 ms of CPU at every start.
     */
    static Map<String, List<String>> simpleArgs(String... args) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (String a : args) {
            if (!a.startsWith("--")) return null;
            int eq = a.indexOf('=');
            String name = eq < 0 ? a.substring(2) : a.substring(2, eq);
            Flags.Flag f = name.equals("config") ? null : Flags.byName(name);
            if (f == null && !name.equals("config")) return null;
            String value;
            if (eq < 0) {
                if (f == null || f.kind() != Flags.Kind.SWITCH) return null;
                value = "true";
            } else {
                value = a.substring(eq + 1);
                if (value.isEmpty() || value.charAt(0) == '-' || value.charAt(0) == '"' || value.charAt(0) == '\'') return null;
            }
            List<String> vs = out.computeIfAbsent("--" + name, k -> new java.util.ArrayList<>(1));
            if (!vs.isEmpty() && (f == null || !f.repeatable())) return null;
            vs.add(value);
        }
        return out;
    }

    /** As {@link #parse}, always through picocli (tests: the two parses agree). */
    static Result parseWithPicocli(String... args) {
        return parse(needsTools(args), args);
    }

    private static Result parse(boolean tools, String... args) {
        CommandLine cl = new CommandLine(spec(tools));
        ParseResult pr;
        try {
            pr = cl.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            if (!tools) return parse(true, args);
            return error(e.getMessage().replace('\n', ' ') + " (see --help)");
        }
        if (pr.hasSubcommand()) return tool(pr.subcommand());
        if (cl.isUsageHelpRequested()) return new Exit(0, cl.getUsageMessage(CommandLine.Help.Ansi.OFF), "");
        if (cl.isVersionHelpRequested()) return new Exit(0, NAME + " " + BuildInfo.VERSION + "\n", "");
        Map<String, List<String>> matched = new LinkedHashMap<>();
        String configFile = pr.matchedOptionValue("--config", null);
        if (configFile != null) matched.put("--config", List.of(configFile));
        for (Flags.Flag f : Flags.ALL) {
            if (!pr.hasMatchedOption(f.option())) continue;
            matched.put(f.option(), f.repeatable() ? pr.matchedOptionValue(f.option(), List.<String>of())
                    : List.of(pr.<String>matchedOptionValue(f.option(), null)));
        }
        return configure(matched);
    }

    /** The configuration from the flags given ({@code --name} -> values) over the --config file over the defaults. */
    private static Result configure(Map<String, List<String>> matched) {
        ServerConfig cfg = new ServerConfig();
        List<String> configValues = matched.get("--config");
        String configFile = configValues == null ? null : configValues.get(0);
        if (configFile != null) {
            try {
                Map<String, List<String>> values = readYaml(Path.of(configFile));
                for (var e : values.entrySet()) {
                    Flags.Flag f = Flags.byName(e.getKey());
                    if (f == null) {
                        return error("config file " + configFile + ": unknown key '" + e.getKey() + "' (keys are the flag names, see --help)");
                    }
                    try {
                        f.clear().accept(cfg);
                        for (String v : e.getValue()) f.apply().accept(cfg, v);
                    } catch (IllegalArgumentException ex) {
                        return error("config file " + configFile + ": invalid value for " + f.name() + ": " + ex.getMessage());
                    }
                }
            } catch (IOException | IllegalArgumentException e) {
                return error("cannot read config file " + configFile + ": " + oneLine(e.getMessage()));
            }
        }
        for (Flags.Flag f : Flags.ALL) {
            List<String> vs = matched.get(f.option());
            if (vs == null) continue;
            try {
                f.clear().accept(cfg);   // the command line replaces a repeatable flag's list from the file
                for (String v : vs) f.apply().accept(cfg, v);
            } catch (IllegalArgumentException ex) {
                return error("invalid value for " + f.option() + ": " + ex.getMessage());
            }
        }
        try {
            Flags.validate(cfg);
        } catch (IllegalArgumentException ex) {
            return error(ex.getMessage());
        }
        if (!cfg.rulesFiles.isEmpty()) {
            // the server refuses to start on an invalid rule file, as on any other configuration error
            String err = io.tsdb.server.rules.RuleTools.validateForStart(cfg.rulesFiles);
            if (err != null) return error(err);
        }
        return new Run(cfg);
    }

    /** Runs {@code check rules} or {@code test rules}. */
    private static Result tool(ParseResult sub) {
        CommandLine cmd = sub.commandSpec().commandLine();
        if (!sub.hasSubcommand()) {
            if (cmd.isUsageHelpRequested()) return new Exit(0, cmd.getUsageMessage(CommandLine.Help.Ansi.OFF), "");
            return new Exit(2, "", cmd.getUsageMessage(CommandLine.Help.Ansi.OFF));
        }
        ParseResult leaf = sub.subcommand();
        CommandLine leafCmd = leaf.commandSpec().commandLine();
        if (leafCmd.isUsageHelpRequested()) return new Exit(0, leafCmd.getUsageMessage(CommandLine.Help.Ansi.OFF), "");
        if (leafCmd.isVersionHelpRequested()) return new Exit(0, NAME + " " + BuildInfo.VERSION + "\n", "");
        List<String> files = leaf.matchedPositionalValue(0, List.<String>of());
        boolean ignoreUnknown = leaf.hasMatchedOption("--ignore-unknown-fields");
        io.tsdb.server.rules.RuleTools.Output o;
        if (sub.commandSpec().name().equals("check")) {
            String lint = leaf.matchedOptionValue("--lint", "duplicate-rules");
            if (!lint.equals("duplicate-rules") && !lint.equals("none")) {
                return error("invalid value for --lint: '" + lint + "' is not one of duplicate-rules, none");
            }
            o = io.tsdb.server.rules.RuleTools.checkRules(files, lint.equals("duplicate-rules"), leaf.hasMatchedOption("--lint-fatal"), ignoreUnknown);
        } else {
            o = io.tsdb.server.rules.RuleTools.testRules(files, leaf.matchedOptionValue("--run", List.<String>of()),
                    ignoreUnknown, leaf.matchedOptionValue("--junit", null), leaf.hasMatchedOption("--debug"));
        }
        return new Exit(o.code(), o.stdout(), o.stderr());
    }

    private static Exit error(String message) {
        return new Exit(2, "", NAME + ": " + oneLine(message) + "\n");
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s*\\R\\s*", " ").trim();
    }

    /**
     * Reads the YAML file into flag-name -> values: a scalar gives one value, a list of scalars its elements (only
     * repeatable flags accept a list; for another flag it is an error); nested mappings join their keys with dots.
     */
    static Map<String, List<String>> readYaml(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException("no such file");
        JsonNode root = new YAMLMapper().readTree(file.toFile());
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (root == null || root.isMissingNode() || root.isNull()) return out;
        if (!root.isObject()) throw new IllegalArgumentException("the top level must be a mapping of flag names to values");
        flatten("", root, out);
        return out;
    }

    private static void flatten(String prefix, JsonNode node, Map<String, List<String>> out) {
        Iterator<Map.Entry<String, JsonNode>> it = node.fields();
        while (it.hasNext()) {
            var e = it.next();
            String key = prefix + e.getKey();
            JsonNode v = e.getValue();
            if (v.isObject()) {
                flatten(key + ".", v, out);
            } else if (v.isArray()) {
                Flags.Flag f = Flags.byName(key);
                if (f != null && !f.repeatable()) {
                    throw new IllegalArgumentException("key '" + key + "' has a list value; expected a single value");
                }
                List<String> l = new java.util.ArrayList<>();
                for (JsonNode x : v) {
                    if (x.isContainerNode()) throw new IllegalArgumentException("key '" + key + "': list elements must be single values");
                    if (!x.isNull()) l.add(x.asText());
                }
                out.put(key, l);
            } else if (!v.isNull()) {
                out.put(key, List.of(v.asText()));
            }
        }
    }
}
