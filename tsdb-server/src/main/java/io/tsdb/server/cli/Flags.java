package io.tsdb.server.cli;

import io.tsdb.core.RetentionRule;
import io.tsdb.server.ServerConfig;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Every command-line flag: its name (also its key in the YAML config file), value label, help text, how it
 * reads its default from {@link ServerConfig} and how it applies a value to it. The single table behind
 * --help, flag parsing and the config file.
 *
 * <p>Three kinds of flags: a {@link Kind#VALUE} flag holds one value (given again, the last one wins); a
 * {@link Kind#SWITCH} is a boolean that may be given without a value ({@code --web.enable-admin-api}); a
 * {@link Kind#REPEATABLE} flag collects every occurrence into a list ({@code --retention.rule=A --retention.rule=B},
 * or a YAML list in the config file). Declare a new repeatable flag with {@link #repeatable}.
 */
public final class Flags {
    public enum Kind { VALUE, SWITCH, REPEATABLE }

    /**
     * One flag. {@code apply} throws IllegalArgumentException with a message saying what was expected; for a
     * repeatable flag it adds one value to the list, which {@code clear} empties (the command line replaces the
     * config file's list rather than adding to it). {@code defaultValue} renders the current value (a repeatable
     * flag's list as a YAML flow sequence, {@code ['a', 'b']}, or empty).
     */
    public record Flag(String name, String label, String help, Function<ServerConfig, String> defaultValue,
                       BiConsumer<ServerConfig, String> apply, Kind kind, java.util.function.Consumer<ServerConfig> clear) {
        /** A flag holding one value. */
        public Flag(String name, String label, String help, Function<ServerConfig, String> defaultValue,
                    BiConsumer<ServerConfig, String> apply) {
            this(name, label, help, defaultValue, apply, Kind.VALUE, c -> { });
        }

        public String option() { return "--" + name; }

        public boolean repeatable() { return kind == Kind.REPEATABLE; }
    }

    /** A boolean flag: {@code --name} alone means true; {@code --name=false}, or {@code name: false} in YAML. */
    static Flag ofSwitch(String name, String help, java.util.function.Predicate<ServerConfig> get, BiConsumer<ServerConfig, Boolean> set) {
        return new Flag(name, "BOOL", help, c -> Boolean.toString(get.test(c)), (c, v) -> set.accept(c, bool(v)), Kind.SWITCH, c -> { });
    }

    /**
     * A flag that may be given several times (and as a YAML list); each occurrence is parsed by {@code parse}
     * (throwing IllegalArgumentException naming what is wrong) and appended to the list {@code get} returns.
     */
    static <T> Flag repeatable(String name, String label, String help, Function<ServerConfig, List<T>> get,
                               BiConsumer<ServerConfig, List<T>> set, Function<String, T> parse, Function<T, String> format) {
        return new Flag(name, label, help, c -> yamlList(get.apply(c).stream().map(format).toList()), (c, v) -> {
            List<T> l = new java.util.ArrayList<>(get.apply(c));
            l.add(parse.apply(v));
            set.accept(c, List.copyOf(l));
        }, Kind.REPEATABLE, c -> set.accept(c, List.of()));
    }

    /** A YAML flow sequence of single-quoted strings, e.g. {@code ['{env="dev"}:3d']}; empty for no values. */
    static String yamlList(List<String> values) {
        if (values.isEmpty()) return "";
        StringBuilder b = new StringBuilder("[");
        for (String v : values) {
            if (b.length() > 1) b.append(", ");
            b.append('\'').append(v.replace("'", "''")).append('\'');
        }
        return b.append(']').toString();
    }

    private static String tenantId(String v) {
        String why = io.tsdb.server.tenant.TenantScope.invalid(v);
        if (why != null) throw new IllegalArgumentException(why);
        return v;
    }

    private static boolean bool(String v) {
        return switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("'" + v + "' is not a boolean; expected true or false");
        };
    }

    private static final Set<String> LOG_LEVELS = Set.of("trace", "debug", "info", "warn", "error");

    public static final List<Flag> ALL = List.of(
            new Flag("listen", "HOST:PORT", "Address to listen on for HTTP (ingest, API, console, ops).",
                    c -> hostPort(c.listenHost, c.listenPort), Flags::applyListen),
            new Flag("data", "DIR", "Directory for the WAL, blocks and series registry.",
                    c -> c.dataDir.toString(), (c, v) -> {
                        if (v.isBlank()) throw new IllegalArgumentException("the data directory must not be empty");
                        c.dataDir = Path.of(v);
                    }),
            new Flag("retention", "DURATION", "Delete blocks whose data is older than this.",
                    c -> Durations.format(c.retention), (c, v) -> c.retention = positive(v)),
            repeatable("retention.rule", "SELECTOR:DURATION", "Keep the data of series matching SELECTOR for DURATION "
                    + "instead of --retention, e.g. '{env=\"dev\"}:3d' (repeatable; at most --retention; the shortest "
                    + "matching rule applies; see docs/operations.md).",
                    c -> c.retentionRules, (c, l) -> c.retentionRules = l, Flags::retentionRule, RetentionRule::text),
            new Flag("wal-fsync", "POLICY", "When the WAL is fsynced: always (before acknowledging a write), "
                    + "periodic (every --wal-fsync-interval), never (left to the OS).",
                    c -> c.walFsync, (c, v) -> c.walFsync = oneOf(v, Set.of("always", "periodic", "never"))),
            new Flag("wal-fsync-interval", "DURATION", "fsync interval for --wal-fsync=periodic.",
                    c -> Durations.format(c.walFsyncInterval), (c, v) -> c.walFsyncInterval = positive(v)),
            new Flag("storage.out-of-order-window", "DURATION",
                    "Samples this much older than a series' newest are still accepted.",
                    c -> Durations.format(c.outOfOrderWindow), (c, v) -> c.outOfOrderWindow = Durations.parse(v)),
            new Flag("storage.max-active-series", "N", "Cap on active series (series in the head: with samples since the "
                    + "last flush but one); new series beyond it are refused with 400.",
                    c -> Integer.toString(c.maxActiveSeries), (c, v) -> c.maxActiveSeries = intAtLeast(v, 1)),
            new Flag("storage.max-active-series-per-metric", "N", "Cap on active series of one metric name; new series "
                    + "beyond it are refused with 400 (0 = no limit).",
                    c -> Integer.toString(c.maxActiveSeriesPerMetric), (c, v) -> c.maxActiveSeriesPerMetric = intAtLeast(v, 0)),
            new Flag("storage.max-labels-per-series", "N", "Maximum labels per series (including __name__).",
                    c -> Integer.toString(c.maxLabelsPerSeries), (c, v) -> c.maxLabelsPerSeries = intAtLeast(v, 1)),
            new Flag("storage.max-label-name-length", "N", "Maximum label name length in bytes.",
                    c -> Integer.toString(c.maxLabelNameLength), (c, v) -> c.maxLabelNameLength = intAtLeast(v, 1)),
            new Flag("storage.max-label-value-length", "N", "Maximum label value length in bytes.",
                    c -> Integer.toString(c.maxLabelValueLength), (c, v) -> c.maxLabelValueLength = intAtLeast(v, 1)),
            new Flag("ingest.max-body-size", "BYTES", "Largest accepted request body (413 beyond); e.g. 64MiB.",
                    c -> ByteSizes.format(c.maxBodyBytes), (c, v) -> {
                        long n = ByteSizes.parse(v);
                        if (n < 1 || n > Integer.MAX_VALUE) {
                            throw new IllegalArgumentException("'" + v + "' is out of range; expected 1 byte to 2GiB-1");
                        }
                        c.maxBodyBytes = n;
                    }),
            new Flag("ingest.queue-size", "N", "Ingest requests decoded and appended at once; more get 429 + Retry-After.",
                    c -> Integer.toString(c.ingestQueueSize), (c, v) -> c.ingestQueueSize = intAtLeast(v, 1)),
            new Flag("query.timeout", "DURATION", "Maximum time a query may run before it is cancelled.",
                    c -> Durations.format(c.queryTimeout), (c, v) -> c.queryTimeout = positive(v)),
            new Flag("query.max-samples", "N", "Refuse queries estimated to touch more samples (0 = no limit).",
                    c -> Long.toString(c.queryMaxSamples), (c, v) -> c.queryMaxSamples = longAtLeast(v, 0)),
            new Flag("query.max-series", "N", "Refuse queries whose selectors match more series (0 = no limit).",
                    c -> Long.toString(c.queryMaxSeries), (c, v) -> c.queryMaxSeries = longAtLeast(v, 0)),
            new Flag("query.parallelism", "N", "Threads one large aggregation (e.g. sum by (region) (rate(x[5m])) over "
                    + "many series) is evaluated on, in shards; 0 = one per available processor, 1 = every query on one thread.",
                    c -> Integer.toString(c.queryParallelism), (c, v) -> c.queryParallelism = intAtLeast(v, 0)),
            new Flag("query.lookback-delta", "DURATION", "How far back an instant selector looks for a sample.",
                    c -> Durations.format(c.queryLookbackDelta), (c, v) -> c.queryLookbackDelta = positive(v)),
            ofSwitch("web.enable-admin-api", "Enable the admin endpoints that delete data or copy it "
                    + "(/api/v1/admin/tsdb/delete_series, clean_tombstones, snapshot); without it they answer 403.",
                    c -> c.enableAdminApi, (c, v) -> c.enableAdminApi = v),
            new Flag("web.cors-origin", "REGEX", "Enable CORS for origins fully matching this regex ('.*' or '*' for any); "
                    + "unset = no CORS headers.",
                    c -> c.corsOrigin == null ? "" : c.corsOrigin, (c, v) -> c.corsOrigin = corsOrigin(v)),
            new Flag("web.config.file", "FILE", "Prometheus-format web config (TLS, mutual TLS, basic auth; bearer tokens "
                    + "as an extension): see docs/security.md. Reloaded when it or a certificate changes, and on SIGHUP.",
                    c -> c.webConfigFile == null ? "" : c.webConfigFile.toString(),
                    (c, v) -> c.webConfigFile = v.isEmpty() ? null : java.nio.file.Path.of(v)),
            new Flag("web.config.poll-interval", "DURATION", "How often --web.config.file and the certificate files it "
                    + "names are checked for changes.",
                    c -> Durations.format(c.webConfigPollInterval), (c, v) -> c.webConfigPollInterval = positive(v)),
            new Flag("tenant.default", "ID", "Tenant of requests without an X-Scope-OrgID header (and of every request when "
                    + "tenants are not used); its series carry no tenant label, so data written before tenants stays its own.",
                    c -> c.tenantDefault, (c, v) -> c.tenantDefault = tenantId(v)),
            new Flag("tenant.limits-file", "FILE", "Per-tenant limits (ingestion rate and burst, series, labels, query "
                    + "limits and concurrency): see docs/format/tenant-limits.md. Reloaded on change, SIGHUP and /-/reload; "
                    + "tenants it does not name get the flags' limits.",
                    c -> c.tenantLimitsFile == null ? "" : c.tenantLimitsFile.toString(),
                    (c, v) -> c.tenantLimitsFile = v.isEmpty() ? null : java.nio.file.Path.of(v)),
            new Flag("http.workers", "N", "Threads that run request handlers.",
                    c -> Integer.toString(c.httpWorkers), (c, v) -> c.httpWorkers = intAtLeast(v, 1)),
            new Flag("http.max-queued-requests", "N", "Requests waiting for a worker before 429 + Retry-After.",
                    c -> Integer.toString(c.httpMaxQueuedRequests), (c, v) -> c.httpMaxQueuedRequests = intAtLeast(v, 1)),
            new Flag("http.idle-timeout", "DURATION", "Close keep-alive connections idle this long.",
                    c -> Durations.format(c.httpIdleTimeout), (c, v) -> c.httpIdleTimeout = positive(v)),
            new Flag("shutdown-timeout", "DURATION", "On SIGTERM, wait at most this long for in-flight requests.",
                    c -> Durations.format(c.shutdownTimeout), (c, v) -> c.shutdownTimeout = Durations.parse(v)),
            new Flag("log.level", "LEVEL", "Log level: trace, debug, info, warn, error.",
                    c -> c.logLevel, (c, v) -> c.logLevel = oneOf(v.toLowerCase(Locale.ROOT), LOG_LEVELS)),
            ofSwitch("log.access", "Log one line per HTTP request (logger io.tsdb.server.http.access, at INFO): "
                    + "method, path, status, duration, sizes, client. Off by default, as in Prometheus and VictoriaMetrics: "
                    + "the line costs a small query a tenth of its CPU.",
                    c -> c.logAccess, (c, v) -> c.logAccess = v),
            repeatable("rules.file", "FILE|GLOB", "Prometheus rule file(s) to evaluate (repeatable; globs as in "
                    + "Prometheus's rule_files); reloaded on SIGHUP and POST /-/reload. See docs/rules.md.",
                    c -> c.rulesFiles, (c, l) -> c.rulesFiles = l, Flags::nonEmpty, v -> v),
            new Flag("rules.tenant-directory", "DIR", "Per-tenant rules: each subdirectory is a tenant ID and its *.yml and "
                    + "*.yaml files are that tenant's rule files, evaluated as the tenant (they read and write its series only). "
                    + "Rescanned on SIGHUP and POST /-/reload. See docs/rules.md.",
                    c -> c.rulesTenantDirectory == null ? "" : c.rulesTenantDirectory.toString(),
                    (c, v) -> c.rulesTenantDirectory = v.isEmpty() ? null : java.nio.file.Path.of(v)),
            new Flag("rules.evaluation-interval", "DURATION", "Evaluation interval of rule groups without their own.",
                    c -> Durations.format(c.rulesEvaluationInterval), (c, v) -> c.rulesEvaluationInterval = positive(v)),
            new Flag("rules.query-offset", "DURATION", "Query offset of rule groups without their own query_offset.",
                    c -> Durations.format(c.rulesQueryOffset), (c, v) -> c.rulesQueryOffset = Durations.parse(v)),
            new Flag("rules.alert.for-outage-tolerance", "DURATION", "Max time to tolerate an outage for restoring the "
                    + "'for' state of alerts after a restart.",
                    c -> Durations.format(c.rulesForOutageTolerance), (c, v) -> c.rulesForOutageTolerance = positive(v)),
            new Flag("rules.alert.for-grace-period", "DURATION", "Minimum duration between an alert's restored 'for' state "
                    + "and its firing; not applied to alerts whose 'for' is shorter.",
                    c -> Durations.format(c.rulesForGracePeriod), (c, v) -> c.rulesForGracePeriod = Durations.parse(v)),
            new Flag("rules.alert.resend-delay", "DURATION", "Minimum time before resending an alert to Alertmanager.",
                    c -> Durations.format(c.rulesResendDelay), (c, v) -> c.rulesResendDelay = Durations.parse(v)),
            repeatable("alertmanager.url", "URL", "Alertmanager to send alerts to, e.g. http://127.0.0.1:9093 (repeatable).",
                    c -> c.alertmanagerUrls, (c, l) -> c.alertmanagerUrls = l, Flags::httpUrl, v -> v),
            new Flag("alertmanager.notification-queue-capacity", "N", "Alerts queued per Alertmanager before the oldest "
                    + "are dropped (counted in tsdb_notifications_dropped_total).",
                    c -> Integer.toString(c.alertmanagerQueueCapacity), (c, v) -> c.alertmanagerQueueCapacity = intAtLeast(v, 1)),
            new Flag("alertmanager.timeout", "DURATION", "Timeout for sending alerts to an Alertmanager.",
                    c -> Durations.format(c.alertmanagerTimeout), (c, v) -> c.alertmanagerTimeout = positive(v)),
            repeatable("external-label", "NAME=VALUE", "Label added to alerts sent to Alertmanager (unless they have it) "
                    + "and $externalLabels in templates (repeatable).",
                    c -> c.externalLabels.entrySet().stream().map(e -> Map.entry(e.getKey(), e.getValue())).toList(),
                    (c, l) -> {
                        java.util.TreeMap<String, String> m = new java.util.TreeMap<>();
                        for (Map.Entry<String, String> e : l) m.put(e.getKey(), e.getValue());
                        c.externalLabels = java.util.Collections.unmodifiableSortedMap(m);
                    }, Flags::externalLabel, e -> e.getKey() + "=" + e.getValue()),
            new Flag("web.external-url", "URL", "The URL this server is reached at (generator URLs of alerts, "
                    + "$externalURL); default http://HOSTNAME:PORT.",
                    c -> c.externalUrl == null ? "" : c.externalUrl, (c, v) -> c.externalUrl = v.isBlank() ? null : httpUrl(v)),
            ofSwitch("web.enable-lifecycle", "Enable POST /-/reload (reload the rule files); without it it answers 403.",
                    c -> c.enableLifecycle, (c, v) -> c.enableLifecycle = v),
            ofSwitch("ingest.start-timestamp-zero-samples", "Remote write 2.0: store a zero sample (or empty histogram) at the "
                    + "start timestamp of a sample that carries one, as Prometheus's created-timestamp zero ingestion.",
                    c -> c.ingestStartTimestampZeros, (c, v) -> c.ingestStartTimestampZeros = v));

    private Flags() {}

    /**
     * The effective value of every flag, keyed by flag name (without dashes), in --help order. Written as
     * YAML ({@code name: value} lines) this is a valid --config file reproducing {@code cfg}.
     */
    public static java.util.Map<String, String> values(ServerConfig cfg) {
        java.util.Map<String, String> out = new java.util.LinkedHashMap<>();
        for (Flag f : ALL) out.put(f.name, f.defaultValue.apply(cfg));
        return out;
    }

    public static Flag byName(String name) {
        for (Flag f : ALL) if (f.name.equals(name)) return f;
        return null;
    }

    static String hostPort(String host, int port) {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    private static void applyListen(ServerConfig c, String v) {
        int colon = v.lastIndexOf(':');
        if (colon < 0) throw new IllegalArgumentException("'" + v + "' is not HOST:PORT, e.g. 0.0.0.0:9201 or :9201");
        String host = v.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
        if (host.isEmpty()) host = "0.0.0.0";
        int port;
        try {
            port = Integer.parseInt(v.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + v + "' has no valid port; expected HOST:PORT, e.g. 0.0.0.0:9201");
        }
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port " + port + " is out of range 0-65535");
        c.listenHost = host;
        c.listenPort = port;
    }

    /**
     * Cross-flag checks once every flag is applied; throws IllegalArgumentException with the message for the
     * operator.
     */
    public static void validate(ServerConfig c) {
        for (RetentionRule r : c.retentionRules) {
            if (r.retention().compareTo(c.retention) > 0) {
                throw new IllegalArgumentException("--retention.rule " + r.text() + " keeps data longer than --retention="
                        + Durations.format(c.retention) + "; a rule can only shorten the retention of the series it selects"
                        + " (raise --retention to keep some series longer)");
            }
        }
    }

    /** {@code SELECTOR:DURATION}, e.g. {@code {env="dev"}:3d}; the selector may contain colons. */
    static RetentionRule retentionRule(String v) {
        int colon = v.lastIndexOf(':');
        if (colon <= 0 || colon == v.length() - 1) {
            throw new IllegalArgumentException("'" + v + "' is not SELECTOR:DURATION, e.g. '{env=\"dev\"}:3d'");
        }
        String sel = v.substring(0, colon).trim();
        List<io.tsdb.core.Matcher> matchers;
        try {
            matchers = io.tsdb.server.api.Params.parseSelector(sel);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + v + "': bad selector: " + e.getMessage());
        }
        Duration d;
        try {
            d = positive(v.substring(colon + 1).trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + v + "': bad duration: " + e.getMessage());
        }
        return new RetentionRule(v.trim(), matchers, d);
    }

    private static String nonEmpty(String v) {
        if (v.isBlank()) throw new IllegalArgumentException("must not be empty");
        return v;
    }

    private static String httpUrl(String v) {
        try {
            java.net.URI u = new java.net.URI(v.trim());
            if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null) {
                throw new IllegalArgumentException("'" + v + "' is not an http(s) URL, e.g. http://127.0.0.1:9093");
            }
            return v.trim();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException("'" + v + "' is not a URL: " + e.getReason());
        }
    }

    /** {@code NAME=VALUE} with a valid label name. */
    static Map.Entry<String, String> externalLabel(String v) {
        int eq = v.indexOf('=');
        if (eq <= 0) throw new IllegalArgumentException("'" + v + "' is not NAME=VALUE, e.g. cluster=eu1");
        String name = v.substring(0, eq).trim(), value = v.substring(eq + 1);
        if (!io.tsdb.core.registry.LabelValidator.isValidLabelName(name) || name.startsWith("__")) {
            throw new IllegalArgumentException("'" + name + "' is not a valid label name");
        }
        return Map.entry(name, value);
    }

    private static Duration positive(String v) {
        Duration d = Durations.parse(v);
        if (d.isZero()) throw new IllegalArgumentException("'" + v + "' must be greater than zero");
        return d;
    }

    private static String oneOf(String v, Set<String> allowed) {
        if (!allowed.contains(v)) {
            throw new IllegalArgumentException("'" + v + "' is not one of " + String.join(", ", allowed.stream().sorted().toList()));
        }
        return v;
    }

    private static int intAtLeast(String v, int min) {
        long n = longAtLeast(v, min);
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("'" + v + "' is too large (max " + Integer.MAX_VALUE + ")");
        return (int) n;
    }

    private static long longAtLeast(String v, long min) {
        long n;
        try {
            n = Long.parseLong(v.trim().replace("_", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + v + "' is not an integer");
        }
        if (n < min) throw new IllegalArgumentException("'" + v + "' must be at least " + min);
        return n;
    }

    private static String corsOrigin(String v) {
        if (v.isBlank()) return null;
        String re = v.equals("*") ? ".*" : v;
        try {
            java.util.regex.Pattern.compile(re);
        } catch (java.util.regex.PatternSyntaxException e) {
            throw new IllegalArgumentException("'" + v + "' is not a valid regex: " + e.getDescription());
        }
        return v;
    }
}
