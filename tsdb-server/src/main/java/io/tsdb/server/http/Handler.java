package io.tsdb.server.http;

/**
 * Handles one route. Runs on a worker thread (not the Netty event loop), so it may block on storage
 * commits; a route registered as inline ({@link Router#add(java.util.Set, String, String, Handler, boolean)}) runs
 * on the event loop first and must not block there ({@link Request#onEventLoop()}, {@link RunOnWorker}). Throwing {@link HttpError} yields that status and message; any other exception yields a 500
 * (and is logged with the request ID) and is a bug.
 */
@FunctionalInterface
public interface Handler {
    Response handle(Request request) throws Exception;
}
