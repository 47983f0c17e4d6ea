package io.tsdb.query.engine;

import io.tsdb.query.ast.Expr;

/**
 * Evaluates queries over a {@link io.tsdb.core.Storage}. Thread-safe; one instance per server.
 * Times are milliseconds since the epoch. Throws {@link QueryException} on failure
 * (parse errors as BAD_DATA with the parser's position).
 */
public interface QueryEngine {

    QueryResult instant(String query, long timeMs, QueryOptions options);

    /** Range query over [startMs, endMs] every stepMs; result is always a Matrix (scalar results become one series). */
    QueryResult range(String query, long startMs, long endMs, long stepMs, QueryOptions options);

    /** Parses and type-checks only. */
    Expr parse(String query);
}
