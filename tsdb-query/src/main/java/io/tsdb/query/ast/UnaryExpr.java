package io.tsdb.query.ast;

/** Unary minus or plus. */
public record UnaryExpr(boolean negate, Expr expr, int pos) implements Expr {
    @Override public ValueType type() { return expr.type(); }
}
