package io.tsdb.server.rules;

import io.tsdb.core.Labels;
import io.tsdb.server.rules.template.Funcs;
import io.tsdb.server.rules.template.GoFmt;
import io.tsdb.server.rules.template.GoValues;
import io.tsdb.server.rules.template.GoValues.GoMap;
import io.tsdb.server.rules.template.GoValues.GoStruct;
import io.tsdb.server.rules.template.GoValues.GoTime;
import io.tsdb.server.rules.template.Template;
import io.tsdb.server.rules.template.TemplateException;

import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Prometheus's template functions and alert template data over the template engine: the functions rule authors
 * use in labels and annotations ({@code query first label value strvalue args sortByLabel humanize humanize1024
 * humanizeDuration humanizePercentage humanizeTimestamp toTime toDuration now printf title toUpper toLower match
 * reReplaceAll safeHtml stripPort stripDomain graphLink tableLink pathPrefix externalURL parseDuration
 * urlQueryEscape}, plus Go's built-ins), and the variables {@code $labels $externalLabels $externalURL $value}
 * predeclared as Prometheus does (by prefixing the same definitions, so positions in error messages match).
 */
public final class PromTemplates {
    /** Runs a PromQL instant query at the template's evaluation time; a scalar result is one sample with no labels. */
    @FunctionalInterface
    public interface QueryFunction {
        List<io.tsdb.query.engine.Sample> query(String expr, long timeMs) throws Exception;
    }

    /** What functions see while a template runs: how to query, the evaluation time, the external URL. */
    public record Context(QueryFunction query, long timeMs, String externalUrl) {}

    /** The definitions Prometheus prefixes to every alert label and annotation template. */
    static final String DEFS = "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}"
            + "{{$externalURL := .ExternalURL}}{{$value := .Value}}";

    public static final Funcs FUNCS = Funcs.builtins().with(functions());

    private PromTemplates() {}

    /** Parses an alert label or annotation template (refusing unknown functions and variables). */
    public static Template parseAlert(String alertName, String text) throws TemplateException {
        return Template.parse("__alert_" + alertName, DEFS + text, FUNCS);
    }

    /** The data of an alert template: .Labels, .ExternalLabels, .ExternalURL, .Value. */
    public static GoStruct alertData(Labels labels, Map<String, String> externalLabels, String externalUrl, double value) {
        GoMap l = labelMap(labels);
        GoMap ext = GoMap.ofStrings(new TreeMap<>(externalLabels));
        return new GoStruct() {
            @Override public Object field(String name) {
                return switch (name) {
                    case "Labels" -> l;
                    case "ExternalLabels" -> ext;
                    case "ExternalURL" -> externalUrl;
                    case "Value" -> value;
                    default -> throw new IllegalArgumentException("can't evaluate field " + name + " in type struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value interface {} }");
                };
            }

            @Override public String typeName() { return "struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value interface {} }"; }

            @Override public String format() { return "{" + GoFmt.format(l) + " " + GoFmt.format(ext) + " " + externalUrl + " " + GoFmt.format(value) + "}"; }
        };
    }

    /**
     * Expands a template as Prometheus does for alerts: on failure the text is
     * {@code <error expanding template: MESSAGE>} (and {@code onError} is told).
     */
    public static String expand(Template t, Object data, Context ctx, java.util.function.Consumer<String> onError) {
        try {
            return t.execute(data, ctx);
        } catch (TemplateException e) {
            if (onError != null) onError.accept(e.getMessage());
            return "<error expanding template: " + e.getMessage() + ">";
        } catch (RuntimeException e) {
            String m = "panic expanding template " + t.name() + ": " + e.getMessage();
            if (onError != null) onError.accept(m);
            return "<error expanding template: " + m + ">";
        }
    }

    static GoMap labelMap(Labels labels) {
        TreeMap<String, Object> m = new TreeMap<>();
        for (int i = 0; i < labels.size(); i++) m.put(labels.name(i), labels.value(i));
        return new GoMap(m, "", "map[string]string");
    }

    /** A query result sample: fields Labels (map) and Value (float64). */
    record QuerySample(GoMap labels, double value) implements GoStruct {
        @Override public Object field(String name) {
            return switch (name) {
                case "Labels" -> labels;
                case "Value" -> value;
                default -> throw new IllegalArgumentException("can't evaluate field " + name + " in type *template.sample");
            };
        }

        @Override public String typeName() { return "*template.sample"; }

        @Override public String format() { return "&{" + GoFmt.format(labels) + " " + GoFmt.format(value) + "}"; }
    }

    private static Context ctx(Object c) {
        if (c instanceof Context x) return x;
        throw new IllegalStateException("no template context");
    }

    private static Map<String, Funcs.Function> functions() {
        Map<String, Funcs.Function> m = new HashMap<>();
        m.put("query", (a, c) -> {
            Funcs.argc("query", a, 1);
            String q = str(a.get(0));
            Context x = ctx(c);
            List<Object> out = new ArrayList<>();
            for (io.tsdb.query.engine.Sample s : x.query().query(q, x.timeMs())) {
                out.add(new QuerySample(labelMap(s.labels()), s.value()));
            }
            return out;
        });
        m.put("first", (a, c) -> {
            Funcs.argc("first", a, 1);
            List<?> v = vector(a.get(0));
            if (v.isEmpty()) throw new IllegalArgumentException("first() called on vector with no elements");
            return v.get(0);
        });
        m.put("label", (a, c) -> {
            Funcs.argc("label", a, 2);
            String name = str(a.get(0));
            QuerySample s = sample(a.get(1));
            Object v = s.labels().map().get(name);
            return v == null ? "" : v;
        });
        m.put("value", (a, c) -> {
            Funcs.argc("value", a, 1);
            return sample(a.get(0)).value();
        });
        m.put("strvalue", (a, c) -> {
            Funcs.argc("strvalue", a, 1);
            Object v = sample(a.get(0)).labels().map().get("__value__");
            return v == null ? "" : v;
        });
        m.put("args", (a, c) -> {
            TreeMap<String, Object> r = new TreeMap<>();
            for (int i = 0; i < a.size(); i++) r.put("arg" + i, a.get(i));
            return new GoMap(r, null, "map[string]interface {}");
        });
        m.put("sortByLabel", (a, c) -> {
            Funcs.argc("sortByLabel", a, 2);
            String name = str(a.get(0));
            List<Object> v = new ArrayList<>(vector(a.get(1)));
            v.sort((x, y) -> {
                Object lx = ((QuerySample) x).labels().map().get(name), ly = ((QuerySample) y).labels().map().get(name);
                return (lx == null ? "" : (String) lx).compareTo(ly == null ? "" : (String) ly);
            });
            return v;
        });
        m.put("reReplaceAll", (a, c) -> {
            Funcs.argc("reReplaceAll", a, 3);
            return GoRegex.replaceAll(GoRegex.compile(str(a.get(0))), str(a.get(2)), str(a.get(1)));
        });
        m.put("match", (a, c) -> {
            Funcs.argc("match", a, 2);
            return GoRegex.compile(str(a.get(0))).matcher(str(a.get(1))).find();
        });
        m.put("safeHtml", (a, c) -> { Funcs.argc("safeHtml", a, 1); return str(a.get(0)); });
        m.put("title", (a, c) -> { Funcs.argc("title", a, 1); return title(str(a.get(0))); });
        m.put("toUpper", (a, c) -> { Funcs.argc("toUpper", a, 1); return str(a.get(0)).toUpperCase(java.util.Locale.ROOT); });
        m.put("toLower", (a, c) -> { Funcs.argc("toLower", a, 1); return str(a.get(0)).toLowerCase(java.util.Locale.ROOT); });
        m.put("graphLink", (a, c) -> { Funcs.argc("graphLink", a, 1); return "/graph?g0.expr=" + GoUrl.queryEscape(str(a.get(0))) + "&g0.tab=0"; });
        m.put("tableLink", (a, c) -> { Funcs.argc("tableLink", a, 1); return tableLink(str(a.get(0))); });
        m.put("urlQueryEscape", (a, c) -> { Funcs.argc("urlQueryEscape", a, 1); return GoUrl.queryEscape(str(a.get(0))); });
        m.put("stripPort", (a, c) -> {
            Funcs.argc("stripPort", a, 1);
            String[] hp = GoUrl.splitHostPort(str(a.get(0)));
            return hp == null ? str(a.get(0)) : hp[0];
        });
        m.put("stripDomain", (a, c) -> {
            Funcs.argc("stripDomain", a, 1);
            String s = str(a.get(0));
            String[] hp = GoUrl.splitHostPort(s);
            String host = hp == null ? s : hp[0];
            if (GoUrl.isIp(host)) return s;
            int dot = host.indexOf('.');
            if (dot >= 0) host = host.substring(0, dot);
            return hp != null ? GoUrl.joinHostPort(host, hp[1]) : host;
        });
        m.put("humanize", (a, c) -> { Funcs.argc("humanize", a, 1); return Humanize.humanize(toFloat(a.get(0))); });
        m.put("humanize1024", (a, c) -> { Funcs.argc("humanize1024", a, 1); return Humanize.humanize1024(toFloat(a.get(0))); });
        m.put("humanizeDuration", (a, c) -> { Funcs.argc("humanizeDuration", a, 1); return Humanize.duration(toFloat(a.get(0))); });
        m.put("humanizePercentage", (a, c) -> {
            Funcs.argc("humanizePercentage", a, 1);
            return GoFmt.sprintf("%.4g%%", List.of(toFloat(a.get(0)) * 100));
        });
        m.put("humanizeTimestamp", (a, c) -> {
            Funcs.argc("humanizeTimestamp", a, 1);
            double v = toFloat(a.get(0));
            if (Double.isNaN(v) || Double.isInfinite(v)) return GoFmt.sprintf("%.4g", List.of(v));
            return toTime(v).format();
        });
        m.put("toTime", (a, c) -> {
            Funcs.argc("toTime", a, 1);
            double v = toFloat(a.get(0));
            if (Double.isNaN(v) || Double.isInfinite(v)) throw new IllegalArgumentException("value is NaN or Inf");
            return toTime(v);
        });
        m.put("toDuration", (a, c) -> {
            Funcs.argc("toDuration", a, 1);
            return new GoDuration((long) (toFloat(a.get(0)) * 1e9));
        });
        m.put("now", (a, c) -> { Funcs.argc("now", a, 0); return ctx(c).timeMs() / 1000.0; });
        m.put("pathPrefix", (a, c) -> {
            Funcs.argc("pathPrefix", a, 0);
            String u = ctx(c).externalUrl();
            try {
                String p = URI.create(u == null ? "" : u).getRawPath();
                return p == null ? "" : p;
            } catch (IllegalArgumentException e) {
                return "";
            }
        });
        m.put("externalURL", (a, c) -> { Funcs.argc("externalURL", a, 0); String u = ctx(c).externalUrl(); return u == null ? "" : u; });
        m.put("parseDuration", (a, c) -> {
            Funcs.argc("parseDuration", a, 1);
            String s = str(a.get(0));
            boolean neg = s.startsWith("-");
            long ms = RuleDurations.parse(neg ? s.substring(1) : s);
            return (neg ? -ms : ms) / 1000.0;
        });
        return m;
    }

    /** Prometheus's table link for an expression (the generatorURL of alerts, after the external URL). */
    public static String tableLink(String expr) {
        return "/graph?g0.expr=" + GoUrl.queryEscape(expr) + "&g0.tab=1";
    }

    static GoTime toTime(double v) {
        double ns = v * 1e9;
        if (ns > Long.MAX_VALUE || ns < Long.MIN_VALUE) {
            throw new IllegalArgumentException(GoFmt.format(v) + " cannot be represented as a nanoseconds timestamp since it overflows int64");
        }
        long ms = ((long) ns) / 1_000_000; // model.TimeFromUnixNano: millisecond precision
        return new GoTime(Math.floorDiv(ms, 1000), (int) Math.floorMod(ms, 1000) * 1_000_000);
    }

    /** A time.Duration, printed as Go prints one (1h2m3.5s, 150ms, 0s). */
    record GoDuration(long nanos) implements GoStruct {
        @Override public Object field(String name) {
            throw new IllegalArgumentException("can't evaluate field " + name + " in type *time.Duration");
        }

        @Override public String typeName() { return "*time.Duration"; }

        @Override public String format() { return goDuration(nanos); }
    }

    /** Go's time.Duration.String(). */
    static String goDuration(long d) {
        if (d == 0) return "0s";
        boolean neg = d < 0;
        long u = Math.abs(d);
        StringBuilder sb = new StringBuilder();
        if (u < 1_000_000_000L) {
            String unit;
            double v;
            if (u < 1_000) { return (neg ? "-" : "") + u + "ns"; }
            else if (u < 1_000_000) { unit = "µs"; v = u / 1e3; }
            else { unit = "ms"; v = u / 1e6; }
            return (neg ? "-" : "") + trimFloat(v) + unit;
        }
        long h = u / 3_600_000_000_000L;
        long rem = u % 3_600_000_000_000L;
        long m = rem / 60_000_000_000L;
        rem %= 60_000_000_000L;
        double s = rem / 1e9;
        if (neg) sb.append('-');
        if (h > 0) sb.append(h).append('h');
        if (h > 0 || m > 0) sb.append(m).append('m');
        sb.append(trimFloat(s)).append('s');
        return sb.toString();
    }

    private static String trimFloat(double v) {
        String s = new java.math.BigDecimal(Double.toString(v)).stripTrailingZeros().toPlainString();
        return s;
    }

    /** Title case: the first letter of each word upper-cased, the rest kept (golang.org/x/text cases.NoLower). */
    static String title(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean inWord = false;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            boolean wordChar = Character.isLetterOrDigit(cp) || cp == '_' || cp == '\'' || Character.getType(cp) == Character.NON_SPACING_MARK;
            if (!inWord && Character.isLetter(cp)) sb.appendCodePoint(Character.toTitleCase(cp));
            else sb.appendCodePoint(cp);
            inWord = wordChar;
        }
        return sb.toString();
    }

    static double toFloat(Object o) {
        if (o instanceof Double d) return d;
        if (o instanceof Long l) return l;
        if (o instanceof Integer i) return i;
        if (o instanceof GoDuration d) return d.nanos() / 1e9;
        if (o instanceof String s) {
            try {
                return GoNumbers.parseFloat(s);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("strconv.ParseFloat: parsing " + io.tsdb.server.rules.template.GoFmt.sprintf("%q", List.of(s)) + ": invalid syntax");
            }
        }
        throw new IllegalArgumentException("can't convert " + GoValues.typeName(o) + " to float");
    }

    private static String str(Object o) {
        if (o instanceof String s) return s;
        throw new IllegalArgumentException("wrong type for value; expected string; got " + GoValues.typeName(o));
    }

    private static List<?> vector(Object o) {
        if (o instanceof List<?> l) return l;
        throw new IllegalArgumentException("wrong type for value; expected template.queryResult; got " + GoValues.typeName(o));
    }

    private static QuerySample sample(Object o) {
        if (o instanceof QuerySample s) return s;
        throw new IllegalArgumentException("wrong type for value; expected *template.sample; got " + GoValues.typeName(o));
    }

    /** Go regexp (RE2) syntax on java.util.regex: named groups {@code (?P<n>)} and Go's replacement expansion. */
    static final class GoRegex {
        private GoRegex() {}

        static Pattern compile(String re) {
            try {
                return Pattern.compile(re.replace("(?P<", "(?<"));
            } catch (java.util.regex.PatternSyntaxException e) {
                throw new IllegalArgumentException("error parsing regexp: " + e.getDescription() + ": `" + re + "`");
            }
        }

        /** Regexp.ReplaceAllString: $1, ${1}, $name, ${name}, $$; an unknown group expands to "". */
        static String replaceAll(Pattern p, String text, String repl) {
            Matcher m = p.matcher(text);
            StringBuilder out = new StringBuilder();
            int last = 0;
            int prevEnd = -1;
            while (m.find()) {
                // Go ignores an empty match abutting the preceding match
                if (m.start() == m.end() && m.start() == prevEnd) continue;
                out.append(text, last, m.start());
                expand(out, m, repl);
                last = m.end();
                prevEnd = m.end();
            }
            out.append(text, last, text.length());
            return out.toString();
        }

        private static void expand(StringBuilder out, Matcher m, String repl) {
            for (int i = 0; i < repl.length(); i++) {
                char c = repl.charAt(i);
                if (c != '$' || i + 1 >= repl.length()) {
                    out.append(c);
                    continue;
                }
                char n = repl.charAt(i + 1);
                if (n == '$') {
                    out.append('$');
                    i++;
                    continue;
                }
                String name;
                int end;
                if (n == '{') {
                    int close = repl.indexOf('}', i + 2);
                    if (close < 0) { out.append(c); continue; }
                    name = repl.substring(i + 2, close);
                    end = close;
                    if (name.isEmpty() || !name.chars().allMatch(ch -> Character.isLetterOrDigit(ch) || ch == '_')) {
                        out.append(c);
                        continue;
                    }
                } else {
                    int j = i + 1;
                    while (j < repl.length() && (Character.isLetterOrDigit(repl.charAt(j)) || repl.charAt(j) == '_')) j++;
                    if (j == i + 1) { out.append(c); continue; }
                    name = repl.substring(i + 1, j);
                    end = j - 1;
                }
                out.append(group(m, name));
                i = end;
            }
        }

        private static String group(Matcher m, String name) {
            String v = null;
            if (name.chars().allMatch(Character::isDigit)) {
                try {
                    int g = Integer.parseInt(name);
                    if (g <= m.groupCount()) v = m.group(g);
                } catch (NumberFormatException e) {
                    v = null;
                }
            } else {
                try {
                    v = m.group(name);
                } catch (IllegalArgumentException e) {
                    v = null;
                }
            }
            return v == null ? "" : v;
        }
    }
}
