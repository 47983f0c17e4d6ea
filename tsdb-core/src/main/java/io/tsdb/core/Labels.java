package io.tsdb.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An immutable label set, sorted by label name, names unique. The metric name is the label
 * {@code __name__}. Equality and hash code are by content, so a {@code Labels} can key maps.
 */
public final class Labels implements Comparable<Labels> {
    public static final String METRIC_NAME = "__name__";
    public static final Labels EMPTY = new Labels(new String[0]);

    /** name0, value0, name1, value1, ... sorted by name. */
    private final String[] kv;
    private int hash;

    private Labels(String[] kv) {
        this.kv = kv;
    }

    /** Builds from alternating name/value pairs in any order; later duplicates win; empty values drop the label. */
    public static Labels of(String... nameValues) {
        if ((nameValues.length & 1) != 0) throw new IllegalArgumentException("odd number of name/value strings");
        TreeMap<String, String> m = new TreeMap<>();
        for (int i = 0; i < nameValues.length; i += 2) m.put(nameValues[i], nameValues[i + 1]);
        return fromMap(m);
    }

    public static Labels fromMap(Map<String, String> map) {
        TreeMap<String, String> m = map instanceof TreeMap<String, String> t && t.comparator() == null ? t : new TreeMap<>(map);
        List<String> out = new ArrayList<>(m.size() * 2);
        for (Map.Entry<String, String> e : m.entrySet()) {
            if (e.getValue() == null || e.getValue().isEmpty()) continue;
            out.add(e.getKey());
            out.add(e.getValue());
        }
        return new Labels(out.toArray(new String[0]));
    }

    /** Wraps an already sorted, de-duplicated, non-empty-valued name/value array without copying. */
    public static Labels fromSortedUnsafe(String[] sortedNameValues) {
        return new Labels(sortedNameValues);
    }

    public int size() { return kv.length >> 1; }
    public String name(int i) { return kv[i << 1]; }
    public String value(int i) { return kv[(i << 1) + 1]; }

    /** The value of a label or {@code null} when absent. */
    public String get(String name) {
        int lo = 0, hi = size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = kv[mid << 1].compareTo(name);
            if (c == 0) return kv[(mid << 1) + 1];
            if (c < 0) lo = mid + 1; else hi = mid - 1;
        }
        return null;
    }

    public String metricName() { return get(METRIC_NAME); }

    public boolean has(String name) { return get(name) != null; }

    public Map<String, String> toMap() {
        TreeMap<String, String> m = new TreeMap<>();
        for (int i = 0; i < size(); i++) m.put(name(i), value(i));
        return m;
    }

    public Builder toBuilder() { return new Builder(this); }

    public static Builder builder() { return new Builder(EMPTY); }

    /** Mutable builder: set/delete then build. */
    public static final class Builder {
        private final TreeMap<String, String> m = new TreeMap<>();
        Builder(Labels base) { for (int i = 0; i < base.size(); i++) m.put(base.name(i), base.value(i)); }
        public Builder set(String name, String value) {
            if (value == null || value.isEmpty()) m.remove(name); else m.put(name, value);
            return this;
        }
        public Builder del(String name) { m.remove(name); return this; }
        public Builder keep(java.util.Collection<String> names) { m.keySet().retainAll(names); return this; }
        public String get(String name) { return m.get(name); }
        public Labels build() { return fromMap(m); }
    }

    @Override public boolean equals(Object o) {
        return o instanceof Labels l && Arrays.equals(kv, l.kv);
    }

    @Override public int hashCode() {
        int h = hash;
        if (h == 0) { h = Arrays.hashCode(kv); hash = h; }
        return h;
    }

    @Override public int compareTo(Labels o) {
        int n = Math.min(kv.length, o.kv.length);
        for (int i = 0; i < n; i++) {
            int c = kv[i].compareTo(o.kv[i]);
            if (c != 0) return c;
        }
        return Integer.compare(kv.length, o.kv.length);
    }

    /** Prometheus text form: {@code name{a="1", b="2"}}. */
    @Override public String toString() {
        StringBuilder sb = new StringBuilder();
        String name = metricName();
        if (name != null) sb.append(name);
        sb.append('{');
        boolean first = true;
        for (int i = 0; i < size(); i++) {
            if (name(i).equals(METRIC_NAME)) continue;
            if (!first) sb.append(", ");
            first = false;
            sb.append(name(i)).append("=\"");
            String v = value(i);
            for (int j = 0; j < v.length(); j++) {
                char c = v.charAt(j);
                switch (c) {
                    case '\\' -> sb.append("\\\\");
                    case '"' -> sb.append("\\\"");
                    case '\n' -> sb.append("\\n");
                    default -> sb.append(c);
                }
            }
            sb.append('"');
        }
        return sb.append('}').toString();
    }
}
