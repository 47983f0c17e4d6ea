package io.tsdb.server.ingest.prom;

import io.tsdb.server.ingest.BodyDecoder;
import io.tsdb.server.ingest.DecodedBody;
import io.tsdb.server.ingest.IngestBatch;
import io.tsdb.server.ingest.IngestContext;
import io.tsdb.server.ingest.IngestEndpoint;
import io.tsdb.server.http.Request;
import io.tsdb.server.http.Response;

import java.util.Locale;

/**
 * {@code POST /api/v1/import/prometheus}: Prometheus text exposition (or OpenMetrics when the Content-Type
 * is {@code application/openmetrics-text}) with optional per-sample timestamps; samples without one get
 * the receive time. 204 when all samples were stored, 400 with counts by reason and line numbers otherwise.
 */
public final class PromImportHandler extends IngestEndpoint {
    private final ThreadLocal<PromTextParser> parsers;
    private static final String[] NONE = new String[0];

    public PromImportHandler(IngestContext ctx) {
        super(ctx, "prometheus_text");
        io.tsdb.server.ingest.LabelCache cache = ctx.newLabelCache();
        parsers = ThreadLocal.withInitial(() -> new PromTextParser(ctx.rules(), cache));
    }

    static boolean isOpenMetrics(String contentType) {
        return contentType != null && contentType.toLowerCase(Locale.ROOT).contains("application/openmetrics-text");
    }

    @Override protected Response ingest(Request request) {
        boolean om = isOpenMetrics(request.header("Content-Type"));
        try (DecodedBody body = body(request, "identity", BodyDecoder.ALL)) {
            IngestBatch batch = ctx.newBatch(protocol, request);
            parsers.get().parse(body.buf(), om, NONE, PromTextParser.Timestamps.ALLOWED, ctx.nowMs(), batch, ctx.server().metadata());
            batch.commit();
            if (batch.rejected() == 0) return Response.noContent();
            return Response.text(400, batch.summary("samples"));
        }
    }
}
