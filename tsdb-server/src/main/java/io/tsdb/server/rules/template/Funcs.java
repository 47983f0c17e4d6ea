package io.tsdb.server.rules.template;

import io.tsdb.server.rules.template.GoValues.GoMap;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A function table: Go's predefined template functions ({@link #builtins()}: and, or, not, len, index, slice,
 * print, printf, println, eq, ne, lt, le, gt, ge, html, js, urlquery) plus whatever a user of the engine adds
 * (the Prometheus functions live in io.tsdb.server.rules). {@code and} and {@code or} evaluate their arguments
 * lazily (the executor handles them).
 */
public final class Funcs {
    /** A template function: the evaluated arguments and the execution context; throws with the message Go prints. */
    @FunctionalInterface
    public interface Function {
        Object call(List<Object> args, Object context) throws Exception;
    }

    private final Map<String, Function> table;

    private Funcs(Map<String, Function> table) { this.table = table; }

    public static Funcs builtins() {
        Map<String, Function> m = new HashMap<>();
        m.put("and", (a, c) -> { throw new IllegalStateException("and is evaluated by the executor"); });
        m.put("or", (a, c) -> { throw new IllegalStateException("or is evaluated by the executor"); });
        m.put("not", (a, c) -> {
            argc("not", a, 1);
            return !GoValues.truth(a.get(0));
        });
        m.put("len", (a, c) -> {
            argc("len", a, 1);
            Object v = a.get(0);
            if (v instanceof String s) return (long) s.getBytes(StandardCharsets.UTF_8).length;
            if (v instanceof GoMap gm) return (long) gm.map().size();
            if (v instanceof List<?> l) return (long) l.size();
            throw new IllegalArgumentException("len of type " + GoValues.typeName(v));
        });
        m.put("index", (a, c) -> {
            if (a.isEmpty()) throw new IllegalArgumentException("wrong number of args for index: want at least 1 got 0");
            Object v = a.get(0);
            for (int i = 1; i < a.size(); i++) v = index(v, a.get(i));
            return v;
        });
        m.put("slice", (a, c) -> {
            if (a.isEmpty()) throw new IllegalArgumentException("wrong number of args for slice: want at least 1 got 0");
            Object v = a.get(0);
            int len = v instanceof String s ? s.length() : v instanceof List<?> l ? l.size() : -1;
            if (len < 0) throw new IllegalArgumentException("can't slice item of type " + GoValues.typeName(v));
            if (a.size() > 3) throw new IllegalArgumentException("too many slice indexes: " + (a.size() - 1));
            int lo = a.size() > 1 ? intArg(a.get(1)) : 0;
            int hi = a.size() > 2 ? intArg(a.get(2)) : len;
            if (lo < 0 || hi < lo || hi > len) throw new IllegalArgumentException("index out of range: " + lo + ":" + hi);
            return v instanceof String s ? s.substring(lo, hi) : List.copyOf(((List<?>) v).subList(lo, hi));
        });
        m.put("print", (a, c) -> GoFmt.sprint(a));
        m.put("println", (a, c) -> GoFmt.sprintln(a));
        m.put("printf", (a, c) -> {
            if (a.isEmpty() || !(a.get(0) instanceof String f)) {
                throw new IllegalArgumentException("wrong type for value; expected string; got " + (a.isEmpty() ? "nothing" : GoValues.typeName(a.get(0))));
            }
            return GoFmt.sprintf(f, a.subList(1, a.size()));
        });
        m.put("eq", (a, c) -> {
            if (a.size() < 2) throw new IllegalArgumentException("missing argument for comparison");
            for (int i = 1; i < a.size(); i++) if (Compare.eq(a.get(0), a.get(i))) return true;
            return false;
        });
        m.put("ne", (a, c) -> { argc("ne", a, 2); return !Compare.eq(a.get(0), a.get(1)); });
        m.put("lt", (a, c) -> { argc("lt", a, 2); return Compare.lt(a.get(0), a.get(1)); });
        m.put("le", (a, c) -> { argc("le", a, 2); return Compare.lt(a.get(0), a.get(1)) || Compare.eq(a.get(0), a.get(1)); });
        m.put("gt", (a, c) -> { argc("gt", a, 2); return !(Compare.lt(a.get(0), a.get(1)) || Compare.eq(a.get(0), a.get(1))); });
        m.put("ge", (a, c) -> { argc("ge", a, 2); return !Compare.lt(a.get(0), a.get(1)); });
        m.put("html", (a, c) -> Escapes.html(GoFmt.sprint(a)));
        m.put("js", (a, c) -> Escapes.js(GoFmt.sprint(a)));
        m.put("urlquery", (a, c) -> URLEncoder.encode(GoFmt.sprint(a), StandardCharsets.UTF_8));
        return new Funcs(m);
    }

    /** This table plus {@code more} (which win on a name clash). */
    public Funcs with(Map<String, Function> more) {
        Map<String, Function> m = new HashMap<>(table);
        m.putAll(more);
        return new Funcs(m);
    }

    public Set<String> names() { return Collections.unmodifiableSet(table.keySet()); }

    Function get(String name) { return table.get(name); }

    Map<String, Function> all() { return Collections.unmodifiableMap(table); }

    /** Checks the argument count with Go's message. */
    public static void argc(String fn, List<Object> a, int want) {
        if (a.size() != want) throw new IllegalArgumentException("wrong number of args for " + fn + ": want " + want + " got " + a.size());
    }

    private static int intArg(Object o) {
        if (o instanceof Long l) return (int) (long) l;
        throw new IllegalArgumentException("cannot index slice/array with type " + GoValues.typeName(o));
    }

    private static Object index(Object v, Object key) {
        if (v instanceof GoMap m) {
            if (!(key instanceof String k)) throw new IllegalArgumentException("value has type " + GoValues.typeName(key) + "; should be string");
            Object x = m.map().get(k);
            return x == null && !m.map().containsKey(k) ? m.zero() : x;
        }
        if (v instanceof List<?> l) {
            int i = intArg(key);
            if (i < 0 || i >= l.size()) throw new IllegalArgumentException("index out of range: " + i);
            return l.get(i);
        }
        if (v instanceof String s) {
            int i = intArg(key);
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            if (i < 0 || i >= b.length) throw new IllegalArgumentException("index out of range: " + i);
            return (long) (b[i] & 0xff);
        }
        if (v == null) throw new IllegalArgumentException("index of untyped nil");
        throw new IllegalArgumentException("can't index item of type " + GoValues.typeName(v));
    }

    /** Go's comparison functions: basic kinds must match (int with float is an error). */
    static final class Compare {
        private Compare() {}

        private static int kind(Object v) {
            if (v instanceof Boolean) return 1;
            if (v instanceof Long || v instanceof Integer) return 2;
            if (v instanceof Double) return 3;
            if (v instanceof String) return 4;
            return 0;
        }

        static boolean eq(Object a, Object b) {
            int ka = kind(a), kb = kind(b);
            if (ka == 0 || kb == 0) {
                if (a == null || b == null) return a == b;
                if (ka == 0 && kb == 0) throw new IllegalArgumentException("invalid type for comparison");
                throw new IllegalArgumentException("incompatible types for comparison");
            }
            if (ka != kb) throw new IllegalArgumentException("incompatible types for comparison");
            if (ka == 3) return ((Double) a).doubleValue() == ((Double) b).doubleValue();
            if (ka == 2) return ((Number) a).longValue() == ((Number) b).longValue();
            return a.equals(b);
        }

        static boolean lt(Object a, Object b) {
            int ka = kind(a), kb = kind(b);
            if (ka == 0 || kb == 0 || ka == 1) throw new IllegalArgumentException("invalid type for comparison");
            if (ka != kb) throw new IllegalArgumentException("incompatible types for comparison");
            if (ka == 3) return (Double) a < (Double) b;
            if (ka == 2) return ((Number) a).longValue() < ((Number) b).longValue();
            return ((String) a).compareTo((String) b) < 0;
        }
    }
}
