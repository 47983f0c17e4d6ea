package io.tsdb.query.engine;

/**
 * Thrown before evaluation when a query asked to run only if small ({@link QueryOptions#smallOnly}) is not: nothing
 * was read and nothing is wrong with the query, the caller runs it again where it may take long. Carries no stack
 * trace (it is control flow, thrown by every large query that a caller first tries on its own thread).
 */
public final class QueryDeferred extends RuntimeException {
    /** The estimate that exceeded the bound: series matched, or work (samples + series x steps). */
    private final String reason;

    public QueryDeferred(String reason) {
        super("query is not small: " + reason, null, false, false);
        this.reason = reason;
    }

    public String reason() { return reason; }
}
