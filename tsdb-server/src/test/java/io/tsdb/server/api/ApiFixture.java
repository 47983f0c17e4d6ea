package io.tsdb.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.tsdb.core.Labels;
import io.tsdb.core.testing.MemStorage;
import io.tsdb.server.MetadataStore;
import io.tsdb.server.ServerConfig;
import io.tsdb.server.ServerContext;
import io.tsdb.server.WriteEvents;
import io.tsdb.server.http.Request;
import io.tsdb.server.http.Response;
import io.tsdb.server.http.Router;

import java.util.concurrent.atomic.AtomicLong;

/** The API feature over MemStorage and the fake engine (or an engine of the test's choice), with a settable clock. */
final class ApiFixture {
    static final ObjectMapper JSON = new ObjectMapper();

    final MemStorage storage = new MemStorage();
    /** The fake engine; null when the fixture runs over another one. */
    final FakeEngine engine;
    final ServerConfig config = new ServerConfig();
    final MetadataStore metadata = new MetadataStore();
    final WriteEvents writeEvents = new WriteEvents();
    final PrometheusRegistry registry = new PrometheusRegistry();
    final AtomicLong now = new AtomicLong(1_700_000_000_000L);
    final Router router = new Router();
    final PrometheusApiFeature feature = new PrometheusApiFeature(now::get);
    final ServerContext ctx;

    ApiFixture() { this(null); }

    /** Over the engine the factory builds on this fixture's storage (null: the fake engine). */
    ApiFixture(java.util.function.Function<io.tsdb.core.Storage, io.tsdb.query.engine.QueryEngine> engineFactory) {
        engine = engineFactory == null ? new FakeEngine(storage) : null;
        ctx = new ServerContext(config, storage, engine != null ? engine : engineFactory.apply(storage), registry, () -> true,
                metadata, writeEvents);
        feature.register(router, ctx);
    }

    /** The handler's response; a failure is answered as the dispatcher answers it (ErrorResponses). */
    Response call(Request r) throws Exception {
        Router.Match m = router.match(r.method(), r.path());
        if (m == null) throw new AssertionError("no route for " + r.path());
        if (!m.methodAllowed()) throw new AssertionError("method " + r.method() + " not allowed on " + r.path());
        try {
            return m.route().handler().handle(r);
        } catch (Exception e) {
            return io.tsdb.server.http.ErrorResponses.forFailure(r.method(), r.path(), r.requestId(), e);
        }
    }

    JsonNode json(Request r, int expectedStatus) throws Exception {
        Response resp = call(r);
        String body = new String(resp.body(), java.nio.charset.StandardCharsets.UTF_8);
        if (resp.status() != expectedStatus) throw new AssertionError("status " + resp.status() + " body " + body);
        if (!"application/json".equals(resp.contentType())) throw new AssertionError("content type " + resp.contentType());
        return JSON.readTree(body);
    }

    void add(long t, double v, String... labels) { storage.add(Labels.of(labels), t, v); }
}
