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

    static CommandSpec spec() {
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
        return spec;
    }

    public static String usage() {
        return new CommandLine(spec()).getUsageMessage(CommandLine.Help.Ansi.OFF);
    }

    public static Result parse(String... args) {
        CommandLine cl = new CommandLine(spec());
        ParseResult pr;
        try {
            pr = cl.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            return error(e.getMessage().replace('\n', ' ') + " (see --help)");
        }
        if (cl.isUsageHelpRequested()) return new Exit(0, cl.getUsageMessage(CommandLine.Help.Ansi.OFF), "");
        if (cl.isVersionHelpRequested()) return new Exit(0, NAME + " " + BuildInfo.VERSION + "\n", "");

        ServerConfig cfg = new ServerConfig();
        String configFile = pr.matchedOptionValue("--config", null);
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
            if (!pr.hasMatchedOption(f.option())) continue;
            List<String> vs;
            if (f.repeatable()) {
                vs = pr.matchedOptionValue(f.option(), List.<String>of());
            } else {
                vs = List.of(pr.<String>matchedOptionValue(f.option(), null));
            }
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
        return new Run(cfg);
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
