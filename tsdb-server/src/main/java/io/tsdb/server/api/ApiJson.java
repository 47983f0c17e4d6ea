package io.tsdb.server.api;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.tsdb.core.Labels;
import io.tsdb.query.engine.QueryStats;
import io.tsdb.query.engine.Sample;
import io.tsdb.query.engine.Series;
import io.tsdb.query.engine.Value;
import io.tsdb.server.http.Response;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * Streams Prometheus API responses with a Jackson {@link JsonGenerator} (no intermediate trees):
 * the envelope {@code {status, data, errorType, error, warnings, infos}} and the query result shapes.
 */
public final class ApiJson {
    static final JsonFactory FACTORY = JsonFactory.builder().build();

    /** Writes the "data" value. */
    @FunctionalInterface
    public interface DataWriter {
        void write(JsonGenerator g) throws IOException;
    }

    private ApiJson() {}

    /** 200 {"status":"success","data":...,"warnings":[...],"infos":[...]} (empty annotation lists omitted). */
    public static Response success(DataWriter data, List<String> warnings, List<String> infos) {
        return write(200, g -> {
            g.writeStartObject();
            g.writeStringField("status", "success");
            g.writeFieldName("data");
            data.write(g);
            writeStrings(g, "warnings", warnings);
            writeStrings(g, "infos", infos);
            g.writeEndObject();
        });
    }

    public static Response success(DataWriter data) { return success(data, List.of(), List.of()); }

    public static Response write(int status, DataWriter body) {
        Buffer out = new Buffer();
        try (JsonGenerator g = FACTORY.createGenerator(out, JsonEncoding.UTF8)) {
            body.write(g);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // the response takes the buffer as it is: a large answer (100,000 series) is not copied once more
        return Response.json(status, out.array(), out.size());
    }

    /** A byte array output stream whose buffer is handed over without a final copy. */
    private static final class Buffer extends ByteArrayOutputStream {
        Buffer() { super(4096); }

        byte[] array() { return buf; }
    }

    private static void writeStrings(JsonGenerator g, String field, List<String> values) throws IOException {
        if (values == null || values.isEmpty()) return;
        g.writeArrayFieldStart(field);
        for (String s : values) g.writeString(s);
        g.writeEndArray();
    }

    public static void writeStringArray(JsonGenerator g, List<String> values) throws IOException {
        g.writeStartArray();
        for (String s : values) g.writeString(s);
        g.writeEndArray();
    }

    /** A label set as a JSON object in label-name order. */
    public static void writeLabels(JsonGenerator g, Labels labels) throws IOException {
        g.writeStartObject();
        for (int i = 0; i < labels.size(); i++) g.writeStringField(labels.name(i), labels.value(i));
        g.writeEndObject();
    }

    /** [ts, "value"] */
    public static void writePoint(JsonGenerator g, long ms, double v) throws IOException {
        g.writeStartArray();
        g.writeNumber(GoFloat.timestamp(ms));
        g.writeString(GoFloat.api(v));
        g.writeEndArray();
    }

    /** {"resultType":..., "result":..., "stats":...} for a query value. */
    public static void writeQueryData(JsonGenerator g, Value value, QueryStats stats) throws IOException {
        g.writeStartObject();
        if (value instanceof Value.Scalar s) {
            g.writeStringField("resultType", "scalar");
            g.writeFieldName("result");
            writePoint(g, s.timestampMs(), s.value());
        } else if (value instanceof Value.Str s) {
            g.writeStringField("resultType", "string");
            g.writeFieldName("result");
            g.writeStartArray();
            g.writeNumber(GoFloat.timestamp(s.timestampMs()));
            g.writeString(s.value());
            g.writeEndArray();
        } else if (value instanceof Value.Vector v) {
            g.writeStringField("resultType", "vector");
            g.writeArrayFieldStart("result");
            for (Sample smp : v.samples()) {
                g.writeStartObject();
                g.writeFieldName("metric");
                writeLabels(g, smp.labels());
                g.writeFieldName("value");
                writePoint(g, smp.timestampMs(), smp.value());
                g.writeEndObject();
            }
            g.writeEndArray();
        } else if (value instanceof Value.Matrix m) {
            g.writeStringField("resultType", "matrix");
            g.writeArrayFieldStart("result");
            for (Series s : m.series()) {
                g.writeStartObject();
                g.writeFieldName("metric");
                writeLabels(g, s.labels());
                g.writeArrayFieldStart("values");
                long[] ts = s.timestamps();
                double[] vs = s.values();
                for (int i = 0; i < s.count(); i++) writePoint(g, ts[i], vs[i]);
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndArray();
        }
        if (stats != null) writeStats(g, stats);
        g.writeEndObject();
    }

    /** The "stats" object of Prometheus's stats=all (timings in seconds, sample counts). */
    static void writeStats(JsonGenerator g, QueryStats st) throws IOException {
        g.writeObjectFieldStart("stats");
        g.writeObjectFieldStart("timings");
        double total = (st.parseNanos() + st.planNanos() + st.evalNanos()) / 1e9;
        g.writeNumberField("evalTotalTime", (st.planNanos() + st.evalNanos()) / 1e9);
        g.writeNumberField("resultSortTime", 0.0);
        g.writeNumberField("queryPreparationTime", (st.parseNanos() + st.planNanos()) / 1e9);
        g.writeNumberField("innerEvalTime", st.evalNanos() / 1e9);
        g.writeNumberField("execQueueTime", 0.0);
        g.writeNumberField("execTotalTime", total);
        g.writeEndObject();
        g.writeObjectFieldStart("samples");
        g.writeNumberField("totalQueryableSamples", st.samplesTouched());
        g.writeNumberField("peakSamples", st.samplesTouched());
        g.writeNumberField("seriesTouched", st.seriesTouched());
        g.writeEndObject();
        g.writeEndObject();
    }
}
