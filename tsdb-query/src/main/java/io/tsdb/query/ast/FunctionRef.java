package io.tsdb.query.ast;

/**
 * A function as the syntax tree sees it: the parser resolves every call against the function registry
 * ({@code io.tsdb.query.engine.eval.FunctionRegistry}) and stores the entry it found, so evaluation dispatches
 * through that entry without looking the name up again.
 */
public interface FunctionRef {
    /** The name as PromQL spells it (lower case). */
    String name();

    /** The static type of a call's result. */
    ValueType returnType();
}
