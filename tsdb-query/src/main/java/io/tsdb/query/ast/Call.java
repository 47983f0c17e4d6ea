package io.tsdb.query.ast;

import java.util.List;

/** A function call; {@code function} is the lower-case function name as written (validated by the parser). */
public record Call(String function, List<Expr> args, ValueType returnType, int pos) implements Expr {
    @Override public ValueType type() { return returnType; }
}
