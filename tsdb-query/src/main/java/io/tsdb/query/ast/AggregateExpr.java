package io.tsdb.query.ast;

import java.util.List;

/** {@code op [by|without (grouping)] ([param,] expr)}; param is null when the op takes none. */
public record AggregateExpr(AggregateOp op, Expr expr, Expr param, List<String> grouping, boolean without, int pos)
        implements Expr {
    @Override public ValueType type() { return ValueType.VECTOR; }
}
