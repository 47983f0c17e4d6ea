package io.tsdb.query.ast;

public record NumberLiteral(double value, int pos) implements Expr {
    @Override public ValueType type() { return ValueType.SCALAR; }
}
