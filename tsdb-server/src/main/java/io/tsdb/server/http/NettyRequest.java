package io.tsdb.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.net.SocketAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@link Request} over a Netty {@link FullHttpRequest}. Parameters merge the query string and, for
 * {@code application/x-www-form-urlencoded} bodies, the form (query string values first). The form is
 * decoded lazily on the first parameter lookup, so ingest handlers that read the body never pay for it.
 * Malformed percent-encoding yields a 400 {@link HttpError}.
 */
final class NettyRequest implements Request {
    static final int MAX_PARAMS = 100_000;

    private final FullHttpRequest req;
    private final String path;
    private final Map<String, List<String>> queryParams;
    private final String requestId;
    private final String remote;
    private Map<String, List<String>> formParams;

    private final io.tsdb.server.tenant.TenantScope tenant;
    private final boolean onEventLoop;

    /** @param remote the client's address as text ({@link #remoteOf}) */
    NettyRequest(FullHttpRequest req, String requestId, String remote, io.tsdb.server.tenant.TenantScope tenant) {
        this(req, requestId, remote, tenant, false);
    }

    NettyRequest(FullHttpRequest req, String requestId, String remote, io.tsdb.server.tenant.TenantScope tenant,
                 boolean onEventLoop) {
        this.req = req;
        this.onEventLoop = onEventLoop;
        this.tenant = tenant;
        QueryStringDecoder d;
        try {
            d = decoder(true).build(req.uri());
            this.path = d.path();
            this.queryParams = d.parameters();
        } catch (IllegalArgumentException e) {
            throw new HttpError(400, "malformed request URI: " + e.getMessage());
        }
        this.requestId = requestId;
        this.remote = remote;
    }

    private static final io.netty.util.AttributeKey<String> REMOTE = io.netty.util.AttributeKey.valueOf("tsdb.remote");

    /** The channel's client address as text, written once per connection (not once per request on it). */
    static String remoteOf(io.netty.channel.Channel ch) {
        io.netty.util.Attribute<String> a = ch.attr(REMOTE);
        String s = a.get();
        if (s == null) {
            s = formatAddress(ch.remoteAddress());
            a.set(s);
        }
        return s;
    }

    static String formatAddress(SocketAddress remote) {
        return remote instanceof InetSocketAddress a && a.getAddress() != null
                ? a.getAddress().getHostAddress() + ":" + a.getPort() : String.valueOf(remote);
    }

    private static QueryStringDecoder.Builder decoder(boolean hasPath) {
        return QueryStringDecoder.builder().hasPath(hasPath).maxParams(MAX_PARAMS).semicolonIsNormalChar(true)
                .charset(StandardCharsets.UTF_8);
    }

    /** Decodes only the path of a URI (for the 413 path that has no aggregated request). */
    static String pathOf(String uri) {
        try {
            return decoder(true).build(uri).path();
        } catch (IllegalArgumentException e) {
            return uri;
        }
    }

    @Override public String method() { return req.method().name(); }
    @Override public String path() { return path; }

    @Override public String param(String name) {
        List<String> q = queryParams.get(name);
        if (q != null && !q.isEmpty()) return q.get(0);
        List<String> f = form().get(name);
        return f == null || f.isEmpty() ? null : f.get(0);
    }

    @Override public List<String> params(String name) {
        List<String> q = queryParams.get(name);
        List<String> f = form().get(name);
        if (f == null || f.isEmpty()) return q == null ? List.of() : q;
        if (q == null || q.isEmpty()) return f;
        List<String> all = new ArrayList<>(q.size() + f.size());
        all.addAll(q);
        all.addAll(f);
        return all;
    }

    private Map<String, List<String>> form() {
        if (formParams == null) {
            formParams = Map.of();
            String ct = req.headers().get(HttpHeaderNames.CONTENT_TYPE);
            if (ct != null && ct.toLowerCase(Locale.ROOT).startsWith("application/x-www-form-urlencoded")
                    && req.content().isReadable()) {
                String body = req.content().toString(StandardCharsets.UTF_8);
                try {
                    formParams = decoder(false).build(body).parameters();
                } catch (IllegalArgumentException e) {
                    throw new HttpError(400, "malformed form body: " + e.getMessage());
                }
            }
        }
        return formParams;
    }

    @Override public String header(String name) { return req.headers().get(name); }
    @Override public ByteBuf body() { return req.content(); }
    @Override public String requestId() { return requestId; }
    @Override public String remoteAddress() { return remote; }
    @Override public io.tsdb.server.tenant.TenantScope tenant() { return tenant; }

    @Override public boolean onEventLoop() { return onEventLoop; }
}
