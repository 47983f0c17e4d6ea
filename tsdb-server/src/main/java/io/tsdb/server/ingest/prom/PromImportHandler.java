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
 * is {@code application/openmetrics-text}, or the delimited protobuf exposition format, which carries native
 * histograms, see {@link PromProtobufParser}) with optional per-sample timestamps; samples without one get
 * the receive time. 204 when all samples were stored, 400 with counts by reason and line numbers otherwise.
 */
public final class PromImportHandler extends IngestEndpoint {
    private final ThreadLocal<PromTextParser> parsers;
    private final ThreadLocal<PromProtobufParser> protobuf;
    private static final String[] NONE = new String[0];

    public PromImportHandler(IngestContext ctx) {
        super(ctx, "prometheus_text");
        io.tsdb.server.ingest.LabelCache cache = ctx.newLabelCache();
        parsers = ThreadLocal.withInitial(() -> new PromTextParser(ctx.rules(), cache));
        protobuf = ThreadLocal.withInitial(() -> new PromProtobufParser(ctx.rules()));
    }

    static boolean isOpenMetrics(String contentType) {
        return contentType != null && contentType.toLowerCase(Locale.ROOT).contains("application/openmetrics-text");
    }

    @Override protected Response ingest(Request request) {
        boolean om = isOpenMetrics(request.header("Content-Type"));
        try (DecodedBody body = body(request, "identity", BodyDecoder.ALL)) {
            IngestBatch batch = ctx.newBatch(protocol, request);
            if (PromProtobufParser.isProtobuf(request.header("Content-Type"))) {
                parseProtobuf(protobuf.get(), body, NONE, PromTextParser.Timestamps.ALLOWED, ctx.nowMs(), batch, ctx);
            } else {
                parsers.get().parse(body.buf(), om, NONE, PromTextParser.Timestamps.ALLOWED, ctx.nowMs(), batch, ctx.server().metadata());
            }
            batch.commit();
            if (batch.rejected() == 0) return Response.noContent();
            return Response.text(400, batch.summary("samples"));
        }
    }

    /** The protobuf exposition body into the batch; a malformed body stores nothing (400 naming the byte). */
    static void parseProtobuf(PromProtobufParser p, DecodedBody body, String[] extra, PromTextParser.Timestamps ts, long nowMs,
                              IngestBatch batch, IngestContext ctx) {
        try {
            p.parse(body.buf(), extra, ts, nowMs, batch, ctx.server().metadata());
        } catch (io.tsdb.server.ingest.proto.ProtoException e) {
            batch.rollback();
            batch.abandon("malformed_request");
            throw new io.tsdb.server.http.HttpError(400, "malformed protobuf exposition body: " + e.getMessage()
                    + "; nothing from this request was stored");
        }
    }
}
