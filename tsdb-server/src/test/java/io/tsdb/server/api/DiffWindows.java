package io.tsdb.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.tsdb.query.ast.AtModifier;
import io.tsdb.query.ast.Call;
import io.tsdb.query.ast.Expr;
import io.tsdb.query.ast.MatrixSelector;
import io.tsdb.query.ast.ParenExpr;
import io.tsdb.query.ast.SubqueryExpr;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The raw samples a range function saw: for a reproduction {@code f(m, ...)} whose m is a range selector or a
 * subquery, reads {@code m} as an instant query at every time one of the answers has a point, on either side. The
 * checks that recompute a range function from its inputs (counter extrapolation, linear regression) use it.
 */
final class DiffWindows {
    private DiffWindows() {}

    /** One series' samples in the window (start, end] (2.42's window is [start, end]) of the evaluation at t seconds. */
    record Window(String key, double t, long start, long end, long[] ts, double[] vs) {
        int n() { return ts.length; }
    }

    /** The function call at the top of the reproduction, or null. */
    static Call topCall(DiffCase c, java.util.Set<String> functions) {
        Expr top = c.expr();
        while (top instanceof ParenExpr p) top = p.expr();
        return top instanceof Call f && functions.contains(f.function()) ? f : null;
    }

    /** The range argument of f (a selector or a subquery), or null. */
    static Expr rangeArg(Call f) {
        Expr m = f.args().get(0);
        while (m instanceof ParenExpr p) m = p.expr();
        return m instanceof MatrixSelector || m instanceof SubqueryExpr ? m : null;
    }

    /** Every time (seconds) at which either answer has a point. */
    static TreeSet<Double> answeredTimes(JsonNode[] answers) {
        TreeSet<Double> times = new TreeSet<>();
        for (JsonNode a : answers) for (Map<Double, Double> p : DiffComparator.points(a).values()) times.addAll(p.keySet());
        return times;
    }

    /**
     * The windows of m at each time, by series key (labels without the metric name, as the function's output has
     * them), read from one side (0 reference, 1 ours); null when m cannot be read as a range vector there.
     */
    static Map<Double, Map<String, Window>> read(DiffCase c, Expr m, TreeSet<Double> times, DiffKnownDifferences.Runner runner, int side)
            throws Exception {
        long offset, rangeMs;
        AtModifier at;
        if (m instanceof MatrixSelector ms) {
            offset = ms.selector().offsetMs();
            at = ms.selector().at();
            rangeMs = ms.rangeMs();
        } else {
            SubqueryExpr sq = (SubqueryExpr) m;
            offset = sq.offsetMs();
            at = sq.at();
            rangeMs = sq.rangeMs();
        }
        Map<Double, Map<String, Window>> out = new TreeMap<>();
        for (double t : times) {
            long tMs = Math.round(t * 1000);
            long evalEnd = at == null ? tMs : switch (at.kind()) {
                case START -> c.range() ? c.start() : c.time();
                case END -> c.range() ? c.end() : c.time();
                case TIMESTAMP -> at.timestampMs();
            };
            long windowEnd = evalEnd - offset, windowStart = windowEnd - rangeMs;
            JsonNode raw = runner.run(DiffCase.instant(m, tMs))[side];
            if (!"matrix".equals(raw.at("/data/resultType").asText())) return null;
            Map<String, Window> byKey = new TreeMap<>();
            for (JsonNode s : raw.at("/data/result")) {
                JsonNode vals = s.get("values");
                int n = vals.size();
                long[] ts = new long[n];
                double[] vs = new double[n];
                for (int i = 0; i < n; i++) {
                    ts[i] = new BigDecimal(vals.get(i).get(0).asText()).movePointRight(3).longValueExact();
                    vs[i] = DiffComparator.parse(vals.get(i).get(1).asText());
                }
                String key = DiffComparator.key(((com.fasterxml.jackson.databind.node.ObjectNode) s.get("metric").deepCopy()).without("__name__"));
                byKey.put(key, new Window(key, t, windowStart, windowEnd, ts, vs));
            }
            out.put(t, byKey);
        }
        return out;
    }

    /** The window without a sample exactly at its start (3.x's left-open window; 2.42 includes it). */
    static Window leftOpen(Window w) {
        if (w.n() == 0 || w.ts()[0] != w.start()) return w;
        return new Window(w.key(), w.t(), w.start(), w.end(), java.util.Arrays.copyOfRange(w.ts(), 1, w.n()),
                java.util.Arrays.copyOfRange(w.vs(), 1, w.n()));
    }

    /** All keys answered at t on either side. */
    static List<String> keysAt(double t, Map<String, Map<Double, Double>> ref, Map<String, Map<Double, Double>> ours) {
        TreeSet<String> keys = new TreeSet<>();
        for (Map.Entry<String, Map<Double, Double>> e : ref.entrySet()) if (e.getValue().containsKey(t)) keys.add(e.getKey());
        for (Map.Entry<String, Map<Double, Double>> e : ours.entrySet()) if (e.getValue().containsKey(t)) keys.add(e.getKey());
        return new ArrayList<>(keys);
    }
}
