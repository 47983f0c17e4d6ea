package io.tsdb.query.promqltest;

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
import io.tsdb.query.engine.eval.FunctionDef;

import java.util.ArrayList;
import java.util.List;

/**
 * The promqltest "@ modifier" re-check: sets {@code @ evalTime} on every selector and subquery that has
 * none (not descending into subqueries, which get the @ themselves), unless the query uses a function
 * whose result varies with evaluation time (the registry's {@link FunctionDef#readsEvalTime()}).
 */
final class AtRewriter {
    private AtRewriter() {}

    static boolean containsUnsafe(Expr e) {
        if (e instanceof Call c) {
            if (((FunctionDef) c.fn()).readsEvalTime()) return true;
            for (Expr a : c.args()) if (containsUnsafe(a)) return true;
            return false;
        }
        if (e instanceof ParenExpr p) return containsUnsafe(p.expr());
        if (e instanceof UnaryExpr u) return containsUnsafe(u.expr());
        if (e instanceof BinaryExpr b) return containsUnsafe(b.lhs()) || containsUnsafe(b.rhs());
        if (e instanceof AggregateExpr a) return (a.param() != null && containsUnsafe(a.param())) || containsUnsafe(a.expr());
        if (e instanceof SubqueryExpr s) return containsUnsafe(s.expr());
        return false;
    }

    static Expr rewrite(Expr e, long ts) {
        AtModifier at = AtModifier.at(ts);
        if (e instanceof VectorSelector vs) {
            return vs.at() != null ? vs : new VectorSelector(vs.name(), vs.matchers(), vs.offsetMs(), at, vs.pos());
        }
        if (e instanceof MatrixSelector ms) {
            return new MatrixSelector((VectorSelector) rewrite(ms.selector(), ts), ms.rangeMs(), ms.pos());
        }
        if (e instanceof SubqueryExpr s) {
            // Selectors inside a subquery never get the @ (the subquery itself has one now).
            return s.at() != null ? s : new SubqueryExpr(s.expr(), s.rangeMs(), s.stepMs(), s.offsetMs(), at, s.pos());
        }
        if (e instanceof ParenExpr p) return new ParenExpr(rewrite(p.expr(), ts), p.pos());
        if (e instanceof UnaryExpr u) return new UnaryExpr(u.negate(), rewrite(u.expr(), ts), u.pos());
        if (e instanceof BinaryExpr b) {
            return new BinaryExpr(b.op(), rewrite(b.lhs(), ts), rewrite(b.rhs(), ts), b.matching(), b.returnBool(), b.pos());
        }
        if (e instanceof AggregateExpr a) {
            return new AggregateExpr(a.op(), rewrite(a.expr(), ts), a.param() == null ? null : rewrite(a.param(), ts),
                    a.grouping(), a.without(), a.pos());
        }
        if (e instanceof Call c) {
            List<Expr> args = new ArrayList<>();
            for (Expr a : c.args()) args.add(rewrite(a, ts));
            return new Call(c.fn(), args, c.pos());
        }
        return e;
    }
}
