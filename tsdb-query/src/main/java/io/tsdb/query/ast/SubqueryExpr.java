package io.tsdb.query.ast;

/** {@code expr[range:step]}; stepMs is 0 when omitted (engine uses the default evaluation interval). */
public record SubqueryExpr(Expr expr, long rangeMs, long stepMs, long offsetMs, AtModifier at, int pos)
        implements Expr {
    @Override public ValueType type() { return ValueType.MATRIX; }
}
