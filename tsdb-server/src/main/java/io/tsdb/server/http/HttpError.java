package io.tsdb.server.http;

/** A client-visible error: the server answers with {@code status} and the message as a plain-text or JSON body. */
public class HttpError extends RuntimeException {
    private final int status;
    private final String retryAfterSeconds;
    private final String errorType;

    public HttpError(int status, String message) { this(status, message, null); }

    public HttpError(int status, String message, String retryAfterSeconds) {
        this(status, message, retryAfterSeconds, null);
    }

    /**
     * @param errorType the Prometheus API errorType for JSON error bodies under /api/ (e.g. "bad_data",
     *                  "execution", "timeout"); null derives it from the status (see {@link #errorType()}).
     */
    public HttpError(int status, String message, String retryAfterSeconds, String errorType) {
        super(message);
        this.status = status;
        this.retryAfterSeconds = retryAfterSeconds;
        this.errorType = errorType;
    }

    /** The Prometheus API errorType: the explicit one, else derived from the status. */
    public String errorType() { return errorType != null ? errorType : errorTypeFor(status); }

    /** The Prometheus API errorType conventionally used for an HTTP status. */
    public static String errorTypeFor(int status) {
        return switch (status) {
            case 422 -> "execution";
            case 499 -> "canceled";
            case 503, 429 -> "unavailable";
            case 504 -> "timeout";
            default -> status >= 500 ? "internal" : status == 404 ? "not_found" : "bad_data";
        };
    }

    public int status() { return status; }

    /** Value for a Retry-After header, or null. */
    public String retryAfterSeconds() { return retryAfterSeconds; }
}
