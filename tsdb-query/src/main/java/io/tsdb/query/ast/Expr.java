package io.tsdb.query.ast;

/**
 * The abstract syntax tree of a query. Produced by the parser (io.tsdb.query.parser), consumed by the
 * engine. Nodes are immutable records; {@link #type()} is the static result type checked at parse time.
 * {@link #pos()} is the 0-based character offset of the node's first token in the query text
 * (for error messages).
 */
public sealed interface Expr permits NumberLiteral, StringLiteral, VectorSelector, MatrixSelector,
        SubqueryExpr, UnaryExpr, BinaryExpr, AggregateExpr, Call, ParenExpr {

    ValueType type();

    int pos();
}
