package io.tsdb.server.http;

import io.netty.buffer.ByteBuf;

import java.util.List;

/**
 * A fully received HTTP request as handlers see it. The body is a Netty buffer owned by the server
 * (released after the handler returns): parse it in place, do not retain it.
 */
public interface Request {
    String method();

    /** Decoded path without query string, e.g. {@code /api/v1/label/job/values}. */
    String path();

    /** First value of a parameter from the query string or, for form-encoded POST bodies, the form; null when absent. */
    String param(String name);

    /** All values of a parameter (query string then form), e.g. {@code match[]}; empty when absent. */
    List<String> params(String name);

    /** A request header (case-insensitive name) or null. */
    String header(String name);

    /** The raw body (possibly still Content-Encoding-compressed; see {@link #header}). */
    ByteBuf body();

    /** The request ID (from X-Request-Id or generated), echoed in the response. */
    String requestId();

    /** Remote address as host:port, for logs. */
    String remoteAddress();

    /**
     * The tenants this request may see or write (from X-Scope-OrgID and the credentials; docs/security.md,
     * "Tenants"). Handlers reach storage only through {@code ServerContext.tenants()} with this scope.
     */
    io.tsdb.server.tenant.TenantScope tenant();

    /**
     * True when the handler runs on the connection's event loop (a route registered as inline, {@link Router#add}):
     * it must not block, and it throws {@link RunOnWorker} when the request turns out to need more than a short
     * computation, to be run again on a worker, where this is false.
     */
    default boolean onEventLoop() { return false; }
}
