package io.tsdb.query.engine;

/**
 * A query that failed. {@link Kind} maps to the Prometheus API errorType and HTTP status:
 * BAD_DATA 400, EXECUTION 422, TIMEOUT 503, CANCELED 499, INTERNAL 500, UNAVAILABLE 503.
 * Parse errors are BAD_DATA and carry the parser's line:column message.
 */
public final class QueryException extends RuntimeException {
    public enum Kind {
        BAD_DATA("bad_data", 400), EXECUTION("execution", 422), TIMEOUT("timeout", 503),
        CANCELED("canceled", 499), INTERNAL("internal", 500), UNAVAILABLE("unavailable", 503);

        public final String errorType;
        public final int httpStatus;

        Kind(String errorType, int httpStatus) { this.errorType = errorType; this.httpStatus = httpStatus; }
    }

    private final Kind kind;

    public QueryException(Kind kind, String message) { super(message); this.kind = kind; }

    public QueryException(Kind kind, String message, Throwable cause) { super(message, cause); this.kind = kind; }

    public Kind kind() { return kind; }
}
