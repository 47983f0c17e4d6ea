package io.tsdb.server.api;

import io.airlift.compress.MalformedInputException;
import io.airlift.compress.snappy.SnappyCompressor;
import io.airlift.compress.snappy.SnappyDecompressor;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SampleCursor;
import io.tsdb.core.SeriesSet;
import io.tsdb.core.Storage;
import io.tsdb.server.ServerConfig;
import io.tsdb.server.http.HttpError;
import io.tsdb.server.http.Request;
import io.tsdb.server.http.Response;
import io.tsdb.server.ingest.proto.ProtoException;
import io.tsdb.server.ingest.proto.ProtoReader;
import io.tsdb.server.ingest.proto.ProtoWriter;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Prometheus remote read, {@code POST /api/v1/read}: a snappy-compressed protobuf ReadRequest answered with a
 * snappy-compressed ReadResponse of raw samples (response type SAMPLES): float samples in {@code TimeSeries.samples},
 * native histogram samples in {@code TimeSeries.histograms} (integer or float, as stored).
 */
final class RemoteRead {
    /** Refuse responses above this many samples, like Prometheus's --storage.remote.read-sample-limit. */
    static final long SAMPLE_LIMIT = 50_000_000L;

    private final io.tsdb.server.tenant.Tenants tenants;
    private final ServerConfig config;

    RemoteRead(io.tsdb.server.tenant.Tenants tenants, ServerConfig config) {
        this.tenants = tenants;
        this.config = config;
    }

    record Query(long start, long end, List<Matcher> matchers) {}

    Response handle(Request r) {
        byte[] raw = decompress(r.body(), config.maxBodyBytes);
        List<Query> queries = new ArrayList<>();
        boolean samplesAccepted;
        try {
            samplesAccepted = parseRequest(raw, queries);
        } catch (ProtoException e) {
            throw new HttpError(400, "remote read: malformed ReadRequest protobuf: " + e.getMessage());
        }
        if (!samplesAccepted) {
            throw new HttpError(400, "remote read: none of the accepted response types is supported; this server answers SAMPLES only");
        }
        ProtoWriter resp = new ProtoWriter(), result = new ProtoWriter(), series = new ProtoWriter(), tmp = new ProtoWriter(),
                scratch = new ProtoWriter();
        io.tsdb.core.histogram.Histogram ih = new io.tsdb.core.histogram.Histogram();
        io.tsdb.core.histogram.FloatHistogram fh = new io.tsdb.core.histogram.FloatHistogram();
        long samples = 0;
        Storage storage = tenants.storage(r.tenant());
        for (Query q : queries) {
            result.reset();
            try (Querier querier = storage.querier(q.start(), q.end())) {
                SeriesSet ss = querier.select(q.matchers());
                while (ss.next()) {
                    series.reset();
                    Labels l = ss.labels();
                    for (int i = 0; i < l.size(); i++) {
                        tmp.reset();
                        tmp.string(1, l.name(i));
                        tmp.string(2, l.value(i));
                        series.message(1, tmp);
                    }
                    SampleCursor c = ss.cursor();
                    while (c.next()) {
                        if (++samples > SAMPLE_LIMIT) {
                            throw new HttpError(400, "remote read: exceeded sample limit (" + SAMPLE_LIMIT + "); narrow the time range or matchers");
                        }
                        tmp.reset();
                        switch (c.sampleType()) {
                            case SampleCursor.HISTOGRAM -> {
                                HistogramWire.write(tmp, scratch, c.histogram(ih), c.timestamp());
                                series.message(4, tmp);
                            }
                            case SampleCursor.FLOAT_HISTOGRAM -> {
                                HistogramWire.write(tmp, scratch, c.floatHistogram(fh), c.timestamp());
                                series.message(4, tmp);
                            }
                            default -> {
                                tmp.fixed64(1, c.value());
                                tmp.int64(2, c.timestamp());
                                series.message(2, tmp);
                            }
                        }
                    }
                    result.message(1, series);
                }
            }
            resp.message(1, result);
        }
        SnappyCompressor comp = new SnappyCompressor();
        byte[] out = new byte[comp.maxCompressedLength(resp.length())];
        int n = comp.compress(resp.buffer(), 0, resp.length(), out, 0, out.length);
        return new Response(200, "application/x-protobuf", Arrays.copyOf(out, n)).header("Content-Encoding", "snappy");
    }

    static byte[] decompress(ByteBuf body, long maxBytes) {
        byte[] in = ByteBufUtil.getBytes(body);
        if (in.length == 0) throw new HttpError(400, "remote read: empty body, expected a snappy-compressed ReadRequest");
        int len;
        try {
            len = SnappyDecompressor.getUncompressedLength(in, 0);
        } catch (RuntimeException e) {
            throw new HttpError(400, "remote read: body is not snappy block-compressed: " + e.getMessage());
        }
        if (len < 0 || len > maxBytes) {
            throw new HttpError(413, "remote read: decompressed request of " + len + " bytes exceeds the limit of " + maxBytes + " bytes");
        }
        byte[] out = new byte[len];
        try {
            int n = new SnappyDecompressor().decompress(in, 0, in.length, out, 0, len);
            return n == len ? out : Arrays.copyOf(out, n);
        } catch (MalformedInputException | IndexOutOfBoundsException e) {
            throw new HttpError(400, "remote read: corrupt snappy data: " + e.getMessage());
        }
    }

    /**
     * Parses a ReadRequest {queries = 1, accepted_response_types = 2 (packed or not)} with the server's one protobuf
     * reader; returns whether SAMPLES is an accepted response type. A known field with the wrong wire type, a
     * truncated number or a length past its enclosing message throws {@link ProtoException} naming the field (with
     * its query and matcher index) and the byte offset; unknown fields are skipped.
     */
    static boolean parseRequest(byte[] raw, List<Query> out) {
        ProtoReader r = new ProtoReader(Unpooled.wrappedBuffer(raw));
        boolean samples = false, anyType = false;
        while (r.hasRemaining()) {
            int tag = r.tag();
            switch (ProtoReader.field(tag)) {
                case 1 -> {
                    int old = r.message(tag, "ReadRequest.queries[" + out.size() + "]");
                    out.add(parseQuery(r, out.size()));
                    r.popLimit(old);
                }
                case 2 -> {
                    int old = r.repeated(tag, ProtoReader.VARINT, "ReadRequest.accepted_response_types");
                    while (r.hasRemaining()) { anyType = true; if (r.varint64() == 0) samples = true; }
                    r.popLimit(old);
                }
                default -> r.skip(tag);
            }
        }
        return !anyType || samples;
    }

    /** Query {start_timestamp_ms = 1, end_timestamp_ms = 2, matchers = 3}, within the reader's current limit. */
    private static Query parseQuery(ProtoReader r, int index) {
        long start = 0, end = 0;
        List<Matcher> ms = new ArrayList<>();
        String where = "queries[" + index + "].";
        while (r.hasRemaining()) {
            int tag = r.tag();
            switch (ProtoReader.field(tag)) {
                case 1 -> { r.expect(tag, ProtoReader.VARINT, where + "start_timestamp_ms"); start = r.varint64(); }
                case 2 -> { r.expect(tag, ProtoReader.VARINT, where + "end_timestamp_ms"); end = r.varint64(); }
                case 3 -> {
                    int old = r.message(tag, where + "matchers[" + ms.size() + "]");
                    ms.add(parseMatcher(r, index, where + "matchers[" + ms.size() + "]."));
                    r.popLimit(old);
                }
                default -> r.skip(tag);
            }
        }
        boolean nonEmpty = false;
        for (Matcher m : ms) if (!m.matchesEmpty()) nonEmpty = true;
        if (!nonEmpty) {
            throw new HttpError(400, "remote read: query " + index + " needs at least one matcher that does not match the empty string");
        }
        return new Query(start, end, ms);
    }

    /** LabelMatcher {type = 1, name = 2, value = 3}. */
    private static Matcher parseMatcher(ProtoReader r, int index, String where) {
        long type = 0;
        String name = "", value = "";
        while (r.hasRemaining()) {
            int tag = r.tag();
            switch (ProtoReader.field(tag)) {
                case 1 -> { r.expect(tag, ProtoReader.VARINT, where + "type"); type = r.varint64(); }
                case 2 -> { r.expect(tag, ProtoReader.LEN, where + "name"); name = r.string(); }
                case 3 -> { r.expect(tag, ProtoReader.LEN, where + "value"); value = r.string(); }
                default -> r.skip(tag);
            }
        }
        if (type < 0 || type > 3) throw new HttpError(400, "remote read: query " + index + ": unknown matcher type " + type);
        try {
            return Matcher.of(Matcher.Type.values()[(int) type], name, value);
        } catch (IllegalArgumentException e) {
            throw new HttpError(400, "remote read: query " + index + ": " + e.getMessage());
        }
    }
}
