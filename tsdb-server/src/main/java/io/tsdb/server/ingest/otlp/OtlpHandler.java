package io.tsdb.server.ingest.otlp;

import io.tsdb.server.ingest.BodyDecoder;
import io.tsdb.server.ingest.DecodedBody;
import io.tsdb.server.ingest.IngestBatch;
import io.tsdb.server.ingest.IngestContext;
import io.tsdb.server.ingest.IngestEndpoint;
import io.tsdb.server.ingest.Names;
import io.tsdb.server.ingest.proto.ProtoException;
import io.tsdb.server.ingest.proto.ProtoWriter;
import io.tsdb.server.http.HttpError;
import io.tsdb.server.http.Request;
import io.tsdb.server.http.Response;

import java.util.Locale;

/**
 * {@code POST /api/v1/otlp/v1/metrics}: OTLP/HTTP metrics export, protobuf ({@code application/x-protobuf})
 * or JSON ({@code application/json}), optionally gzip/zstd/snappy/deflate encoded. Success is 200 with an
 * empty ExportMetricsServiceResponse in the request's encoding. When some points were rejected, the valid
 * ones are stored and the answer is 400 with a google.rpc.Status (code 3, INVALID_ARGUMENT) whose message
 * counts rejections by reason; a malformed body stores nothing.
 */
public final class OtlpHandler extends IngestEndpoint {
    private final ThreadLocal<OtlpConverter> converters;
    private final ThreadLocal<OtlpProtoDecoder> protos;
    private final ThreadLocal<OtlpJsonDecoder> jsons;

    public OtlpHandler(IngestContext ctx) {
        super(ctx, "otlp");
        converters = ThreadLocal.withInitial(() -> new OtlpConverter(ctx.rules(), ctx.server().metadata()));
        protos = ThreadLocal.withInitial(() -> new OtlpProtoDecoder(converters.get()));
        jsons = ThreadLocal.withInitial(() -> new OtlpJsonDecoder(converters.get()));
    }

    @Override protected Response ingest(Request request) {
        String ct = request.header("Content-Type");
        String media = ct == null ? "application/x-protobuf" : ct.split(";")[0].trim().toLowerCase(Locale.ROOT);
        boolean json;
        if (media.equals("application/x-protobuf") || media.equals("application/protobuf")) json = false;
        else if (media.equals("application/json")) json = true;
        else throw new HttpError(415, "unsupported Content-Type \"" + ct + "\" for OTLP metrics; use application/x-protobuf or application/json");
        try (DecodedBody body = body(request, "identity", BodyDecoder.ALL)) {
            IngestBatch batch = ctx.newBatch(protocol, request);
            converters.get().begin(batch, ctx.nowMs());
            try {
                if (json) jsons.get().decode(body.buf()); else protos.get().decode(body.buf());
            } catch (ProtoException | OtlpJsonDecoder.JsonError e) {
                batch.rollback();
                batch.abandon("malformed_request");
                return status(json, 400, "malformed OTLP " + (json ? "JSON" : "protobuf") + " request: " + e.getMessage()
                        + "; nothing from this request was stored");
            }
            batch.commit();
            if (batch.rejected() == 0) {
                return json ? Response.json(200, "{}") : new Response(200, "application/x-protobuf", new byte[0]);
            }
            return status(json, 400, batch.summary("samples"));
        }
    }

    /** google.rpc.Status {int32 code = 1; string message = 2}; code 3 = INVALID_ARGUMENT. */
    static Response status(boolean json, int http, String message) {
        if (json) return Response.json(http, "{\"code\":3,\"message\":" + Names.jsonQuote(message) + "}");
        ProtoWriter out = new ProtoWriter();
        out.int64(1, 3);
        out.string(2, message);
        return new Response(http, "application/x-protobuf", out.toByteArray());
    }
}
