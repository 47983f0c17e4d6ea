package io.tsdb.server.api;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tsdb.server.http.Request;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** A Request built from a method, a path with query string and, for POST forms, a form body. */
final class FakeRequest implements Request {
    private final String method, path;
    private final Map<String, List<String>> params = new LinkedHashMap<>();
    private final Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    private final ByteBuf body;

    FakeRequest(String method, String pathAndQuery, String form) {
        this(method, pathAndQuery, form == null ? new byte[0] : form.getBytes(StandardCharsets.UTF_8),
                form == null ? null : "application/x-www-form-urlencoded");
        if (form != null) parse(form);
    }

    FakeRequest(String method, String pathAndQuery, byte[] body, String contentType) {
        this.method = method;
        int q = pathAndQuery.indexOf('?');
        this.path = q < 0 ? pathAndQuery : pathAndQuery.substring(0, q);
        if (q >= 0) parse(pathAndQuery.substring(q + 1));
        this.body = Unpooled.wrappedBuffer(body);
        if (contentType != null) headers.put("Content-Type", contentType);
    }

    static FakeRequest get(String pathAndQuery) { return new FakeRequest("GET", pathAndQuery, (String) null); }
    static FakeRequest post(String path, String form) { return new FakeRequest("POST", path, form); }

    FakeRequest header(String name, String value) { headers.put(name, value); return this; }

    private void parse(String qs) {
        for (String kv : qs.split("&")) {
            if (kv.isEmpty()) continue;
            int eq = kv.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? kv : kv.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
            params.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
        }
    }

    @Override public String method() { return method; }
    @Override public String path() { return path; }
    @Override public String param(String name) { List<String> l = params.get(name); return l == null ? null : l.get(0); }
    @Override public List<String> params(String name) { return params.getOrDefault(name, List.of()); }
    @Override public String header(String name) { return headers.get(name); }
    @Override public ByteBuf body() { return body; }
    @Override public String requestId() { return "test"; }
    @Override public String remoteAddress() { return "127.0.0.1:1"; }
    /** The tenants of X-Scope-OrgID, else the default tenant "anonymous" (no authentication). */
    @Override public io.tsdb.server.tenant.TenantScope tenant() {
        return io.tsdb.server.tenant.TenantResolver.resolve(headers.get(io.tsdb.server.tenant.TenantScope.HEADER), null,
                java.util.Map.of(), "anonymous");
    }
}
