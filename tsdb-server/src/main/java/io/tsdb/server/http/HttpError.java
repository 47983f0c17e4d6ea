package io.tsdb.server.http;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A client-visible error: the server answers with {@code status} and the message in the one error envelope
 * ({@link ErrorResponses#render}). Throw it only with messages meant for the client; anything else that a
 * handler throws is an internal error whose details stay in the log.
 */
public class HttpError extends RuntimeException {
    private final int status;
    private final String retryAfterSeconds;
    private final String errorType;
    private final Map<String, String> headers = new LinkedHashMap<>(2);

    public HttpError(int status, String message) { this(status, message, null); }

    public HttpError(int status, String message, String retryAfterSeconds) {
        this(status, message, retryAfterSeconds, null);
    }

    /**
     * @param errorType the Prometheus API errorType for JSON error bodies under /api/ (e.g. "bad_data",
     *                  "execution", "timeout"); null derives it from the status ({@link ErrorResponses#errorTypeFor}).
     */
    public HttpError(int status, String message, String retryAfterSeconds, String errorType) {
        super(message, null, false, false);
        this.status = status;
        this.retryAfterSeconds = retryAfterSeconds;
        this.errorType = errorType;
    }

    /** The Prometheus API errorType: the explicit one, else derived from the status. */
    public String errorType() { return errorType != null ? errorType : ErrorResponses.errorTypeFor(status); }

    public int status() { return status; }

    /** Value for a Retry-After header, or null. */
    public String retryAfterSeconds() { return retryAfterSeconds; }

    /** Adds a response header (e.g. WWW-Authenticate on a 401). */
    public HttpError header(String name, String value) { headers.put(name, value); return this; }

    /** Extra response headers. */
    public Map<String, String> headers() { return headers; }
}
