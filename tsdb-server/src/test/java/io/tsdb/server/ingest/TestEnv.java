package io.tsdb.server.ingest;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SampleCursor;
import io.tsdb.core.SeriesSet;
import io.tsdb.core.Storage;
import io.tsdb.core.testing.MemStorage;
import io.tsdb.server.MetadataStore;
import io.tsdb.server.ServerConfig;
import io.tsdb.server.ServerContext;
import io.tsdb.server.WriteEvents;
import io.tsdb.server.http.HttpError;
import io.tsdb.server.http.Request;
import io.tsdb.server.http.Response;
import io.tsdb.server.http.Router;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;

/** Ingest handlers over MemStorage with a fixed clock, called through the Router with fake requests. */
public final class TestEnv {
    public static final long NOW = 1_700_000_000_123L;

    public final ServerConfig config = new ServerConfig();
    public final Storage storage;
    public final MetadataStore metadata = new MetadataStore();
    public final PrometheusRegistry registry = new PrometheusRegistry();
    public final WriteEvents events = new WriteEvents();
    public final List<long[]> commits = new ArrayList<>();
    public final AtomicBoolean ready = new AtomicBoolean(true);
    public final Router router = new Router();
    public final IngestContext ctx;

    public TestEnv() { this(new MemStorage(), c -> {}); }

    public TestEnv(java.util.function.Consumer<ServerConfig> configure) { this(new MemStorage(), configure); }

    public TestEnv(Storage storage, java.util.function.Consumer<ServerConfig> configure) {
        this.storage = storage;
        configure.accept(config);
        events.addListener((a, b) -> commits.add(new long[]{a, b}));
        ServerContext sc = new ServerContext(config, storage, null, registry, ready::get, metadata, events);
        ctx = new IngestContext(sc, new IngestMetrics(registry), new IngestLimiter(config.ingestQueueSize, 4 * config.maxBodyBytes), () -> NOW);
        IngestFeature.register(router, ctx);
    }

    public record Result(int status, String body, Map<String, String> headers) {
        @Override public String toString() { return status + " " + body; }
    }

    public Result post(String path, Map<String, String> headers, byte[] body) { return call("POST", path, headers, body); }

    public Result call(String method, String pathAndQuery, Map<String, String> headers, byte[] body) {
        int q = pathAndQuery.indexOf('?');
        String path = q < 0 ? pathAndQuery : pathAndQuery.substring(0, q);
        Map<String, List<String>> params = new LinkedHashMap<>();
        if (q >= 0) {
            for (String kv : pathAndQuery.substring(q + 1).split("&")) {
                int eq = kv.indexOf('=');
                String k = eq < 0 ? kv : kv.substring(0, eq), v = eq < 0 ? "" : kv.substring(eq + 1);
                params.computeIfAbsent(k, x -> new ArrayList<>()).add(java.net.URLDecoder.decode(v, StandardCharsets.UTF_8));
            }
        }
        Router.Match m = router.match(method, path);
        if (m == null) return new Result(404, "not found", Map.of());
        if (!m.methodAllowed()) return new Result(405, "method not allowed", Map.of());
        ByteBuf buf = Unpooled.directBuffer(Math.max(1, body.length)).writeBytes(body); // as the server hands bodies over: off-heap
        TreeMap<String, String> h = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        h.putAll(headers);
        Request req = new Request() {
            public String method() { return method; }
            public String path() { return path; }
            public String param(String name) { List<String> l = params.get(name); return l == null ? null : l.get(0); }
            public List<String> params(String name) { return params.getOrDefault(name, List.of()); }
            public String header(String name) { return h.get(name); }
            public ByteBuf body() { return buf; }
            public String requestId() { return "test"; }
            public String remoteAddress() { return "127.0.0.1:1"; }
            public io.tsdb.server.tenant.TenantScope tenant() {
                return io.tsdb.server.tenant.TenantResolver.resolve(h.get(io.tsdb.server.tenant.TenantScope.HEADER), null,
                        Map.of(), "anonymous");
            }
        };
        try {
            Response r = m.route().handler().handle(req);
            return new Result(r.status(), new String(r.body(), StandardCharsets.UTF_8), r.headers());
        } catch (HttpError e) {
            Map<String, String> rh = new LinkedHashMap<>();
            if (e.retryAfterSeconds() != null) rh.put("Retry-After", e.retryAfterSeconds());
            return new Result(e.status(), e.getMessage(), rh);
        } catch (Exception e) {
            throw new AssertionError("handler threw (would be a 500)", e);
        } finally {
            buf.release();
        }
    }

    /** Every stored sample as "labels t=v" lines, sorted by series then time. */
    public List<String> dump() {
        List<String> out = new ArrayList<>();
        try (Querier q = storage.querier(Long.MIN_VALUE, Long.MAX_VALUE)) {
            SeriesSet ss = q.select(List.of(Matcher.re(Labels.METRIC_NAME, ".+")));
            while (ss.next()) {
                Labels l = ss.labels();
                SampleCursor c = ss.cursor();
                while (c.next()) out.add(l + " " + c.timestamp() + "=" + fmt(c.value()));
            }
        }
        return out;
    }

    public static String fmt(double v) {
        if (io.tsdb.core.StaleNaN.is(v)) return "stale";
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
        return Double.toString(v);
    }

    public String scrape() {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            PrometheusTextFormatWriter.create().write(out, registry.scrape());
            return out.toString(StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    public static byte[] utf8(String s) { return s.getBytes(StandardCharsets.UTF_8); }
}
