package io.tsdb.query.ast;

import java.util.List;

/** A function call, resolved by the parser: {@code fn} is the registry entry of the function. */
public record Call(FunctionRef fn, List<Expr> args, int pos) implements Expr {
    /** The function's name as PromQL spells it. */
    public String function() { return fn.name(); }

    public ValueType returnType() { return fn.returnType(); }

    @Override public ValueType type() { return fn.returnType(); }
}
