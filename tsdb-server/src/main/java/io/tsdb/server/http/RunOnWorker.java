package io.tsdb.server.http;

/**
 * Thrown by a handler running on the event loop ({@link Request#onEventLoop()}) when the request turns out not to
 * be small: the dispatcher hands the same request to a worker, where the handler runs again from the start. The
 * handler must not have answered or changed anything visible before throwing it. Carries no stack trace (control
 * flow: every large query on an inline route throws it once).
 */
public final class RunOnWorker extends RuntimeException {
    public static final RunOnWorker INSTANCE = new RunOnWorker();

    private RunOnWorker() { super("run on a worker", null, false, false); }
}
