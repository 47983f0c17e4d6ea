package io.tsdb.server.http;

/**
 * Handles one route. Runs on a worker thread (not the Netty event loop), so it may block on storage
 * commits. Throwing {@link HttpError} yields that status and message; any other exception yields a 500
 * (and is logged with the request ID) and is a bug.
 */
@FunctionalInterface
public interface Handler {
    Response handle(Request request) throws Exception;
}
