package io.tsdb.server.ingest;

import io.tsdb.server.ServerConfig;
import io.tsdb.server.ServerContext;

import java.util.function.LongSupplier;

/** What all ingest endpoints share: server context, metrics, backpressure, body decoding, label limits, clock. */
public final class IngestContext {
    /**
     * Most entries of each endpoint's label cache (shared by its worker threads; two generations sized by the
     * active series, see {@link LabelCache}): series known by their wire bytes. About 300 bytes each beyond the
     * label set, which is the storage's own instance.
     */
    public static final int LABEL_CACHE_ENTRIES = 1 << 18;

    final ServerContext server;
    final IngestMetrics metrics;
    final IngestLimiter limiter;
    final BodyDecoder decoder;
    final LabelRules rules;
    final LongSupplier clockMs;

    public IngestContext(ServerContext server, IngestMetrics metrics, IngestLimiter limiter, LongSupplier clockMs) {
        this.server = server;
        this.metrics = metrics;
        this.limiter = limiter;
        this.decoder = new BodyDecoder(server.config().maxBodyBytes, limiter);
        this.rules = LabelRules.of(server.config());
        this.clockMs = clockMs;
    }

    /** Default limits: {@code ingestQueueSize} concurrent requests; memory budget max(4 x max body, heap / 4). */
    public static IngestContext create(ServerContext server) {
        ServerConfig c = server.config();
        long budget = Math.max(4 * c.maxBodyBytes, Runtime.getRuntime().maxMemory() / 4);
        return new IngestContext(server, new IngestMetrics(server.registry()), new IngestLimiter(c.ingestQueueSize, budget),
                System::currentTimeMillis);
    }

    public ServerContext server() { return server; }
    public IngestMetrics metrics() { return metrics; }
    public IngestLimiter limiter() { return limiter; }
    public BodyDecoder decoder() { return decoder; }
    public LabelRules rules() { return rules; }
    public long nowMs() { return clockMs.getAsLong(); }

    /**
     * A label cache for one endpoint, sized by the storage's active series. Its ceiling lets one generation hold every
     * series the server admits (5/4 of --storage.max-active-series): with a lower one, more active series than a
     * generation holds made every lookup of a request sent in the same order each time miss (measured: 200,000 active
     * series with the old ceiling of 262,144 entries, label decoding and cache inserts were 75 % of the bytes the
     * server allocated).
     */
    public LabelCache newLabelCache() {
        long perGeneration = server.config().maxActiveSeries / 4 * 5;
        int maxEntries = (int) Math.min(1 << 30, Math.max(LABEL_CACHE_ENTRIES, 2 * perGeneration));
        return new LabelCache(maxEntries, () -> server.storage().stats().activeSeries(), clockMs,
                () -> server.storage() instanceof io.tsdb.core.db.Tsdb db ? db.seriesRemoved() : 0);
    }

    /** A batch writing to the request's tenant (one tenant: 400 for a multi-tenant X-Scope-OrgID). */
    public IngestBatch newBatch(String protocol, io.tsdb.server.http.Request request) {
        io.tsdb.server.tenant.TenantScope scope = request.tenant();
        String tenant = scope.single();
        return new IngestBatch(protocol, server.tenants().storage(scope).appender(), metrics, server.writeEvents(),
                tenant, server.tenants().limiter()).metadataTenant(scope.labelValue(tenant));
    }
}
