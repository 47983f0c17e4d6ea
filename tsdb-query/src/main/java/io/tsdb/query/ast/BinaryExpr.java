package io.tsdb.query.ast;

/**
 * A binary operation. {@code matching} is null when either side is a scalar; for set operators it has
 * cardinality MANY_TO_MANY. {@code returnBool} is the {@code bool} modifier of comparisons.
 */
public record BinaryExpr(BinaryOp op, Expr lhs, Expr rhs, VectorMatching matching, boolean returnBool, int pos)
        implements Expr {
    @Override public ValueType type() {
        if (lhs.type() == ValueType.SCALAR && rhs.type() == ValueType.SCALAR) return ValueType.SCALAR;
        return ValueType.VECTOR;
    }
}
