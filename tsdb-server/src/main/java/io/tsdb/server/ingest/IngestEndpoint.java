package io.tsdb.server.ingest;

import io.tsdb.server.http.Handler;
import io.tsdb.server.http.HttpError;
import io.tsdb.server.http.Request;
import io.tsdb.server.http.Response;

/**
 * Common admission for every ingest route: 503 + Retry-After while the server is not ready, 429 +
 * Retry-After when {@code ingestQueueSize} requests are already in flight; latency measured per protocol.
 */
public abstract class IngestEndpoint implements Handler {
    protected final IngestContext ctx;
    protected final String protocol;

    protected IngestEndpoint(IngestContext ctx, String protocol) {
        this.ctx = ctx;
        this.protocol = protocol;
    }

    @Override public final Response handle(Request request) throws Exception {
        if (!ctx.server.ready().getAsBoolean()) {
            ctx.metrics.throttled("not_ready");
            throw new HttpError(503, "server is not ready (storage opening or server stopping); retry later", "5");
        }
        // a tenant over its ingestion rate is refused before its body is read (IngestBatch admits the samples)
        ctx.server.tenants().limiter().admitRequest(request.tenant().single());
        if (!ctx.limiter.tryAcquireSlot()) {
            ctx.metrics.throttled("queue_full");
            throw new HttpError(429, "ingest queue full: " + ctx.limiter.maxRequests()
                    + " write requests already in flight (--ingest.queue-size); retry later", "1");
        }
        long t0 = System.nanoTime();
        try {
            return ingest(request);
        } finally {
            ctx.limiter.releaseSlot();
            ctx.metrics.latency(protocol, System.nanoTime() - t0);
        }
    }

    protected abstract Response ingest(Request request) throws Exception;

    /** Decodes the body per Content-Encoding and records body sizes. */
    protected DecodedBody body(Request request, String defaultEncoding, java.util.Set<String> allowed) {
        try {
            DecodedBody b = ctx.decoder.decode(request.body(), request.header("Content-Encoding"), defaultEncoding, allowed);
            ctx.metrics.body(protocol, b.wireBytes(), b.decodedBytes());
            return b;
        } catch (HttpError e) {
            if (e.status() == 429) ctx.metrics.throttled("memory_budget");
            else ctx.metrics.rejected(protocol, e.status() == 413 ? "body_too_large" : e.status() == 415 ? "unsupported_encoding" : "bad_compression", 1);
            throw e;
        }
    }
}
