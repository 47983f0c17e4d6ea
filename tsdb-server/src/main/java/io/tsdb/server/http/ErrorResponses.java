package io.tsdb.server.http;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.tsdb.query.engine.QueryException;
import io.tsdb.query.parser.ParseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The one place failures become client answers (docs/http-api.md, "Errors"):
 * <ul>
 *   <li><b>One mapping.</b> {@link HttpError} (and its subclass {@code ApiError}) is answered as thrown; a
 *       {@link QueryException} by its {@link QueryException.Kind} (status and errorType); a PromQL
 *       {@link ParseException} as 400 {@code bad_data} "invalid parameter "query": ...". Anything else is an
 *       internal error: its details (class, message, stack) go to the log under the request ID and the client
 *       gets only "internal error (request ID ...); see the server log", status 500, errorType
 *       {@code internal}. Nothing else turns an exception into a response body.</li>
 *   <li><b>One envelope.</b> Under {@code /api/} Prometheus's JSON error envelope
 *       {@code {"status":"error","errorType":...,"error":...}}; elsewhere (ingest, federate, console, ops) the
 *       message as plain text. Written with Jackson, so every message is escaped the same way.</li>
 *   <li><b>One status table.</b> {@link #errorTypeFor} gives the errorType of an error that has none of its own;
 *       it agrees with every {@link QueryException.Kind} (TIMEOUT shares 503 with UNAVAILABLE and always carries
 *       its own type).</li>
 * </ul>
 */
public final class ErrorResponses {
    private static final Logger log = LoggerFactory.getLogger(ErrorResponses.class);
    private static final JsonFactory JSON = JsonFactory.builder().build();

    private ErrorResponses() {}

    /** The answer to a request whose handling threw {@code t}; internal failures are logged here, once. */
    public static Response forFailure(String method, String path, String requestId, Throwable t) {
        HttpError e = clientError(t);
        if (e == null) {
            log.atError().setCause(t).addKeyValue("request_id", requestId).addKeyValue("method", method)
                    .addKeyValue("path", path).log("request failed with an internal error");
            e = internal(requestId);
        }
        return render(path, e);
    }

    /** The client-visible error for a failure, or null when it is internal (a bug or an I/O failure). */
    public static HttpError clientError(Throwable t) {
        if (t instanceof HttpError e) return e;
        if (t instanceof ParseException p) return queryParam(p.getMessage());
        if (t instanceof QueryException q) {
            if (q.kind() == QueryException.Kind.INTERNAL) return null;
            if (q.getCause() instanceof ParseException) return queryParam(q.getMessage());
            return new HttpError(q.kind().httpStatus, q.getMessage(), null, q.kind().errorType);
        }
        return null;
    }

    private static HttpError queryParam(String message) {
        QueryException.Kind k = QueryException.Kind.BAD_DATA;
        return new HttpError(k.httpStatus, "invalid parameter \"query\": " + message, null, k.errorType);
    }

    /** What a client is told about an internal failure: only where to look. */
    public static HttpError internal(String requestId) {
        return new HttpError(500, "internal error (request ID " + requestId + "); see the server log", null,
                QueryException.Kind.INTERNAL.errorType);
    }

    /** The one error envelope: Prometheus JSON under /api/, plain text elsewhere; Retry-After when given. */
    public static Response render(String path, HttpError e) {
        String msg = e.getMessage() == null ? "error" : e.getMessage();
        Response r;
        if (path != null && path.startsWith("/api/")) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(96 + msg.length());
            try (JsonGenerator g = JSON.createGenerator(out, JsonEncoding.UTF8)) {
                g.writeStartObject();
                g.writeStringField("status", "error");
                g.writeStringField("errorType", e.errorType());
                g.writeStringField("error", msg);
                g.writeEndObject();
            } catch (IOException io) {
                throw new UncheckedIOException(io);
            }
            r = Response.json(e.status(), out.toByteArray());
        } else {
            r = Response.text(e.status(), msg + "\n");
        }
        if (e.retryAfterSeconds() != null) r.header("Retry-After", e.retryAfterSeconds());
        for (var h : e.headers().entrySet()) r.header(h.getKey(), h.getValue());
        return r;
    }

    /** The Prometheus API errorType of an error without its own: the one status table. */
    public static String errorTypeFor(int status) {
        return switch (status) {
            case 400 -> QueryException.Kind.BAD_DATA.errorType;
            case 401 -> "unauthorized";
            case 403 -> "forbidden";
            case 404 -> "not_found";
            case 406 -> "not_acceptable";
            case 422 -> QueryException.Kind.EXECUTION.errorType;
            case 499 -> QueryException.Kind.CANCELED.errorType;
            case 429, 503 -> QueryException.Kind.UNAVAILABLE.errorType;
            case 504 -> QueryException.Kind.TIMEOUT.errorType;
            default -> status >= 500 ? QueryException.Kind.INTERNAL.errorType : QueryException.Kind.BAD_DATA.errorType;
        };
    }
}
