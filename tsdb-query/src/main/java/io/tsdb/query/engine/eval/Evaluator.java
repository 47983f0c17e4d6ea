package io.tsdb.query.engine.eval;

import io.tsdb.query.ast.AggregateExpr;
import io.tsdb.query.ast.BinaryExpr;
import io.tsdb.query.ast.Call;
import io.tsdb.query.ast.Expr;
import io.tsdb.query.ast.MatrixSelector;
import io.tsdb.query.ast.NumberLiteral;
import io.tsdb.query.ast.ParenExpr;
import io.tsdb.query.ast.StringLiteral;
import io.tsdb.query.ast.SubqueryExpr;
import io.tsdb.query.ast.UnaryExpr;
import io.tsdb.query.ast.VectorSelector;
import io.tsdb.query.engine.eval.Vals.MatVal;
import io.tsdb.query.engine.eval.Vals.RangeSeries;
import io.tsdb.query.engine.eval.Vals.Row;
import io.tsdb.query.engine.eval.Vals.ScalarVal;
import io.tsdb.query.engine.eval.Vals.StrVal;
import io.tsdb.query.engine.eval.Vals.Val;
import io.tsdb.query.engine.eval.Vals.VecVal;

import java.util.ArrayList;
import java.util.Arrays;

/**
 * Evaluates an expression over an array of step timestamps at once (column-wise): an instant query is
 * the one-step case, a range query evaluates every node once for all steps.
 */
public final class Evaluator {
    final EvalContext cx;
    final Selectors selectors;
    final RangeEval ranges;
    final Aggregations aggregations;
    final BinaryOps binaryOps;
    /** Scratch for per-histogram statistics (quantile, fraction, variance); made at first use (most queries have none). */
    private NativeHistograms nativeHistograms;

    public Evaluator(EvalContext cx) {
        this.cx = cx;
        this.selectors = new Selectors(cx);
        this.ranges = new RangeEval(this);
        this.aggregations = new Aggregations(this);
        this.binaryOps = new BinaryOps(this);
    }

    public EvalContext context() { return cx; }

    NativeHistograms nativeHistograms() {
        if (nativeHistograms == null) nativeHistograms = new NativeHistograms();
        return nativeHistograms;
    }

    /** Hands this evaluation's reusable read columns to its thread's next query (see {@link Selectors#release}). */
    public void release() { selectors.release(); }

    /** Evaluates e at every timestamp of ts (ascending). Range-vector expressions only for one step. */
    public Val eval(Expr e, long[] ts) {
        cx.checkDeadline();
        long before = cx.currentSamples;
        Val v = doEval(e, ts);
        // Children's intermediate results are garbage now; only this node's output stays in memory.
        cx.releaseSamples(cx.currentSamples - before);
        cx.addSamples(points(v));
        return v;
    }

    /**
     * Memory footprint of a value in samples. Instant vectors are counted by allocated cells (series x steps),
     * which bounds memory even for sparse series.
     */
    static long points(Val v) {
        if (v instanceof VecVal vv) {
            long n = 0;
            for (Row r : vv.rows) n += r.v.length;
            return n;
        }
        if (v instanceof MatVal m) {
            long n = 0;
            for (RangeSeries s : m.series) n += s.n;
            return n;
        }
        if (v instanceof ScalarVal s) return s.v.length;
        return 0;
    }

    private Val doEval(Expr e, long[] ts) {
        if (e instanceof NumberLiteral n) {
            double[] v = new double[ts.length];
            Arrays.fill(v, n.value());
            return new ScalarVal(v);
        }
        if (e instanceof StringLiteral s) return new StrVal(s.value());
        if (e instanceof ParenExpr p) return eval(p.expr(), ts);
        if (e instanceof UnaryExpr u) return unary(u, ts);
        if (e instanceof VectorSelector vs) return selectors.instant(vs, ts, false);
        if (e instanceof MatrixSelector || e instanceof SubqueryExpr) return ranges.matrix(e, ts);
        if (e instanceof BinaryExpr b) return binaryOps.eval(b, ts);
        if (e instanceof AggregateExpr a) return aggregations.eval(a, ts);
        if (e instanceof Call c) return ((FunctionDef) c.fn()).impl().eval(this, c, ts); // resolved by the parser
        throw new IllegalStateException("unknown expression " + e);
    }

    private Val unary(UnaryExpr u, long[] ts) {
        Val v = eval(u.expr(), ts);
        if (!u.negate()) return v;
        if (v instanceof ScalarVal s) {
            double[] o = new double[s.v.length];
            for (int i = 0; i < o.length; i++) o[i] = -s.v[i];
            return new ScalarVal(o);
        }
        VecVal vv = (VecVal) v;
        ArrayList<Row> rows = new ArrayList<>(vv.rows.size());
        for (Row r : vv.rows) {
            double[] o = r.v.clone();
            for (int i = 0; i < o.length; i++) if (Vals.present(o[i])) o[i] = -o[i];
            io.tsdb.core.histogram.FloatHistogram[] h = null;
            if (r.h != null) {
                h = new io.tsdb.core.histogram.FloatHistogram[o.length];
                for (int i = 0; i < o.length; i++) {
                    if (r.h[i] == null) continue;
                    h[i] = new io.tsdb.core.histogram.FloatHistogram().copyFrom(r.h[i]).mul(-1);
                    h[i].hint = io.tsdb.core.histogram.CounterResetHint.GAUGE;
                }
            }
            rows.add(new Row(r.labels, o, h, true));
        }
        return new VecVal(rows);
    }

    /** Evaluates an expression that must be an instant vector. */
    VecVal vec(Expr e, long[] ts) {
        Val v = eval(e, ts);
        if (v instanceof VecVal vv) return vv;
        throw EvalContext.execError("expected instant vector, got " + e.type().description);
    }

    /** Evaluates an expression that must be a string. */
    String str(Expr e, long[] ts) {
        Val v = eval(e, ts);
        if (v instanceof StrVal s) return s.s();
        throw EvalContext.execError("expected string, got " + e.type().description);
    }

    /** Evaluates an expression that must be a scalar (parameters of functions and aggregations). */
    double[] scalar(Expr e, long[] ts) {
        Val v = eval(e, ts);
        if (v instanceof ScalarVal s) return s.v;
        throw EvalContext.execError("expected scalar, got " + e.type().description);
    }
}
