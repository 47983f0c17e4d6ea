package io.tsdb.server.http;

/** A client-visible error: the server answers with {@code status} and the message as a plain-text or JSON body. */
public class HttpError extends RuntimeException {
    private final int status;
    private final String retryAfterSeconds;

    public HttpError(int status, String message) { this(status, message, null); }

    public HttpError(int status, String message, String retryAfterSeconds) {
        super(message);
        this.status = status;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public int status() { return status; }

    /** Value for a Retry-After header, or null. */
    public String retryAfterSeconds() { return retryAfterSeconds; }
}
