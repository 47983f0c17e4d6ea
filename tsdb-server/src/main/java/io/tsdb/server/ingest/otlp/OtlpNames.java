package io.tsdb.server.ingest.otlp;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * OTLP to Prometheus name translation, following the semantics of the Prometheus OTLP translator in its
 * default "underscore escaping with suffixes" mode: the name is split into tokens at every character that is
 * not a letter or digit and re-joined with '_'; the unit (UCUM, e.g. {@code s}, {@code By}, {@code By/s})
 * is mapped to a word ({@code seconds}, {@code bytes}, {@code bytes_per_second}) and appended unless already
 * a token; annotations in braces ({@code {requests}}) are dropped; monotonic sums end in {@code _total}; gauges
 * with unit {@code 1} end in {@code _ratio}; a leading digit gets a '_' prefix.
 */
public final class OtlpNames {
    private OtlpNames() {}

    private static final Map<String, String> UNITS = Map.ofEntries(
            Map.entry("d", "days"), Map.entry("h", "hours"), Map.entry("min", "minutes"), Map.entry("s", "seconds"),
            Map.entry("ms", "milliseconds"), Map.entry("us", "microseconds"), Map.entry("ns", "nanoseconds"),
            Map.entry("By", "bytes"), Map.entry("KiBy", "kibibytes"), Map.entry("MiBy", "mebibytes"), Map.entry("GiBy", "gibibytes"),
            Map.entry("TiBy", "tibibytes"), Map.entry("KBy", "kilobytes"), Map.entry("MBy", "megabytes"), Map.entry("GBy", "gigabytes"),
            Map.entry("TBy", "terabytes"), Map.entry("m", "meters"), Map.entry("V", "volts"), Map.entry("A", "amperes"),
            Map.entry("J", "joules"), Map.entry("W", "watts"), Map.entry("g", "grams"), Map.entry("Cel", "celsius"),
            Map.entry("Hz", "hertz"), Map.entry("1", ""), Map.entry("%", "percent"));
    private static final Map<String, String> PER_UNITS = Map.of("s", "second", "m", "minute", "h", "hour", "d", "day",
            "w", "week", "mo", "month", "y", "year");

    /**
     * @param counter  a monotonic cumulative sum (gets _total)
     * @param gauge    a gauge or non-monotonic sum (unit "1" gives _ratio)
     */
    public static String metricName(String name, String unit, boolean counter, boolean gauge) {
        List<String> tokens = tokens(name);
        String u = unit == null ? "" : unit;
        String[] parts = u.split("/", 2);
        String main = parts[0].trim();
        if (!main.isEmpty() && main.indexOf('{') < 0 && main.indexOf('}') < 0) {
            String word = join(tokens(UNITS.getOrDefault(main, main)));
            if (!word.isEmpty() && !tokens.contains(word)) tokens.addAll(tokens(word));
        }
        if (parts.length == 2) {
            String per = parts[1].trim();
            if (!per.isEmpty() && per.indexOf('{') < 0 && per.indexOf('}') < 0) {
                String word = join(tokens(PER_UNITS.getOrDefault(per, per)));
                if (!word.isEmpty() && !tokens.contains(word)) { tokens.add("per"); tokens.addAll(tokens(word)); }
            }
        }
        if (counter) { tokens.remove("total"); tokens.add("total"); }
        if (gauge && u.trim().equals("1")) { tokens.remove("ratio"); tokens.add("ratio"); }
        String out = join(tokens);
        if (!out.isEmpty() && Character.isDigit(out.charAt(0))) out = "_" + out;
        return out;
    }

    /** The unit word recorded in metadata (e.g. "seconds"), or "" when none. */
    public static String unitWord(String unit) {
        if (unit == null) return "";
        String main = unit.split("/", 2)[0].trim();
        if (main.isEmpty() || main.indexOf('{') >= 0) return "";
        return join(tokens(UNITS.getOrDefault(main, main)));
    }

    /** Attribute key to label name: invalid characters become '_'; a leading digit gets "key_" prefix. */
    public static String labelName(String key) {
        if (key.isEmpty()) return key;
        StringBuilder sb = new StringBuilder(key.length() + 4);
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < key.length()) i++;
            sb.append((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ? c : '_');
        }
        if (Character.isDigit(sb.charAt(0))) sb.insert(0, "key_");
        return sb.toString();
    }

    private static List<String> tokens(String s) {
        List<String> out = new ArrayList<>();
        int start = -1;
        for (int i = 0; i <= s.length(); i++) {
            boolean word = i < s.length() && Character.isLetterOrDigit(s.charAt(i)) && s.charAt(i) < 128;
            if (word && start < 0) start = i;
            if (!word && start >= 0) { out.add(s.substring(start, i)); start = -1; }
        }
        return out;
    }

    private static String join(List<String> t) { return String.join("_", t); }

    /** Go strconv.FormatFloat(f, 'f', -1, 64) as used for le and quantile labels: shortest, no exponent. */
    public static String formatFloat(double d) {
        if (Double.isNaN(d)) return "NaN";
        if (Double.isInfinite(d)) return d > 0 ? "+Inf" : "-Inf";
        if (d == 0) return (1 / d < 0) ? "-0" : "0";
        return new BigDecimal(Double.toString(d)).stripTrailingZeros().toPlainString();
    }
}
