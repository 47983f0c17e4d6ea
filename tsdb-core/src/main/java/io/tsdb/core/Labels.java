package io.tsdb.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An immutable label set, sorted by label name, names unique. The metric name is the label
 * {@code __name__}. Equality and hash code are by content, so a {@code Labels} can key maps.
 *
 * <p>Names and values are held in two arrays so that label sets with the same names can share one names
 * array ({@link #withSharedNames}): the head keeps one label set per active series, and most series of a
 * metric have the same label names.
 */
public final class Labels implements Comparable<Labels> {
    public static final String METRIC_NAME = "__name__";
    public static final Labels EMPTY = new Labels(new String[0], new String[0]);

    /** Sorted names, and the value of each. */
    private final String[] names;
    private final String[] values;
    private int hash;

    private Labels(String[] names, String[] values) {
        this.names = names;
        this.values = values;
    }

    private static Labels ofPairs(String[] kv) {
        int n = kv.length >> 1;
        String[] names = new String[n], values = new String[n];
        for (int i = 0; i < n; i++) {
            names[i] = kv[2 * i];
            values[i] = kv[2 * i + 1];
        }
        return new Labels(names, values);
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
        return ofPairs(out.toArray(new String[0]));
    }

    /** Builds from an already sorted, de-duplicated, non-empty-valued name/value array (not validated). */
    public static Labels fromSortedUnsafe(String[] sortedNameValues) {
        return ofPairs(sortedNameValues);
    }

    /**
     * From already sorted, unique names and their non-empty values (not validated), keeping both arrays
     * without copying: the caller must not modify them afterwards. A names array may be shared by many
     * label sets (see {@link #names()} and io.tsdb.core.index.LabelIndex).
     */
    public static Labels withSharedNames(String[] sortedNames, String[] values) {
        if (sortedNames.length != values.length) throw new IllegalArgumentException(sortedNames.length + " names but " + values.length + " values");
        return new Labels(sortedNames, values);
    }

    /**
     * As {@link #withSharedNames(String[], String[])} for the label set of {@code same} (names and values equal to its
     * own, e.g. their interned strings): its hash, if computed, is taken over instead of being computed again (the
     * head's table hashes every new series' interned labels).
     */
    public static Labels withSharedNames(String[] sortedNames, String[] values, Labels same) {
        Labels l = withSharedNames(sortedNames, values);
        l.hash = same.hash;
        return l;
    }

    /**
     * A label set with {@code like}'s names (its array shared, not copied) and these values (kept, not copied, not
     * validated: one non-empty value per name of {@code like}); the caller must not modify {@code values} afterwards.
     */
    public static Labels withNamesOf(Labels like, String[] values) {
        if (like.names.length != values.length) throw new IllegalArgumentException(like.names.length + " names but " + values.length + " values");
        return new Labels(like.names, values);
    }

    /** A copy of the sorted names. */
    public String[] names() { return names.clone(); }

    /** True when {@code sortedNames} holds exactly this label set's names, in order. */
    public boolean hasNames(String[] sortedNames) { return Arrays.equals(names, sortedNames); }

    public int size() { return names.length; }
    public String name(int i) { return names[i]; }
    public String value(int i) { return values[i]; }

    /** The value of a label or {@code null} when absent. */
    public String get(String name) {
        int lo = 0, hi = size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = names[mid].compareTo(name);
            if (c == 0) return values[mid];
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

    /**
     * The labels whose names are in {@code keep} (this instance when that is all of them), without a builder:
     * aggregations compute one grouping key per input series with it.
     */
    public Labels keep(java.util.Collection<String> keep) { return filter(keep, true, null); }

    /** The labels except those named in {@code drop} or equal to {@code alsoDrop} (may be null). */
    public Labels drop(java.util.Collection<String> drop, String alsoDrop) { return filter(drop, false, alsoDrop); }

    private Labels filter(java.util.Collection<String> set, boolean keep, String also) {
        int n = names.length, k = 0;
        for (int i = 0; i < n; i++) {
            boolean listed = set.contains(names[i]) || names[i].equals(also);
            if (listed == keep) k++;
        }
        if (k == n) return this;
        if (k == 0) return EMPTY;
        String[] nn = new String[k], vv = new String[k];
        int j = 0;
        for (int i = 0; i < n; i++) {
            boolean listed = set.contains(names[i]) || names[i].equals(also);
            if (listed != keep) continue;
            nn[j] = names[i];
            vv[j++] = values[i];
        }
        return new Labels(nn, vv);
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
        if (o == this) return true;
        if (!(o instanceof Labels l)) return false;
        if (hash != 0 && l.hash != 0 && hash != l.hash) return false;
        return Arrays.equals(values, l.values) && (names == l.names || Arrays.equals(names, l.names));
    }

    /** As {@code Arrays.hashCode} of the interleaved name/value pairs (stable across versions: benchmarks seed from it). */
    @Override public int hashCode() {
        int h = hash;
        if (h == 0) {
            h = 1;
            for (int i = 0; i < names.length; i++) h = 31 * (31 * h + names[i].hashCode()) + values[i].hashCode();
            hash = h;
        }
        return h;
    }

    @Override public int compareTo(Labels o) {
        int n = Math.min(names.length, o.names.length);
        for (int i = 0; i < n; i++) {
            int c = names[i].compareTo(o.names[i]);
            if (c != 0) return c;
            c = values[i].compareTo(o.values[i]);
            if (c != 0) return c;
        }
        return Integer.compare(names.length, o.names.length);
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
