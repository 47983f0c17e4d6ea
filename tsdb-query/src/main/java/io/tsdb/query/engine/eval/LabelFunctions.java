package io.tsdb.query.engine.eval;

import io.tsdb.core.Labels;
import io.tsdb.query.ast.Call;
import io.tsdb.query.ast.Expr;
import io.tsdb.query.ast.MatrixSelector;
import io.tsdb.query.ast.ValueType;
import io.tsdb.query.ast.VectorSelector;
import io.tsdb.query.engine.eval.FunctionDef.ArgError;
import io.tsdb.query.engine.eval.FunctionDef.Special;
import io.tsdb.query.engine.eval.FunctionRegistry.Builder;
import io.tsdb.query.engine.eval.Vals.Row;
import io.tsdb.query.engine.eval.Vals.Val;
import io.tsdb.query.engine.eval.Vals.VecVal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import static io.tsdb.query.engine.eval.FunctionRegistry.ANY_VECTOR;
import static io.tsdb.query.engine.eval.FunctionRegistry.FLOAT_VECTOR;
import static io.tsdb.query.engine.eval.FunctionRegistry.STRING;

/**
 * The registry's functions of labels and presence: label_replace, label_join, the sorts, absent, timestamp,
 * start_timestamp and info. They take float and histogram samples alike (sort and sort_desc order floats only).
 */
final class LabelFunctions {
    private LabelFunctions() {}

    static void declare(Builder b) {
        b.sameVector("label_replace").args(ANY_VECTOR, STRING, STRING, STRING, STRING).impl((Special) LabelFunctions::labelReplace);
        b.sameVector("label_join").args(ANY_VECTOR, STRING, STRING, STRING).variadic(-1).impl((Special) LabelFunctions::labelJoin);
        b.sameVector("sort").args(FLOAT_VECTOR).impl((Special) (ev, c, ts) -> sort(ev, c, ts, false, false));
        b.sameVector("sort_desc").args(FLOAT_VECTOR).impl((Special) (ev, c, ts) -> sort(ev, c, ts, false, true));
        b.sameVector("sort_by_label").args(ANY_VECTOR, STRING).variadic(-1).experimental().impl((Special) (ev, c, ts) ->
                sort(ev, c, ts, true, false));
        b.sameVector("sort_by_label_desc").args(ANY_VECTOR, STRING).variadic(-1).experimental().impl((Special) (ev, c, ts) ->
                sort(ev, c, ts, true, true));
        b.vector("absent").args(ANY_VECTOR).impl((Special) LabelFunctions::absent);
        b.vector("timestamp").args(ANY_VECTOR).readsEvalTime().impl((Special) LabelFunctions::timestamp);
        // Upstream's experimental start (created) timestamp of samples: accepted by the parser, but storage keeps
        // no start timestamps yet.
        b.vector("start_timestamp").args(ANY_VECTOR).experimental().impl((Special) (ev, c, ts) -> {
            throw EvalContext.execError("function \"start_timestamp\" is not supported");
        });
        b.sameVector("info").args(ANY_VECTOR, ANY_VECTOR).variadic(1).experimental().check(LabelFunctions::infoArgs)
                .impl((Special) InfoFunction::eval);
    }

    /** info's second argument is a label selector without a metric name (checked before argument types). */
    private static ArgError infoArgs(List<Expr> args) {
        if (args.size() < 2) return null;
        Expr second = args.get(1);
        if (second.type() != ValueType.VECTOR) {
            return new ArgError(-1, "expected type instant vector in call to function \"info\", got " + second.type().description);
        }
        if (second instanceof VectorSelector vs) {
            return vs.name() != null ? new ArgError(vs.pos(), "expected label selectors only, got vector selector instead") : null;
        }
        return new ArgError(second.pos(), "expected label selectors only");
    }

    private static Val timestamp(Evaluator ev, Call c, long[] ts) {
        Expr a = RangeEval.unwrap(c.args().get(0));
        if (a instanceof VectorSelector vs) {
            VecVal v;
            if (vs.at() != null && vs.offsetMs() != 0) {
                // Prometheus (2.x and 3.x) evaluates timestamp(x @ t offset o) at t, ignoring the offset, over
                // the samples its storage querier was opened for: [t - o - lookback, t - o].
                long at = ev.selectors.effectiveTimes(vs.at(), 0, new long[]{ts[0]})[0], o = vs.offsetMs();
                VectorSelector atOnly = new VectorSelector(vs.name(), vs.matchers(), 0, vs.at(), vs.pos());
                List<Row> rows = new ArrayList<>();
                ev.selectors.instant(atOnly, ts, true, at - o - ev.cx.lookbackMs, at - o, r -> {
                    ev.cx.addSamples(r.v.length);
                    rows.add(r);
                });
                v = new VecVal(rows);
            } else {
                v = ev.selectors.instant(vs, ts, true);
            }
            for (Row r : v.rows) r.dropName = true;
            return v;
        }
        return FunctionSupport.mapRows(ev.vec(c.args().get(0), ts), (i, x) -> ts[i] / 1000.0);
    }

    private static Val absent(Evaluator ev, Call c, long[] ts) {
        VecVal v = ev.vec(c.args().get(0), ts);
        double[] out = Row.empty(ts.length);
        boolean any = false;
        for (int i = 0; i < ts.length; i++) {
            boolean present = false;
            for (Row r : v.rows) if (r.has(i)) { present = true; break; }
            if (!present) { out[i] = 1; any = true; }
        }
        List<Row> rows = new ArrayList<>();
        if (any) {
            Expr a = c.args().get(0);
            Labels l = Labels.EMPTY;
            if (a instanceof VectorSelector vs) l = RangeEval.absentLabels(vs.matchers());
            else if (a instanceof MatrixSelector ms) l = RangeEval.absentLabels(ms.selector().matchers());
            rows.add(new Row(l, out, false));
        }
        return new VecVal(rows);
    }

    /** By the first step's value, ascending or descending, NaN last either way. */
    private static int byValue(Row a, Row b, boolean desc) {
        double x = a.v[0], y = b.v[0];
        if (Double.isNaN(x) && Double.isNaN(y)) return 0;
        if (Double.isNaN(x)) return 1;
        if (Double.isNaN(y)) return -1;
        return desc ? Double.compare(y, x) : Double.compare(x, y);
    }

    /** sort/sort_desc (by value) and sort_by_label[_desc] (by the labels the arguments name, then all labels). */
    private static Val sort(Evaluator ev, Call c, long[] ts, boolean byLabels, boolean desc) {
        VecVal v = ev.vec(c.args().get(0), ts);
        if (ts.length > 1) {
            ev.cx.warn("sort is ineffective for range queries since results are always ordered by labels", c.pos());
            return v;
        }
        List<Row> rows = new ArrayList<>(v.rows.size());
        for (Row r : v.rows) {
            if (byLabels || r.h == null) rows.add(r);
            else if (Vals.present(r.v[0])) rows.add(new Row(r.labels, r.v, r.dropName)); // sort orders floats only
        }
        Comparator<Row> cmp;
        if (byLabels) {
            List<String> labels = new ArrayList<>();
            for (int i = 1; i < c.args().size(); i++) labels.add(ev.str(c.args().get(i), ts));
            cmp = (a, b) -> {
                for (String l : labels) {
                    String x = FunctionSupport.nz(a.labels.get(l)), y = FunctionSupport.nz(b.labels.get(l));
                    if (x.equals(y)) continue;
                    int r = NatSort.less(x, y) ? -1 : 1;
                    return desc ? -r : r;
                }
                int r = a.labels.compareTo(b.labels);
                return desc ? -r : r;
            };
        } else {
            cmp = (a, b) -> byValue(a, b, desc);
        }
        rows.sort(cmp);
        VecVal out = new VecVal(rows);
        out.ordered = true;
        return out;
    }

    private static Val labelReplace(Evaluator ev, Call c, long[] ts) {
        List<Expr> args = c.args();
        String dst = ev.str(args.get(1), ts), repl = ev.str(args.get(2), ts), src = ev.str(args.get(3), ts);
        String re = ev.str(args.get(4), ts);
        Pattern p;
        try {
            p = Pattern.compile("^(?s:" + re + ")$");
        } catch (PatternSyntaxException e) {
            throw EvalContext.execError("invalid regular expression in label_replace(): " + re);
        }
        if (!FunctionSupport.validLabelName(dst)) throw EvalContext.execError("invalid destination label name in label_replace(): " + dst);
        VecVal v = ev.vec(args.get(0), ts);
        List<Row> rows = new ArrayList<>(v.rows.size());
        for (Row r : v.rows) {
            String sv = FunctionSupport.nz(r.labels.get(src));
            java.util.regex.Matcher m = p.matcher(sv);
            if (m.matches()) {
                String res = GoRegex.expand(repl, m);
                Labels nl = r.labels.toBuilder().set(dst, res).build();
                rows.add(new Row(nl, r.v, r.h, dst.equals(Labels.METRIC_NAME) ? false : r.dropName));
            } else {
                rows.add(r);
            }
        }
        return new VecVal(Rows.mergeSameLabels(rows));
    }

    private static Val labelJoin(Evaluator ev, Call c, long[] ts) {
        List<Expr> args = c.args();
        String dst = ev.str(args.get(1), ts), sep = ev.str(args.get(2), ts);
        List<String> srcs = new ArrayList<>();
        for (int i = 3; i < args.size(); i++) {
            String s = ev.str(args.get(i), ts);
            if (!FunctionSupport.validLabelName(s)) throw EvalContext.execError("invalid source label name in label_join(): " + s);
            srcs.add(s);
        }
        if (!FunctionSupport.validLabelName(dst)) throw EvalContext.execError("invalid destination label name in label_join(): " + dst);
        VecVal v = ev.vec(args.get(0), ts);
        List<Row> rows = new ArrayList<>(v.rows.size());
        for (Row r : v.rows) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < srcs.size(); i++) {
                if (i > 0) sb.append(sep);
                sb.append(FunctionSupport.nz(r.labels.get(srcs.get(i))));
            }
            Labels nl = r.labels.toBuilder().set(dst, sb.toString()).build();
            rows.add(new Row(nl, r.v, dst.equals(Labels.METRIC_NAME) ? false : r.dropName));
        }
        return new VecVal(Rows.mergeSameLabels(rows));
    }
}
