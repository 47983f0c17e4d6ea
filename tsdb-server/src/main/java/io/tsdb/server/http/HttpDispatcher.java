package io.tsdb.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import io.tsdb.server.auth.Authenticator;
import io.tsdb.server.auth.WebSecurity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Turns aggregated requests into handler calls on the worker executor and writes their responses.
 * <p>Every response on a connection goes through one per-connection queue ({@link Connection}): aggregated
 * requests, and the answers the aggregator produces itself ({@link Prebuilt}: 413 for oversized bodies,
 * 417, the interim 100 Continue), enter it in arrival order on the event loop; exactly one entry is in
 * flight at a time and the next one starts only once the previous response has been written. So pipelined
 * requests are answered in request order whoever produces the answer (event-loop probes, errors, 429/503,
 * workers, decode failures), and a slow client cannot queue unbounded work (reading is paused while busy).
 * Nothing else in the pipeline writes responses. Shared by all channels.
 * <p>Handlers run on workers, except the probes and routes registered as inline ({@link Router.Route#inline()}, the
 * query routes): these are called on the event loop first, and a handler that finds the request is not small throws
 * {@link RunOnWorker}, upon which the same request goes to a worker. Not when credentials must be checked (bcrypt).
 */
@ChannelHandler.Sharable
final class HttpDispatcher extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(HttpDispatcher.class);
    static final String REQUEST_ID = "X-Request-Id";
    /** Served even while starting or stopping. */
    private static final Set<String> OPS_PATHS = Set.of("/-/healthy", "/-/ready", "/metrics");
    /** Trivial probes answered on the event loop, so health checks work even when the worker pool is saturated. */
    private static final Set<String> INLINE_PATHS = Set.of("/-/healthy", "/-/ready");
    private static final Pattern VALID_REQUEST_ID = Pattern.compile("[\\x21-\\x7e]{1,128}");

    private final Router router;
    private final Executor workers;
    private final HttpMetrics metrics;
    private final Supplier<ServerState> state;
    private final long maxBodyBytes;
    private final String corsOrigin;
    private final Pattern corsPattern;
    /** Requests received whose response has not been written yet (graceful shutdown waits for zero). */
    private final java.util.concurrent.atomic.AtomicInteger unanswered = new java.util.concurrent.atomic.AtomicInteger();

    /** TLS, credentials and extra headers (null: none; see {@link WebSecurity}). */
    private final WebSecurity security;

    /** The tenant of requests without X-Scope-OrgID (--tenant.default). */
    private final String defaultTenant;

    HttpDispatcher(Router router, Executor workers, HttpMetrics metrics, Supplier<ServerState> state,
                   long maxBodyBytes, String corsOrigin, WebSecurity security, String defaultTenant) {
        this.security = security;
        this.defaultTenant = defaultTenant;
        this.router = router;
        this.workers = workers;
        this.metrics = metrics;
        this.state = state;
        this.maxBodyBytes = maxBodyBytes;
        this.corsOrigin = corsOrigin == null || corsOrigin.isBlank() ? null : corsOrigin;
        this.corsPattern = this.corsOrigin == null || this.corsOrigin.equals("*") ? null
                : Pattern.compile("^(?:" + this.corsOrigin + ")$");
    }

    /** What we know about a request for logging, metrics and the response headers. */
    private record Exchange(String requestId, String method, String path, String origin, boolean keepAlive,
                            long startNanos, long bytesIn, String remote) {}

    /**
     * A response built before (or instead of) aggregation, answered in its turn like a request: 413/417
     * refusals ({@code close}: close the connection once written) and interim 100 Continue responses.
     */
    record Prebuilt(FullHttpResponse response, boolean close) {}

    /**
     * Per-connection state, touched only on the channel's event loop. One read can decode several
     * pipelined requests at once, so entries ({@link FullHttpRequest} or {@link Prebuilt}) arriving while
     * one is in flight wait here (their number is bounded by what one read delivers: reading is paused
     * while an entry is in flight).
     */
    private static final class Connection {
        boolean busy;
        final java.util.ArrayDeque<Object> waiting = new java.util.ArrayDeque<>();
    }

    private static final io.netty.util.AttributeKey<Connection> CONNECTION =
            io.netty.util.AttributeKey.valueOf("tsdb.http.connection");

    private static Connection connection(ChannelHandlerContext ctx) {
        Connection c = ctx.channel().attr(CONNECTION).get();
        if (c == null) {
            c = new Connection();
            ctx.channel().attr(CONNECTION).set(c);
        }
        return c;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest) && !(msg instanceof Prebuilt)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        Connection c = connection(ctx);
        ctx.channel().config().setAutoRead(false);
        if (c.busy) {
            c.waiting.add(msg);
            return;
        }
        c.busy = true;
        process(ctx, msg);
    }

    private static void release(Object entry) {
        if (entry instanceof Prebuilt p) p.response().release();
        else ReferenceCountUtil.release(entry);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        Connection c = ctx.channel().attr(CONNECTION).get();
        if (c != null) {
            Object r;
            while ((r = c.waiting.poll()) != null) release(r);
        }
        super.channelInactive(ctx);
    }

    /** Called on the event loop once the previous response on this connection has been written. */
    private void next(ChannelHandlerContext ctx) {
        Connection c = connection(ctx);
        Object r = c.waiting.poll();
        if (r == null) {
            c.busy = false;
            ctx.channel().config().setAutoRead(true);
        } else {
            process(ctx, r);
        }
    }

    private void process(ChannelHandlerContext ctx, Object entry) {
        if (entry instanceof Prebuilt p) {
            unanswered.incrementAndGet();
            FullHttpResponse res = p.response();
            boolean interim = res.status().codeClass() == io.netty.handler.codec.http.HttpStatusClass.INFORMATIONAL;
            boolean keepAlive = interim || (!p.close() && state.get() != ServerState.STOPPING);
            if (!interim) {
                res.headers().set(HttpHeaderNames.CONNECTION, keepAlive ? HttpHeaderValues.KEEP_ALIVE : HttpHeaderValues.CLOSE);
            }
            send(ctx, res, keepAlive, null);
        } else {
            processRequest(ctx, (FullHttpRequest) entry);
        }
    }

    private void processRequest(ChannelHandlerContext ctx, FullHttpRequest req) {
        long start = System.nanoTime();
        unanswered.incrementAndGet();
        metrics.started();
        String rid = requestId(req);
        String path = NettyRequest.pathOf(req.uri());
        ServerState s = state.get();
        Exchange ex = new Exchange(rid, req.method().name(), path, req.headers().get(HttpHeaderNames.ORIGIN),
                HttpUtil.isKeepAlive(req) && s != ServerState.STOPPING, start, req.content().readableBytes(),
                NettyRequest.remoteOf(ctx.channel()));
        if (!req.decoderResult().isSuccess()) {
            req.release();
            Exchange closing = new Exchange(rid, ex.method, path, ex.origin, false, start, 0, ex.remote);
            write(ctx, closing, null, error(path, new HttpError(400, "malformed HTTP request: "
                    + req.decoderResult().cause().getMessage())));
            return;
        }
        if (s != ServerState.RUNNING && !OPS_PATHS.contains(path)) {
            req.release();
            String what = s == ServerState.STARTING ? "starting" : "shutting down";
            write(ctx, ex, null, error(path, new HttpError(503, "server is " + what + ", retry later", "5")));
            return;
        }
        if (INLINE_PATHS.contains(path)) {
            handle(ctx, req, ex);
            return;
        }
        Router.Match m = null;
        if (security == null || security.authenticator() == null) {
            m = router.match(ex.method, path);
            if (m != null && m.route().inline() && m.methodAllowed() && handle(ctx, req, ex, m, true)) return;
        }
        Router.Match matched = m;   // the worker does not match the route again
        try {
            workers.execute(() -> handle(ctx, req, ex, matched, false));
        } catch (RejectedExecutionException e) {
            req.release();
            write(ctx, ex, null, error(path, new HttpError(429,
                    "server is overloaded: too many requests queued, retry later", "1")));
        }
    }

    private void handle(ChannelHandlerContext ctx, FullHttpRequest req, Exchange ex) {
        handle(ctx, req, ex, null, false);
    }

    /**
     * Runs the request's handler and writes its answer ({@code match}: the route, null to match it here). With
     * {@code onLoop} (an inline route, on the event loop): returns false, having answered nothing and kept the
     * request, when the handler throws {@link RunOnWorker}.
     */
    private boolean handle(ChannelHandlerContext ctx, FullHttpRequest req, Exchange ex, Router.Match match, boolean onLoop) {
        MDC.put("request_id", ex.requestId);
        String route = null;
        Response resp;
        boolean deferred = false;
        try {
            Router.Match m = match != null ? match : router.match(ex.method, ex.path);
            if (m != null) route = m.route().name();
            boolean preflight = ex.method.equals("OPTIONS") && corsOrigin != null && ex.origin != null;
            Authenticator.Outcome who = preflight ? null : authenticate(req, ex);
            if (who != null && who.failure() == Authenticator.Failure.verification_saturated) {
                resp = error(ex.path, new HttpError(429, "too many password verifications at once; retry later", "1"));
            } else if (who != null && !who.ok()) {
                resp = error(ex.path, new HttpError(401, "unauthorized: missing or invalid credentials")
                        .header("WWW-Authenticate", security.authenticator().challenge()));
            } else if (preflight) {
                resp = preflight(m);
            } else if (m == null) {
                resp = error(ex.path, new HttpError(404, "not found: " + ex.path));
            } else if (!m.methodAllowed()) {
                String allow = String.join(", ", new TreeSet<>(m.route().methods()));
                resp = error(ex.path, new HttpError(405, "method " + ex.method + " not allowed for " + ex.path
                        + "; allowed: " + allow)).header("Allow", allow);
            } else {
                NettyRequest r = new NettyRequest(req, ex.requestId, ex.remote, tenant(req, ex, who), onLoop);
                resp = m.route().handler().handle(r);
                if (resp == null) throw new IllegalStateException("handler for " + route + " returned no response");
            }
        } catch (RunOnWorker w) {
            deferred = onLoop;
            resp = deferred ? null : ErrorResponses.forFailure(ex.method, ex.path, ex.requestId,
                    new IllegalStateException("handler for " + route + " asked for a worker on a worker"));
        } catch (Throwable t) {
            resp = ErrorResponses.forFailure(ex.method, ex.path, ex.requestId, t);
        } finally {
            if (!deferred) req.release();
            MDC.remove("request_id");
        }
        if (onLoop) metrics.inline(route, !deferred);   // before the answer is written: a client sees it counted
        if (deferred) return false;
        write(ctx, ex, route, resp);
        return true;
    }

    /**
     * The outcome of checking the request's credentials (refusals counted and logged), or null when none are
     * needed: auth is off or the path is an open probe ({@link Authenticator#OPEN_PATHS}). Runs on a worker (bcrypt).
     */
    private Authenticator.Outcome authenticate(FullHttpRequest req, Exchange ex) {
        Authenticator auth = security == null ? null : security.authenticator();
        if (auth == null || Authenticator.OPEN_PATHS.contains(ex.path)) return null;
        Authenticator.Outcome o = auth.authenticate(req.headers().get(HttpHeaderNames.AUTHORIZATION));
        if (!o.ok()) security.refused(o, ex.remote, ex.method, ex.path, ex.requestId);
        return o;
    }

    /**
     * The request's tenants: from X-Scope-OrgID and the identity's grants (400 for a malformed header, 403 for a
     * tenant the identity may not use). Open probes need none: they get the default tenant whatever the header says.
     */
    private io.tsdb.server.tenant.TenantScope tenant(FullHttpRequest req, Exchange ex, Authenticator.Outcome who) {
        if (Authenticator.OPEN_PATHS.contains(ex.path)) return io.tsdb.server.tenant.TenantScope.of(defaultTenant, defaultTenant);
        String header = req.headers().get(io.tsdb.server.tenant.TenantScope.HEADER);
        return io.tsdb.server.tenant.TenantResolver.resolve(header, who == null ? null : who.identity(),
                security == null ? java.util.Map.of() : security.tenantGrants(), defaultTenant);
    }

    private Response preflight(Router.Match m) {
        Response r = new Response(204, null, null);
        r.header("Access-Control-Allow-Methods", "GET, POST, PUT, OPTIONS");
        r.header("Access-Control-Allow-Headers",
                "Accept, Authorization, Content-Type, Content-Encoding, Origin, X-Request-Id, X-Scope-OrgID");
        r.header("Access-Control-Max-Age", "600");
        return r;
    }

    /** The one error envelope ({@link ErrorResponses#render}). */
    static Response error(String path, HttpError e) { return ErrorResponses.render(path, e); }

    /** Writes the response to the request in flight (any thread); never throws, so the connection moves on. */
    private void write(ChannelHandlerContext ctx, Exchange ex, String route, Response resp) {
        try {
            writeResponse(ctx, ex, route, resp);
        } catch (RuntimeException e) { // e.g. a header value a handler set that Netty refuses
            log.atError().setCause(e).addKeyValue("request_id", ex.requestId).addKeyValue("path", ex.path)
                    .log("could not build the response");
            writeResponse(ctx, ex, route, error(ex.path, ErrorResponses.internal(ex.requestId)));
        }
    }

    private void writeResponse(ChannelHandlerContext ctx, Exchange ex, String route, Response resp) {
        boolean head = ex.method.equals("HEAD");
        int length = resp.length();
        ByteBuf content = head || length == 0 ? Unpooled.EMPTY_BUFFER : body(ctx, resp);
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(resp.status()), content);
        var h = res.headers();
        if (resp.contentType() != null) h.set(HttpHeaderNames.CONTENT_TYPE, resp.contentType());
        resp.headers().forEach(h::set);
        h.set(HttpHeaderNames.CONTENT_LENGTH, length);
        h.set(REQUEST_ID, ex.requestId);
        addCors(h, ex.origin);
        if (security != null) security.headers().forEach(h::set);
        boolean keepAlive = ex.keepAlive && state.get() != ServerState.STOPPING
                && !"close".equalsIgnoreCase(resp.headers().get("Connection"));
        h.set(HttpHeaderNames.CONNECTION, keepAlive ? HttpHeaderValues.KEEP_ALIVE : HttpHeaderValues.CLOSE);
        int status = resp.status();
        send(ctx, res, keepAlive, () -> metrics.finished(ex.requestId, ex.method, ex.path, route, status,
                ex.startNanos, ex.bytesIn, head ? 0 : length, ex.remote));
    }

    /**
     * The response's body: one buffer as it is (not copied here); a body in pieces copied once into a buffer of the
     * channel's allocator. The socket takes only direct memory, so a heap body is copied into it anyway; handing
     * over the pieces as a composite buffer made that copy first join them in a fresh heap array of the whole answer
     * (CompositeByteBuf.nioBuffer: 65 KB per single-groupby-5-1-12 answer, 2.7 MB, a humongous G1 object, per
     * lastpoint answer), then copy that.
     */
    private static ByteBuf body(ChannelHandlerContext ctx, Response resp) {
        byte[][] segs = resp.segments();
        if (segs == null) return Unpooled.wrappedBuffer(resp.buffer(), 0, resp.length());
        ByteBuf out = ctx.alloc().directBuffer(resp.length());
        int left = resp.length();
        for (byte[] seg : segs) {
            if (left == 0) break;
            int len = Math.min(seg.length, left);
            out.writeBytes(seg, 0, len);
            left -= len;
        }
        return out;
    }

    /**
     * The only place responses are written: the entry in flight is answered, then (on the event loop, once
     * written) the connection closes or the next entry starts.
     */
    private void send(ChannelHandlerContext ctx, FullHttpResponse res, boolean keepAlive, Runnable written) {
        ctx.writeAndFlush(res).addListener((ChannelFutureListener) f -> {
            unanswered.decrementAndGet();
            if (written != null) written.run();
            if (!keepAlive || !f.isSuccess()) {
                f.channel().close();
            } else {
                next(ctx);
            }
        });
    }

    private void addCors(io.netty.handler.codec.http.HttpHeaders h, String origin) {
        if (corsOrigin == null || origin == null) return;
        if (corsPattern == null) {
            h.set("Access-Control-Allow-Origin", "*");
        } else if (corsPattern.matcher(origin).matches()) {
            h.set("Access-Control-Allow-Origin", origin);
            h.add("Vary", "Origin");
        }
    }

    /** Requests received and not yet answered (response not yet written to the socket). */
    int unanswered() { return unanswered.get(); }

    static String requestId(HttpMessage m) {
        String given = m.headers().get(REQUEST_ID);
        if (given != null && VALID_REQUEST_ID.matcher(given).matches()) return given;
        return java.util.HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
    }

    /** The 413 answer for a request whose body exceeds the limit (declared or streamed), to queue in order. */
    Prebuilt tooLarge(HttpMessage m, boolean close, java.net.SocketAddress remote) {
        return refusal(m, new HttpError(413, "request body too large: the limit is " + maxBodyBytes
                + " bytes (--ingest.max-body-size)"), close, remote);
    }

    /**
     * For a request with {@code Expect: 100-continue}: the 401 to send instead of 100 Continue when its credentials
     * are refused without running bcrypt ({@link Authenticator#precheck}: none, malformed, an unknown scheme or token,
     * a cached wrong password), so the client does not send a body that would be refused; null to continue (no
     * credentials needed, accepted, or Basic credentials that need bcrypt, checked on a worker after the body as
     * for any request: answering those at once would tell existing users from unknown ones by timing).
     */
    Prebuilt unauthorizedBeforeContinue(HttpMessage m, java.net.SocketAddress remote) {
        Authenticator auth = security == null ? null : security.authenticator();
        if (auth == null || !(m instanceof HttpRequest r)) return null;
        String path = NettyRequest.pathOf(r.uri());
        if (Authenticator.OPEN_PATHS.contains(path)) return null;
        Authenticator.Outcome o = auth.precheck(m.headers().get(HttpHeaderNames.AUTHORIZATION));
        if (o == null || o.ok()) return null;
        security.refused(o, NettyRequest.formatAddress(remote), r.method().name(), path, requestId(m));
        return refusal(m, new HttpError(401, "unauthorized: missing or invalid credentials")
                .header("WWW-Authenticate", auth.challenge()), false, remote);
    }

    /** The 417 answer for a request whose Expect header asks for something other than 100-continue. */
    Prebuilt expectationFailed(HttpMessage m, String expect, java.net.SocketAddress remote) {
        return refusal(m, new HttpError(417, "unsupported expectation: Expect: " + expect
                + " (only 100-continue is supported)"), false, remote);
    }

    private Prebuilt refusal(HttpMessage m, HttpError e, boolean close, java.net.SocketAddress remote) {
        String path = m instanceof HttpRequest r ? NettyRequest.pathOf(r.uri()) : "";
        String method = m instanceof HttpRequest r ? r.method().name() : "?";
        Response resp = error(path, e);
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(e.status()), Unpooled.wrappedBuffer(resp.body()));
        String rid = requestId(m);
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, resp.contentType())
                .set(HttpHeaderNames.CONTENT_LENGTH, resp.body().length)
                .set(REQUEST_ID, rid)
                .set(HttpHeaderNames.CONNECTION, close ? HttpHeaderValues.CLOSE : HttpHeaderValues.KEEP_ALIVE);
        resp.headers().forEach(res.headers()::set);
        addCors(res.headers(), m.headers().get(HttpHeaderNames.ORIGIN));
        if (security != null) security.headers().forEach(res.headers()::set);
        Router.Match match = router.match(method, path);
        metrics.started();
        metrics.finished(rid, method, path, match == null ? null : match.route().name(), e.status(),
                System.nanoTime(), 0, resp.body().length, NettyRequest.formatAddress(remote));
        return new Prebuilt(res, close);
    }
}
