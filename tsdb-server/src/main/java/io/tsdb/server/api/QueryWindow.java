package io.tsdb.server.api;

import io.tsdb.query.ast.AggregateExpr;
import io.tsdb.query.ast.BinaryExpr;
import io.tsdb.query.ast.Call;
import io.tsdb.query.ast.Expr;
import io.tsdb.query.ast.MatrixSelector;
import io.tsdb.query.ast.ParenExpr;
import io.tsdb.query.ast.SubqueryExpr;
import io.tsdb.query.ast.UnaryExpr;
import io.tsdb.query.ast.VectorSelector;
import io.tsdb.query.engine.eval.FunctionDef;

/**
 * Which raw data an evaluation at time t can read: samples in [t - before, t + after]. Used by the range-query
 * cache to know which cached extents a write can change. {@code usesAt} is true when the result at t depends on the
 * query's range, not only on t: an {@code @} modifier (absolute times, start(), end()) or the functions
 * the registry marks as reading the query range (start(), end(), range(), step()); such queries are not cached.
 */
record QueryWindow(long before, long after, boolean usesAt) {
    /** Slack for subquery step alignment and rounding. */
    private static final long SLACK_MS = 60_000;

    static QueryWindow of(Expr e, long lookbackMs, long defaultSubqueryStepMs) {
        return walk(e, lookbackMs, defaultSubqueryStepMs);
    }

    private static QueryWindow walk(Expr e, long lb, long dstep) {
        if (e instanceof VectorSelector vs) {
            return new QueryWindow(vs.offsetMs() + lb + SLACK_MS, -vs.offsetMs(), vs.at() != null);
        }
        if (e instanceof MatrixSelector ms) {
            VectorSelector vs = ms.selector();
            return new QueryWindow(vs.offsetMs() + ms.rangeMs() + SLACK_MS, -vs.offsetMs(), vs.at() != null);
        }
        if (e instanceof SubqueryExpr sq) {
            QueryWindow in = walk(sq.expr(), lb, dstep);
            long step = sq.stepMs() > 0 ? sq.stepMs() : dstep;
            return new QueryWindow(in.before + sq.offsetMs() + sq.rangeMs() + step + SLACK_MS,
                    in.after - sq.offsetMs(), in.usesAt || sq.at() != null);
        }
        if (e instanceof ParenExpr p) return walk(p.expr(), lb, dstep);
        if (e instanceof UnaryExpr u) return walk(u.expr(), lb, dstep);
        if (e instanceof BinaryExpr b) return walk(b.lhs(), lb, dstep).max(walk(b.rhs(), lb, dstep));
        if (e instanceof AggregateExpr a) {
            QueryWindow w = walk(a.expr(), lb, dstep);
            return a.param() == null ? w : w.max(walk(a.param(), lb, dstep));
        }
        if (e instanceof Call c) {
            QueryWindow w = new QueryWindow(0, 0, c.fn() instanceof FunctionDef f && f.readsQueryRange());
            for (Expr arg : c.args()) w = w.max(walk(arg, lb, dstep));
            return w;
        }
        return new QueryWindow(0, 0, false); // literals
    }

    QueryWindow max(QueryWindow o) {
        return new QueryWindow(Math.max(before, o.before), Math.max(after, o.after), usesAt || o.usesAt);
    }
}
