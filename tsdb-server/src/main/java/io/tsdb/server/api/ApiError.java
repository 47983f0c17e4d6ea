package io.tsdb.server.api;

import io.tsdb.query.engine.QueryException;
import io.tsdb.server.http.HttpError;

/** An API failure with a Prometheus error kind: its errorType and HTTP status come from the kind. */
public final class ApiError extends HttpError {
    private final QueryException.Kind kind;

    public ApiError(QueryException.Kind kind, String message) {
        super(kind.httpStatus, message, null, kind.errorType);
        this.kind = kind;
    }

    public static ApiError badData(String message) { return new ApiError(QueryException.Kind.BAD_DATA, message); }

    /** {@code invalid parameter "name": detail}, as Prometheus words it. */
    public static ApiError invalidParam(String name, String detail) {
        return badData("invalid parameter \"" + name + "\": " + detail);
    }

    public QueryException.Kind kind() { return kind; }
}
