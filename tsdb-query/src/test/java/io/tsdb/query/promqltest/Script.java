package io.tsdb.query.promqltest;

import io.tsdb.core.Labels;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A parsed promqltest script: load / clear / eval commands (Prometheus' promqltest language). */
final class Script {
    sealed interface Cmd permits Load, Clear, Eval {}

    record Load(int line, long intervalMs, boolean withNhcb, List<SeriesDesc.Parsed> series) implements Cmd {}

    record Clear(int line) implements Cmd {}

    /** An expectation line: {@code expect <type> [msg|regex: text]}. */
    record Expect(String type, String matchType, String text) {
        boolean matches(String s) {
            if (matchType == null) return true;
            if (matchType.equals("msg")) return s.equals(text);
            return Pattern.compile(text).matcher(s).find();
        }

        @Override public String toString() { return "expect " + type + (matchType == null ? "" : " " + matchType + ": " + text); }
    }

    static final class Eval implements Cmd {
        final int line;
        final String expr;
        final boolean range;
        long start, end, step; // instant: start == end == eval time
        long evalTime;
        boolean ordered, fail, warn, info;
        boolean excludeFromRangeQuery;
        String expectedFailMessage;
        String expectedFailRegexp;
        String expectedString;
        boolean expectScalar;
        double scalar;
        boolean needsHistograms;
        final Map<String, List<Expect>> expects = new LinkedHashMap<>();
        /** Expected series in order of appearance (position = index + 1). */
        final Map<Labels, List<SeriesDesc.Val>> expected = new LinkedHashMap<>();

        Eval(int line, String expr, boolean range) {
            this.line = line;
            this.expr = expr;
            this.range = range;
        }

        boolean isFail() { return fail || expects.containsKey("fail"); }

        boolean isOrdered() { return ordered || expects.containsKey("ordered"); }
    }

    static final Pattern LOAD = Pattern.compile("^load(?:_(with_nhcb))?\\s+(.+?)$");
    static final Pattern EVAL_INSTANT = Pattern.compile("^eval(?:_(fail|warn|ordered|info))?\\s+instant\\s+(?:at\\s+(.+?))?\\s+(.+)$");
    static final Pattern EVAL_RANGE = Pattern.compile("^eval(?:_(fail|warn|info))?\\s+range\\s+from\\s+(.+)\\s+to\\s+(.+)\\s+step\\s+(.+?)\\s+(.+)$");
    static final Pattern EXPECT = Pattern.compile("^expect\\s+(ordered|fail|warn|no_warn|info|no_info)(?:\\s+(regex|msg):(.+))?$");
    static final Pattern EXPECT_RANGE = Pattern.compile("^expect range vector\\s+from\\s+(.+)\\s+to\\s+(.+)\\s+step\\s+(.+)$");

    final List<Cmd> cmds = new ArrayList<>();

    /** Prometheus model.ParseDuration: e.g. 1h30m, 5m, 10s, 100ms, 0; also plain numbers as seconds are NOT allowed. */
    static long duration(String s) {
        s = s.trim();
        if (s.equals("0")) return 0;
        boolean neg = s.startsWith("-");
        if (neg) s = s.substring(1);
        Matcher m = Pattern.compile("(\\d+)(ms|y|w|d|h|m|s)").matcher(s);
        long total = 0;
        int pos = 0;
        while (m.find()) {
            if (m.start() != pos) throw new IllegalArgumentException("bad duration " + s);
            long n = Long.parseLong(m.group(1));
            total += n * switch (m.group(2)) {
                case "ms" -> 1L;
                case "s" -> 1000L;
                case "m" -> 60_000L;
                case "h" -> 3_600_000L;
                case "d" -> 86_400_000L;
                case "w" -> 7 * 86_400_000L;
                case "y" -> 365 * 86_400_000L;
                default -> throw new IllegalArgumentException(s);
            };
            pos = m.end();
        }
        if (pos != s.length() || pos == 0) throw new IllegalArgumentException("bad duration \"" + s + "\"");
        return neg ? -total : total;
    }

    static Script parse(String text) {
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String l = lines[i].trim();
            if (l.startsWith("#")) l = "";
            lines[i] = l;
        }
        Script sc = new Script();
        for (int i = 0; i < lines.length; i++) {
            String l = lines[i];
            if (l.isEmpty()) continue;
            String c = l.split("[\t ]+", 2)[0].toLowerCase(java.util.Locale.ROOT);
            if (c.equals("clear")) {
                sc.cmds.add(new Clear(i + 1));
            } else if (c.startsWith("load")) {
                Matcher m = LOAD.matcher(l);
                if (!m.matches()) throw new IllegalArgumentException("line " + (i + 1) + ": invalid load " + l);
                long gap = duration(m.group(2));
                List<SeriesDesc.Parsed> series = new ArrayList<>();
                int start = i;
                while (i + 1 < lines.length && !lines[i + 1].isEmpty()) {
                    i++;
                    series.add(SeriesDesc.parse(lines[i]));
                }
                sc.cmds.add(new Load(start + 1, gap, m.group(1) != null, series));
            } else if (c.startsWith("eval")) {
                i = parseEval(sc, lines, i);
            } else {
                throw new IllegalArgumentException("line " + (i + 1) + ": invalid command " + l);
            }
        }
        return sc;
    }

    private static int parseEval(Script sc, String[] lines, int i) {
        Matcher im = EVAL_INSTANT.matcher(lines[i]), rm = EVAL_RANGE.matcher(lines[i]);
        boolean instant = im.matches();
        if (!instant && !rm.matches()) throw new IllegalArgumentException("line " + (i + 1) + ": invalid eval " + lines[i]);
        String mod;
        Eval ev;
        if (instant) {
            mod = im.group(1);
            ev = new Eval(i + 1, im.group(3), false);
            ev.start = ev.end = ev.evalTime = duration(im.group(2) == null ? "0" : im.group(2));
        } else {
            mod = rm.group(1);
            ev = new Eval(i + 1, rm.group(5), true);
            ev.start = duration(rm.group(2));
            ev.end = duration(rm.group(3));
            ev.step = duration(rm.group(4));
        }
        if (mod != null) {
            switch (mod) {
                case "ordered" -> ev.ordered = true;
                case "fail" -> ev.fail = true;
                case "warn" -> ev.warn = true;
                case "info" -> ev.info = true;
                default -> { }
            }
        }
        boolean expectRangeVector = false;
        while (i + 1 < lines.length) {
            i++;
            String def = lines[i];
            if (def.isEmpty()) { i--; break; }
            if (ev.fail && def.startsWith("expected_fail_message")) {
                ev.expectedFailMessage = def.substring("expected_fail_message".length()).trim();
                break;
            }
            if (ev.fail && def.startsWith("expected_fail_regexp")) {
                ev.expectedFailRegexp = def.substring("expected_fail_regexp".length()).trim();
                break;
            }
            if (def.startsWith("expect range vector")) {
                Matcher m = EXPECT_RANGE.matcher(def);
                if (!m.matches()) throw new IllegalArgumentException("line " + (i + 1) + ": bad " + def);
                ev.start = duration(m.group(1));
                ev.end = duration(m.group(2));
                ev.step = duration(m.group(3));
                ev.evalTime = ev.end;
                ev.excludeFromRangeQuery = true;
                expectRangeVector = true;
                continue;
            }
            if (def.startsWith("expect string")) {
                ev.expectedString = unquote(def.substring("expect string".length()).trim());
                ev.excludeFromRangeQuery = true;
                continue;
            }
            if (def.split(" ")[0].equals("expect")) {
                Matcher m = EXPECT.matcher(def);
                if (!m.matches()) throw new IllegalArgumentException("line " + (i + 1) + ": invalid expect " + def);
                String text = m.group(3) == null ? null : m.group(3).trim();
                ev.expects.computeIfAbsent(m.group(1), k -> new ArrayList<>()).add(new Expect(m.group(1), m.group(2), text));
                continue;
            }
            if (def.contains("{{")) ev.needsHistograms = true;
            try {
                ev.scalar = SeriesDesc.number(def);
                ev.expectScalar = true;
                break;
            } catch (RuntimeException notANumber) {
                // a series line
            }
            SeriesDesc.Parsed p = SeriesDesc.parse(def);
            if (p.hasHistogram()) ev.needsHistograms = true;
            ev.expected.put(p.labels(), p.values());
        }
        sc.cmds.add(ev);
        return i;
    }

    /** Go strconv.Unquote for "..." and `...`. */
    static String unquote(String s) {
        if (s.length() < 2) throw new IllegalArgumentException("bad string " + s);
        char q = s.charAt(0);
        if (q == '`') return s.substring(1, s.length() - 1);
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i < s.length() - 1; i++) {
            char c = s.charAt(i);
            if (c == '\\') {
                char e = s.charAt(++i);
                switch (e) {
                    case 'n' -> sb.append('\n');
                    case 't' -> sb.append('\t');
                    case '\\' -> sb.append('\\');
                    case '"' -> sb.append('"');
                    case '\'' -> sb.append('\'');
                    default -> sb.append('\\').append(e);
                }
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
