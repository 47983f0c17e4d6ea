package io.tsdb.server.rules.template;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;

/**
 * The values a template works with, standing for Go's: {@link String}, {@link Long} (int), {@link Double}
 * (float64), {@link Boolean}, null (nil), {@link GoMap} (a map; Go ranges over it in key order), {@link List} (a
 * slice), {@link GoStruct} (a struct or pointer to one, with fields) and {@link GoTime} (time.Time).
 */
public final class GoValues {
    private GoValues() {}

    /**
     * A Go map with string keys. {@code zero} is what a missing key yields (templates run with
     * {@code missingkey=zero}): "" for {@code map[string]string}, null for {@code map[string]interface{}}.
     */
    public record GoMap(SortedMap<String, Object> map, Object zero, String typeName) {
        public static GoMap ofStrings(SortedMap<String, ?> m) {
            @SuppressWarnings("unchecked") SortedMap<String, Object> o = (SortedMap<String, Object>) m;
            return new GoMap(o, "", "map[string]string");
        }
    }

    /** A struct (or pointer to one) with named fields, e.g. a query result sample. */
    public interface GoStruct {
        /** The field's value; throws IllegalArgumentException when the type has no such field. */
        Object field(String name);

        /** Go's type name in messages, e.g. {@code *template.sample}. */
        String typeName();

        /** What fmt's %v prints for it. */
        String format();
    }

    /** A time.Time (UTC), printed as Go prints one: {@code 2006-01-02 15:04:05.999999999 +0000 UTC}. */
    public record GoTime(long epochSecond, int nanos) implements GoStruct {
        @Override public Object field(String name) {
            throw new IllegalArgumentException("can't evaluate field " + name + " in type *time.Time");
        }

        @Override public String typeName() { return "*time.Time"; }

        @Override public String format() {
            var t = Instant.ofEpochSecond(epochSecond, nanos).atOffset(ZoneOffset.UTC);
            StringBuilder sb = new StringBuilder();
            int y = t.getYear();
            sb.append(y < 0 ? "-" : "").append(String.format("%04d", Math.abs(y))).append('-')
                    .append(String.format("%02d-%02d %02d:%02d:%02d", t.getMonthValue(), t.getDayOfMonth(), t.getHour(),
                            t.getMinute(), t.getSecond()));
            if (nanos != 0) {
                String f = String.format("%09d", nanos);
                int e = f.length();
                while (f.charAt(e - 1) == '0') e--;
                sb.append('.').append(f, 0, e);
            }
            return sb.append(" +0000 UTC").toString();
        }
    }

    /** Go's type name of a value, for error messages ({@code %!d(string=x)}, "wrong type"). */
    public static String typeName(Object v) {
        if (v == null) return "<nil>";
        if (v instanceof String) return "string";
        if (v instanceof Long || v instanceof Integer) return "int";
        if (v instanceof Double) return "float64";
        if (v instanceof Boolean) return "bool";
        if (v instanceof GoMap m) return m.typeName();
        if (v instanceof List) return "[]interface {}";
        if (v instanceof GoStruct s) return s.typeName();
        return v.getClass().getSimpleName();
    }

    /** Go's truth: false, 0, nil, empty string, map or slice are false. */
    public static boolean truth(Object v) {
        if (v == null) return false;
        if (v instanceof Boolean b) return b;
        if (v instanceof String s) return !s.isEmpty();
        if (v instanceof Long l) return l != 0;
        if (v instanceof Integer i) return i != 0;
        if (v instanceof Double d) return d != 0;
        if (v instanceof GoMap m) return !m.map().isEmpty();
        if (v instanceof List<?> l) return !l.isEmpty();
        if (v instanceof Map<?, ?> m) return !m.isEmpty();
        return true;
    }

    /** Field access: a map's key (or its zero value), a struct's field. */
    static Object field(Object v, String name) {
        if (v instanceof GoMap m) {
            Object x = m.map().get(name);
            return x == null && !m.map().containsKey(name) ? m.zero() : x;
        }
        if (v instanceof GoStruct s) return s.field(name);
        if (v == null) throw new IllegalArgumentException("nil pointer evaluating interface {}." + name);
        throw new IllegalArgumentException("can't evaluate field " + name + " in type " + typeName(v));
    }
}
