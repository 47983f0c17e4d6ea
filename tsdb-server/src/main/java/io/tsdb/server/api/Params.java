package io.tsdb.server.api;

import io.tsdb.core.Matcher;
import io.tsdb.query.ast.Expr;
import io.tsdb.query.ast.ParenExpr;
import io.tsdb.query.ast.VectorSelector;
import io.tsdb.query.engine.QueryException;
import io.tsdb.query.parser.Literals;
import io.tsdb.query.parser.ParseException;
import io.tsdb.query.parser.QueryParser;
import io.tsdb.server.http.Request;

import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/** Parsing of Prometheus API parameters (times, durations, limits, series selectors) with Prometheus's rules. */
public final class Params {
    /** Prometheus's MinTime / MaxTime in milliseconds (the defaults of start/end for metadata queries). */
    public static final long MIN_TIME = -9223309901257974L;
    public static final long MAX_TIME = 9223309901257974L;
    private static final String MIN_TIME_FORMATTED = "-292273086-05-16T16:47:06Z";
    private static final String MAX_TIME_FORMATTED = "292277025-08-18T07:12:54.999999999Z";


    private Params() {}

    /** Unix seconds with fractions (rounded to ms) or RFC 3339; returns milliseconds. */
    public static long parseTime(String s) {
        String t = s.trim();
        if (looksNumeric(t)) {
            try {
                double d = Double.parseDouble(t);
                if (Double.isNaN(d) || Double.isInfinite(d) || Math.abs(d) > 9.2e15) throw new NumberFormatException();
                double sec = d < 0 ? Math.ceil(d) : Math.floor(d);
                double frac = d - sec;
                double msFrac = Math.signum(frac) * Math.floor(Math.abs(frac * 1000) + 0.5);
                return (long) sec * 1000 + (long) msFrac;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("cannot parse \"" + s + "\" to a valid timestamp");
            }
        }
        if (t.equals(MIN_TIME_FORMATTED)) return MIN_TIME;
        if (t.equals(MAX_TIME_FORMATTED)) return MAX_TIME;
        try {
            OffsetDateTime odt = OffsetDateTime.parse(t, DateTimeFormatter.ISO_OFFSET_DATE_TIME);
            return odt.toEpochSecond() * 1000 + odt.getNano() / 1_000_000;
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("cannot parse \"" + s + "\" to a valid timestamp");
        }
    }

    private static boolean looksNumeric(String t) {
        if (t.isEmpty()) return false;
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E')) return false;
        }
        return true;
    }

    /** Float seconds or a Prometheus duration (1h30m, 15s, 500ms); returns milliseconds. */
    public static long parseDuration(String s) {
        String t = s.trim();
        if (looksNumeric(t)) {
            try {
                double d = Double.parseDouble(t);
                if (Double.isNaN(d) || Math.abs(d * 1e9) > 9.223372036854776E18) {
                    throw new IllegalArgumentException("cannot parse \"" + s + "\" to a valid duration. It overflows int64");
                }
                return (long) (d * 1e9) / 1_000_000;
            } catch (NumberFormatException e) {
                // fall through to the duration syntax
            }
        }
        long ms = Literals.tryParseDurationMs(t);
        if (ms == Literals.DURATION_OVERFLOW) {
            throw new IllegalArgumentException("cannot parse \"" + s + "\" to a valid duration. It overflows int64");
        }
        if (ms >= 0) return ms;
        throw new IllegalArgumentException("cannot parse \"" + s + "\" to a valid duration");
    }

    /** A time parameter or the default when absent/empty. */
    public static long time(Request r, String name, long dflt) {
        String v = r.param(name);
        if (v == null || v.isEmpty()) return dflt;
        try {
            return parseTime(v);
        } catch (IllegalArgumentException e) {
            throw ApiError.invalidParam(name, e.getMessage());
        }
    }

    /** A duration parameter in ms, or -1 when absent/empty. */
    public static long duration(Request r, String name) {
        String v = r.param(name);
        if (v == null || v.isEmpty()) return -1;
        try {
            return parseDuration(v);
        } catch (IllegalArgumentException e) {
            throw ApiError.invalidParam(name, e.getMessage());
        }
    }

    /** Non-negative limit; 0 (the default) means no limit. */
    public static int limit(Request r, String name) {
        String v = r.param(name);
        if (v == null || v.isEmpty()) return 0;
        int n;
        try {
            n = Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw ApiError.invalidParam(name, "cannot parse \"" + v + "\" as an integer");
        }
        if (n < 0) throw ApiError.invalidParam(name, "limit must be non-negative");
        return n;
    }

    /** Whether a boolean-ish flag parameter is set (1, true, all). */
    public static boolean flag(Request r, String name) {
        String v = r.param(name);
        return v != null && (v.equals("1") || v.equalsIgnoreCase("true") || v.equals("all"));
    }

    /**
     * The match[] series selectors, each parsed by the query language parser; every set must have at least one
     * matcher that does not match the empty string.
     */
    public static List<List<Matcher>> matchers(Request r, String name) {
        List<List<Matcher>> sets = new ArrayList<>();
        for (String s : r.params(name)) sets.add(selector(name, s));
        return sets;
    }

    public static List<Matcher> selector(String param, String s) {
        try {
            return parseSelector(s);
        } catch (EmptySelector e) {
            throw ApiError.badData(param + " must contain at least one non-empty matcher");
        } catch (IllegalArgumentException e) {
            throw ApiError.invalidParam(param, e.getMessage());
        }
    }

    /** A selector whose matchers all match the empty string. */
    static final class EmptySelector extends IllegalArgumentException {
        EmptySelector(String s) { super("\"" + s + "\" must contain at least one matcher that does not match the empty string"); }
    }

    /**
     * Parses a series selector such as {@code up{job="x"}} or {@code {env=~"dev|test"}} with the query language
     * parser (the one selector syntax of the server: API parameters, retention rules).
     * @throws IllegalArgumentException saying what is wrong (not a selector, offset/@, no non-empty matcher)
     */
    public static List<Matcher> parseSelector(String s) {
        Expr e;
        try {
            e = QueryParser.parse(s);
        } catch (ParseException | QueryException ex) {
            throw new IllegalArgumentException(ex.getMessage(), ex);
        }
        while (e instanceof ParenExpr p) e = p.expr();
        if (!(e instanceof VectorSelector vs)) {
            throw new IllegalArgumentException("\"" + s + "\" is not a series selector such as up{job=\"x\"}");
        }
        if (vs.offsetMs() != 0 || vs.at() != null) {
            throw new IllegalArgumentException("\"" + s + "\": offset and @ are not allowed in a series selector");
        }
        boolean nonEmpty = false;
        for (Matcher m : vs.matchers()) if (!m.matchesEmpty()) nonEmpty = true;
        if (!nonEmpty) throw new EmptySelector(s);
        return vs.matchers();
    }
}
