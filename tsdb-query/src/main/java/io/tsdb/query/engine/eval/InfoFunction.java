package io.tsdb.query.engine.eval;

import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.query.ast.AggregateExpr;
import io.tsdb.query.ast.AtModifier;
import io.tsdb.query.ast.BinaryExpr;
import io.tsdb.query.ast.Call;
import io.tsdb.query.ast.Expr;
import io.tsdb.query.ast.MatrixSelector;
import io.tsdb.query.ast.ParenExpr;
import io.tsdb.query.ast.SubqueryExpr;
import io.tsdb.query.ast.UnaryExpr;
import io.tsdb.query.ast.VectorSelector;
import io.tsdb.query.engine.eval.Vals.Row;
import io.tsdb.query.engine.eval.Vals.VecVal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The experimental {@code info(v [, {data-label selector}])} function: enriches series with the data
 * labels of info metrics (target_info by default) joined on the identifying labels instance and job.
 */
final class InfoFunction {
    private InfoFunction() {}

    private static final List<String> IDENTIFYING = List.of("instance", "job");
    private static final String TARGET_INFO = "target_info";

    private record Timing(AtModifier at, long offset) {}

    /** The @ and offset of the first selector in the expression (and of enclosing subqueries). */
    private static Timing timing(Expr e, AtModifier subAt, long subOffset) {
        if (e instanceof VectorSelector vs) {
            return vs.at() != null ? new Timing(vs.at(), vs.offsetMs()) : new Timing(subAt, vs.offsetMs() + subOffset);
        }
        if (e instanceof MatrixSelector ms) return timing(ms.selector(), subAt, subOffset);
        if (e instanceof SubqueryExpr s) {
            return timing(s.expr(), subAt != null ? subAt : s.at(), subAt != null ? subOffset : subOffset + s.offsetMs());
        }
        List<Expr> kids = new ArrayList<>();
        if (e instanceof ParenExpr p) kids.add(p.expr());
        else if (e instanceof UnaryExpr u) kids.add(u.expr());
        else if (e instanceof BinaryExpr b) { kids.add(b.lhs()); kids.add(b.rhs()); }
        else if (e instanceof AggregateExpr a) { if (a.param() != null) kids.add(a.param()); kids.add(a.expr()); }
        else if (e instanceof Call c) kids.addAll(c.args());
        for (Expr k : kids) {
            Timing t = timing(k, subAt, subOffset);
            if (t != null) return t;
        }
        return null;
    }

    private static List<Matcher> effectiveNameMatchers(List<Matcher> ms) {
        for (Matcher m : ms) if (m.type() == Matcher.Type.EQ || m.type() == Matcher.Type.RE) return ms;
        if (!ms.isEmpty()) {
            List<Matcher> out = new ArrayList<>();
            out.add(Matcher.re(Labels.METRIC_NAME, ".+_info"));
            out.addAll(ms);
            return out;
        }
        return List.of(Matcher.eq(Labels.METRIC_NAME, TARGET_INFO));
    }

    private static String sig(String infoName, Labels l) {
        StringBuilder sb = new StringBuilder(infoName);
        for (String id : IDENTIFYING) sb.append('\u0000').append(FunctionSupport.nz(l.get(id)));
        return sb.toString();
    }

    static VecVal eval(Evaluator ev, Call c, long[] ts) {
        Expr arg0 = c.args().get(0);
        Timing timing = timing(arg0, null, 0);
        VecVal base = ev.vec(arg0, ts);
        Map<String, List<Matcher>> dataMatchers = new LinkedHashMap<>();
        List<Matcher> infoNameMatchers = new ArrayList<>();
        if (c.args().size() > 1) {
            VectorSelector sel = (VectorSelector) RangeEval.unwrap(c.args().get(1));
            for (Matcher m : sel.matchers()) {
                dataMatchers.computeIfAbsent(m.name(), k -> new ArrayList<>()).add(m);
                if (m.name().equals(Labels.METRIC_NAME)) infoNameMatchers.add(m);
            }
        } else {
            infoNameMatchers.add(Matcher.eq(Labels.METRIC_NAME, TARGET_INFO));
        }
        List<Matcher> effective = effectiveNameMatchers(infoNameMatchers);
        boolean[] ignore = new boolean[base.rows.size()];
        Map<String, Set<String>> idValues = new LinkedHashMap<>();
        for (int r = 0; r < base.rows.size(); r++) {
            Labels l = base.rows.get(r).labels;
            String name = FunctionSupport.nz(l.metricName());
            boolean all = true;
            for (Matcher m : effective) if (!m.matches(name)) { all = false; break; }
            ignore[r] = all;
            if (all) continue;
            for (String id : IDENTIFYING) {
                String v = l.get(id);
                if (v != null && !v.isEmpty()) idValues.computeIfAbsent(id, k -> new LinkedHashSet<>()).add(v);
            }
        }
        List<Matcher> nameMatchers = new ArrayList<>();
        List<Matcher> infoMatchers = new ArrayList<>();
        for (List<Matcher> ms : dataMatchers.values()) {
            for (Matcher m : ms) {
                if (m.name().equals(Labels.METRIC_NAME)) nameMatchers.add(m); else infoMatchers.add(m);
            }
        }
        dataMatchers.remove(Labels.METRIC_NAME);
        VecVal info = VecVal.empty();
        if (!idValues.isEmpty()) {
            List<Matcher> ms = new ArrayList<>();
            for (var e : idValues.entrySet()) {
                StringBuilder re = new StringBuilder();
                for (String v : e.getValue()) {
                    if (re.length() > 0) re.append('|');
                    re.append(Pattern.quote(v));
                }
                ms.add(Matcher.re(e.getKey(), re.toString()));
            }
            ms.addAll(infoMatchers);
            ms.addAll(effectiveNameMatchers(nameMatchers));
            VectorSelector vs = new VectorSelector(null, ms, timing == null ? 0 : timing.offset,
                    timing == null ? null : timing.at, c.pos());
            info = ev.selectors.instant(vs, ts, true); // values: sample timestamps, to prefer the newest
        }
        Set<String> infoNames = new LinkedHashSet<>();
        for (Row r : info.rows) infoNames.add(FunctionSupport.nz(r.labels.metricName()));
        String[][] baseSigs = new String[base.rows.size()][];
        List<String> names = new ArrayList<>(infoNames);
        for (int r = 0; r < base.rows.size(); r++) {
            baseSigs[r] = new String[names.size()];
            for (int k = 0; k < names.size(); k++) baseSigs[r][k] = sig(names.get(k), base.rows.get(r).labels);
        }
        String[] infoSigs = new String[info.rows.size()];
        for (int r = 0; r < info.rows.size(); r++) infoSigs[r] = sig(FunctionSupport.nz(info.rows.get(r).labels.metricName()), info.rows.get(r).labels);
        boolean allMatchEmpty = true;
        for (List<Matcher> ms : dataMatchers.values()) for (Matcher m : ms) if (!m.matchesEmpty()) allMatchEmpty = false;

        Map<Labels, Row> out = new LinkedHashMap<>();
        Map<String, Integer> right = new HashMap<>();
        int steps = ts.length;
        for (int i = 0; i < steps; i++) {
            ev.cx.checkDeadline();
            right.clear();
            for (int r = 0; r < info.rows.size(); r++) {
                double origT = info.rows.get(r).v[i];
                if (Vals.absent(origT)) continue;
                Integer ex = right.get(infoSigs[r]);
                if (ex == null) { right.put(infoSigs[r], r); continue; }
                double exT = info.rows.get(ex).v[i];
                if (exT < origT) right.put(infoSigs[r], r);
                else if (exT == origT) {
                    throw EvalContext.execError("found duplicate series for info metric: existing "
                            + Rows.promString(info.rows.get(ex).labels) + " @ " + (long) (exT * 1000) + ", new "
                            + Rows.promString(info.rows.get(r).labels) + " @ " + (long) (origT * 1000));
                }
            }
            for (int r = 0; r < base.rows.size(); r++) {
                Row b = base.rows.get(r);
                double x = b.v[i];
                if (!b.has(i)) continue;
                Labels result;
                if (ignore[r]) {
                    result = b.labels;
                } else {
                    Map<String, String> add = new HashMap<>();
                    Set<String> seen = new HashSet<>();
                    for (int k = 0; k < names.size(); k++) {
                        Integer ir = right.get(baseSigs[r][k]);
                        if (ir == null || seen.contains(names.get(k))) continue;
                        Labels il = info.rows.get(ir).labels;
                        for (int j = 0; j < il.size(); j++) {
                            String n = il.name(j), v = il.value(j);
                            if (n.equals(Labels.METRIC_NAME)) continue;
                            if (!dataMatchers.isEmpty() && !dataMatchers.containsKey(n)) continue;
                            String cur = add.get(n);
                            if (cur != null && !cur.equals(v)) throw EvalContext.execError("conflicting label: " + n);
                            if (b.labels.has(n)) continue;
                            add.put(n, v);
                        }
                        seen.add(names.get(k));
                    }
                    if (seen.isEmpty() && !allMatchEmpty) continue;
                    Labels.Builder lb = b.labels.toBuilder();
                    for (var e : add.entrySet()) lb.set(e.getKey(), e.getValue());
                    result = lb.build();
                }
                Row o = out.get(result);
                if (o == null) {
                    o = new Row(result, Row.empty(steps), b.dropName);
                    out.put(result, o);
                } else if (o.has(i)) {
                    throw EvalContext.execError(Rows.DUPLICATE_LABELSET);
                }
                if (b.hist(i) != null) o.setHist(i, b.hist(i)); else o.v[i] = x;
            }
        }
        return new VecVal(new ArrayList<>(out.values()));
    }
}
