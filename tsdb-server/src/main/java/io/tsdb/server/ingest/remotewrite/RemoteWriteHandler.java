package io.tsdb.server.ingest.remotewrite;

import io.tsdb.server.ingest.BodyDecoder;
import io.tsdb.server.ingest.DecodedBody;
import io.tsdb.server.ingest.IngestBatch;
import io.tsdb.server.ingest.IngestContext;
import io.tsdb.server.ingest.IngestEndpoint;
import io.tsdb.server.ingest.LabelCache;
import io.tsdb.server.ingest.proto.ProtoException;
import io.tsdb.server.http.HttpError;
import io.tsdb.server.http.Request;
import io.tsdb.server.http.Response;

import java.util.Locale;

/**
 * {@code POST /api/v1/write}: Prometheus remote write 1.0 ({@code application/x-protobuf}, optionally
 * {@code ;proto=prometheus.WriteRequest}) and 2.0 ({@code ;proto=io.prometheus.write.v2.Request}). Bodies are
 * snappy block-compressed (the default when Content-Encoding is absent); zstd, gzip and identity are also
 * accepted. 204 when every sample was stored; 400 with counts by reason otherwise; for 2.0 the
 * X-Prometheus-Remote-Write-*-Written headers report what was stored.
 */
public final class RemoteWriteHandler extends IngestEndpoint {
    public static final String V2_PROTO = "io.prometheus.write.v2.Request";
    public static final String V1_PROTO = "prometheus.WriteRequest";

    private final ThreadLocal<RemoteWriteDecoder> decoders;

    public RemoteWriteHandler(IngestContext ctx) {
        super(ctx, "remote_write");
        LabelCache cache = ctx.newLabelCache();
        boolean zeros = ctx.server().config().ingestStartTimestampZeros;
        decoders = ThreadLocal.withInitial(() -> new RemoteWriteDecoder(ctx.rules(), ctx.server().metadata(), cache).startTimestampZeros(zeros));
    }

    /** 1 or 2 from the Content-Type, or throws 415. */
    static int version(String contentType) {
        if (contentType == null || contentType.isBlank()) return 1;
        String[] parts = contentType.split(";");
        String media = parts[0].trim().toLowerCase(Locale.ROOT);
        if (!media.equals("application/x-protobuf")) throw unsupported(contentType);
        String proto = null;
        for (int i = 1; i < parts.length; i++) {
            String p = parts[i].trim();
            int eq = p.indexOf('=');
            if (eq > 0 && p.substring(0, eq).trim().equalsIgnoreCase("proto")) proto = p.substring(eq + 1).trim().replace("\"", "");
        }
        if (proto == null || proto.equals(V1_PROTO)) return 1;
        if (proto.equals(V2_PROTO)) return 2;
        throw unsupported(contentType);
    }

    private static HttpError unsupported(String contentType) {
        return new HttpError(415, "unsupported Content-Type \"" + contentType + "\" for remote write; use application/x-protobuf "
                + "(1.0, proto=" + V1_PROTO + ") or application/x-protobuf;proto=" + V2_PROTO + " (2.0)");
    }

    @Override protected Response ingest(Request request) {
        int version = version(request.header("Content-Type"));
        String versionHeader = request.header("X-Prometheus-Remote-Write-Version");
        try (DecodedBody body = body(request, "snappy", BodyDecoder.ALL)) {
            IngestBatch batch = ctx.newBatch(protocol, request);
            RemoteWriteDecoder dec = decoders.get();
            try {
                if (version == 1) dec.decodeV1(body.buf(), batch); else dec.decodeV2(body.buf(), batch);
            } catch (ProtoException e) {
                batch.rollback();
                batch.abandon("malformed_request");
                throw new HttpError(400, "malformed remote write " + version + ".0 request"
                        + (versionHeader != null ? " (X-Prometheus-Remote-Write-Version " + versionHeader + ")" : "")
                        + ": " + e.getMessage() + "; nothing from this request was stored");
            }
            batch.commit();
            Response resp = batch.rejected() == 0 ? Response.noContent() : Response.text(400, batch.summary("samples"));
            if (version == 2) {
                resp.header("X-Prometheus-Remote-Write-Samples-Written", Long.toString(batch.staged() - batch.stagedHistograms()));
                resp.header("X-Prometheus-Remote-Write-Histograms-Written", Long.toString(batch.stagedHistograms()));
                resp.header("X-Prometheus-Remote-Write-Exemplars-Written", "0");
            }
            return resp;
        }
    }
}
