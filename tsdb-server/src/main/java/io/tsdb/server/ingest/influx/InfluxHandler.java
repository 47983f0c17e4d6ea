package io.tsdb.server.ingest.influx;

import io.tsdb.server.ingest.BodyDecoder;
import io.tsdb.server.ingest.DecodedBody;
import io.tsdb.server.ingest.IngestBatch;
import io.tsdb.server.ingest.IngestContext;
import io.tsdb.server.ingest.IngestEndpoint;
import io.tsdb.server.ingest.Names;
import io.tsdb.server.http.HttpError;
import io.tsdb.server.http.Request;
import io.tsdb.server.http.Response;

/**
 * Influx line protocol: {@code POST /write} (v1: {@code db}, {@code precision} n|ns|u|us|ms|s|m|h) and
 * {@code POST /api/v2/write} (v2: {@code bucket}, {@code org}, {@code precision} ns|us|ms|s). 204 when every
 * field was stored; otherwise 400 with an Influx-style JSON error counting rejections by reason.
 */
public final class InfluxHandler extends IngestEndpoint {
    private final boolean v2;
    private final ThreadLocal<InfluxParser> parsers;

    public InfluxHandler(IngestContext ctx, boolean v2) {
        super(ctx, "influx");
        this.v2 = v2;
        io.tsdb.server.ingest.LabelCache cache = ctx.newLabelCache();
        this.parsers = ThreadLocal.withInitial(() -> new InfluxParser(ctx.rules(), cache));
    }

    @Override protected Response ingest(Request request) {
        String db = v2 ? request.param("bucket") : request.param("db");
        if (db != null && db.isEmpty()) db = null;
        String p = request.param("precision");
        long[] prec = InfluxParser.precision(p);
        if (prec == null || (v2 && p != null && !(p.equals("ns") || p.equals("us") || p.equals("ms") || p.equals("s")))) {
            throw error(400, "invalid precision \"" + p + "\"; use " + (v2 ? "ns, us, ms or s" : "n, ns, u, us, ms, s, m or h"));
        }
        try (DecodedBody body = body(request, "identity", BodyDecoder.ALL)) {
            IngestBatch batch = ctx.newBatch(protocol, request);
            parsers.get().parse(body.buf(), db, prec, ctx.nowMs(), batch);
            batch.commit();
            if (batch.rejected() == 0) return Response.noContent();
            String msg = "partial write: " + batch.summary("samples");
            return Response.json(400, v2 ? "{\"code\":\"invalid\",\"message\":" + Names.jsonQuote(msg) + "}"
                                         : "{\"error\":" + Names.jsonQuote(msg) + "}");
        }
    }

    private HttpError error(int status, String msg) { return new HttpError(status, msg); }
}
