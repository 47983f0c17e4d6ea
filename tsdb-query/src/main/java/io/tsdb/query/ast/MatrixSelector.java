package io.tsdb.query.ast;

/** {@code selector[range]}; offset and @ live on the inner selector. */
public record MatrixSelector(VectorSelector selector, long rangeMs, int pos) implements Expr {
    @Override public ValueType type() { return ValueType.MATRIX; }
}
