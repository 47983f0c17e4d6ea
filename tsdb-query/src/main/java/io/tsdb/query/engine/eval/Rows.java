package io.tsdb.query.engine.eval;

import io.tsdb.core.Labels;
import io.tsdb.query.engine.eval.Vals.Row;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Helpers over lists of rows. */
public final class Rows {
    private Rows() {}

    public static final String DUPLICATE_LABELSET = "vector cannot contain metrics with the same labelset";

    /** Removes __name__, __type__ and __unit__ (Prometheus' metadata labels). */
    public static Labels dropMetadata(Labels l) {
        if (!l.has(Labels.METRIC_NAME) && !l.has("__type__") && !l.has("__unit__")) return l;
        return l.toBuilder().del(Labels.METRIC_NAME).del("__type__").del("__unit__").build();
    }

    /** Prometheus' labels.Labels.String() form: {@code {__name__="x", a="b"}}. */
    public static String promString(Labels l) {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < l.size(); i++) {
            if (i > 0) sb.append(", ");
            String n = l.name(i);
            if (n.matches("[a-zA-Z_][a-zA-Z0-9_]*")) sb.append(n); else quote(sb, n);
            sb.append('=');
            quote(sb, l.value(i));
        }
        return sb.append('}').toString();
    }

    static void quote(StringBuilder sb, String v) {
        sb.append('"');
        for (int j = 0; j < v.length(); j++) {
            char c = v.charAt(j);
            switch (c) {
                case '\\' -> sb.append("\\\\");
                case '"' -> sb.append("\\\"");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                default -> sb.append(c);
            }
        }
        sb.append('"');
    }

    /**
     * Merges rows that have identical label sets (e.g. after a relabel or dropping names) when their
     * points do not overlap in time; overlapping points fail as Prometheus does.
     */
    /** Whether the rows' label sets are in strictly increasing order (so no two are the same). */
    public static boolean strictlyOrdered(List<Row> rows) {
        for (int i = 1; i < rows.size(); i++) {
            if (rows.get(i - 1).labels.compareTo(rows.get(i).labels) >= 0) return false;
        }
        return true;
    }

    public static List<Row> mergeSameLabels(List<Row> rows) {
        if (rows.size() <= 1) return rows;
        Map<Labels, Row> seen = new HashMap<>(rows.size() * 2);
        List<Row> out = new ArrayList<>(rows.size());
        boolean merged = false;
        for (Row r : rows) {
            Row prev = seen.putIfAbsent(r.labels, r);
            if (prev == null) {
                out.add(r);
                continue;
            }
            merged = true;
            double[] a = prev.v.clone();
            Row m = new Row(prev.labels, a, prev.h == null ? null : prev.h.clone(), prev.dropName);
            for (int i = 0; i < a.length; i++) {
                if (r.has(i)) {
                    if (m.has(i)) throw EvalContext.execError(DUPLICATE_LABELSET);
                    if (r.hist(i) != null) m.setHist(i, r.hist(i)); else a[i] = r.v[i];
                }
            }
            seen.put(r.labels, m);
            out.set(out.indexOf(prev), m);
        }
        return merged ? out : rows;
    }
}
