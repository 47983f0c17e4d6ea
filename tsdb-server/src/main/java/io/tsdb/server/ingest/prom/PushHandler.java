package io.tsdb.server.ingest.prom;

import io.tsdb.core.registry.LabelValidator;
import io.tsdb.server.ingest.BodyDecoder;
import io.tsdb.server.ingest.DecodedBody;
import io.tsdb.server.ingest.IngestBatch;
import io.tsdb.server.ingest.IngestContext;
import io.tsdb.server.ingest.IngestEndpoint;
import io.tsdb.server.http.HttpError;
import io.tsdb.server.http.Request;
import io.tsdb.server.http.Response;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * Pushgateway-style push: {@code PUT|POST /metrics/job/<job>{/<label>/<value>}} with a Prometheus text body, or the
 * delimited protobuf exposition format (native histograms included, {@link PromProtobufParser}).
 * The grouping labels from the path are added to every series (a conflicting label in the body is rejected);
 * a label name ending in {@code @base64} carries a URL-safe base64 value (padding optional, {@code =} alone
 * meaning empty). Samples are stamped with the receive time; samples with their own timestamp are rejected,
 * as the Pushgateway does. PUT and POST behave alike (a TSDB keeps history, nothing is replaced).
 */
public final class PushHandler extends IngestEndpoint {
    public static final String PREFIX = "/metrics/job/";
    private final ThreadLocal<PromTextParser> parsers;
    private final ThreadLocal<PromProtobufParser> protobuf;

    public PushHandler(IngestContext ctx) {
        super(ctx, "pushgateway");
        io.tsdb.server.ingest.LabelCache cache = new io.tsdb.server.ingest.LabelCache(1 << 14);
        parsers = ThreadLocal.withInitial(() -> new PromTextParser(ctx.rules(), cache));
        protobuf = ThreadLocal.withInitial(() -> new PromProtobufParser(ctx.rules()));
    }

    /** Grouping labels from the path as name/value pairs, or throws 400. */
    static String[] groupingLabels(String path) {
        if (!path.startsWith("/metrics/")) throw new HttpError(404, "push path must be /metrics/job/<job>{/<label>/<value>}");
        String rest = path.substring("/metrics/".length());
        if (rest.endsWith("/")) rest = rest.substring(0, rest.length() - 1);
        String[] seg = rest.split("/", -1);
        if (seg.length < 2 || (seg.length & 1) != 0) {
            throw new HttpError(400, "invalid push path \"" + path + "\": expected /metrics/job/<job>{/<label>/<value>} (label/value pairs)");
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < seg.length; i += 2) {
            String name = seg[i], value = seg[i + 1];
            if (name.endsWith("@base64")) {
                name = name.substring(0, name.length() - "@base64".length());
                try {
                    value = value.equals("=") ? "" : new String(Base64.getUrlDecoder().decode(value.replace('+', '-').replace('/', '_')), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    throw new HttpError(400, "invalid base64 value \"" + value + "\" for grouping label " + name + ": " + e.getMessage());
                }
            }
            if (!LabelValidator.isValidLabelName(name) || name.startsWith("__")) {
                throw new HttpError(400, "invalid grouping label name \"" + name + "\" in push path (must match [a-zA-Z_][a-zA-Z0-9_]*)");
            }
            if (i == 0 && value.isEmpty()) throw new HttpError(400, "job name is required in the push path (/metrics/job/<job>)");
            if (out.contains(name)) throw new HttpError(400, "grouping label " + name + " appears twice in the push path");
            out.add(name);
            out.add(value);
        }
        return out.toArray(new String[0]);
    }

    @Override protected Response ingest(Request request) {
        String[] grouping = groupingLabels(request.path());
        String ct = request.header("Content-Type");
        boolean pb = PromProtobufParser.isProtobuf(ct);
        if (!pb && ct != null && ct.toLowerCase(Locale.ROOT).contains("protobuf")) {
            throw new HttpError(415, "unsupported Content-Type \"" + ct + "\" for push; send the Prometheus text format (text/plain; version=0.0.4) "
                    + "or the delimited protobuf format (" + PromProtobufParser.CONTENT_TYPE + ")");
        }
        boolean om = PromImportHandler.isOpenMetrics(ct);
        try (DecodedBody body = body(request, "identity", BodyDecoder.ALL)) {
            IngestBatch batch = ctx.newBatch(protocol, request);
            if (pb) {
                PromImportHandler.parseProtobuf(protobuf.get(), body, grouping, PromTextParser.Timestamps.REJECTED, ctx.nowMs(), batch, ctx);
            } else {
                parsers.get().parse(body.buf(), om, grouping, PromTextParser.Timestamps.REJECTED, ctx.nowMs(), batch, ctx.server().metadata());
            }
            batch.commit();
            if (batch.rejected() == 0) return new Response(200, null, null);
            return Response.text(400, batch.summary("samples"));
        }
    }
}
