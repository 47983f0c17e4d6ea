package io.tsdb.query.parser;

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

/** Test helpers over the AST. */
final class Ast {
    private Ast() {}

    /** The same tree with every position set to 0, for structural comparison. */
    static Expr strip(Expr e) {
        if (e instanceof NumberLiteral n) return new NumberLiteral(n.value(), 0);
        if (e instanceof StringLiteral s) return new StringLiteral(s.value(), 0);
        if (e instanceof ParenExpr p) return new ParenExpr(strip(p.expr()), 0);
        if (e instanceof VectorSelector v) return new VectorSelector(v.name(), v.matchers(), v.offsetMs(), v.at(), 0);
        if (e instanceof MatrixSelector m) return new MatrixSelector((VectorSelector) strip(m.selector()), m.rangeMs(), 0);
        if (e instanceof SubqueryExpr s) return new SubqueryExpr(strip(s.expr()), s.rangeMs(), s.stepMs(), s.offsetMs(), s.at(), 0);
        if (e instanceof UnaryExpr u) return new UnaryExpr(u.negate(), strip(u.expr()), 0);
        if (e instanceof BinaryExpr b) return new BinaryExpr(b.op(), strip(b.lhs()), strip(b.rhs()), b.matching(), b.returnBool(), 0);
        if (e instanceof AggregateExpr a) {
            return new AggregateExpr(a.op(), strip(a.expr()), a.param() == null ? null : strip(a.param()), a.grouping(), a.without(), 0);
        }
        if (e instanceof Call c) return new Call(c.fn(), c.args().stream().map(Ast::strip).toList(), 0);
        throw new IllegalArgumentException(String.valueOf(e));
    }

    /** Fully parenthesized structure, for precedence tests: ((a + (b * c))). */
    static String structure(Expr e) {
        if (e instanceof BinaryExpr b) return "(" + structure(b.lhs()) + " " + b.op().symbol + " " + structure(b.rhs()) + ")";
        if (e instanceof UnaryExpr u) return "(" + (u.negate() ? "-" : "+") + structure(u.expr()) + ")";
        if (e instanceof ParenExpr p) return structure(p.expr());
        return Printer.print(e);
    }
}
