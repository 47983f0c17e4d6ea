package io.tsdb.server.api;

import io.tsdb.query.engine.QueryException;

/** An API failure answered with the Prometheus error envelope: errorType, HTTP status and message. */
public final class ApiError extends RuntimeException {
    private final QueryException.Kind kind;

    public ApiError(QueryException.Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public static ApiError badData(String message) { return new ApiError(QueryException.Kind.BAD_DATA, message); }

    /** {@code invalid parameter "name": detail}, as Prometheus words it. */
    public static ApiError invalidParam(String name, String detail) {
        return badData("invalid parameter \"" + name + "\": " + detail);
    }

    public QueryException.Kind kind() { return kind; }
}
