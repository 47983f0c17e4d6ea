package io.tsdb.server.console;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.tsdb.query.engine.eval.FunctionDef;
import io.tsdb.query.engine.eval.FunctionRegistry;
import io.tsdb.server.http.Request;
import io.tsdb.server.http.Response;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;

/**
 * {@code GET /console/api/functions}: the PromQL functions of the query engine's registry, for the editor's
 * completion and highlighting: name, signature, result type, experimental flag and which samples the function
 * takes and returns. The registry is fixed at start, so the answer is built once.
 */
final class FunctionList {
    private final byte[] body = render();

    /** The one list, built when first asked for (class initialisation: once, thread-safe). */
    static final class Shared {
        static final FunctionList LIST = new FunctionList();
    }

    Response handle(Request req) { return Response.json(200, body); }

    private static byte[] render() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = new JsonFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("status", "success");
            g.writeArrayFieldStart("data");
            for (FunctionDef f : FunctionRegistry.all().values()) {
                g.writeStartObject();
                g.writeStringField("name", f.name());
                g.writeStringField("signature", f.signature());
                g.writeStringField("returnType", f.returnType().resultType());
                g.writeBooleanField("experimental", f.experimental());
                g.writeBooleanField("acceptsHistograms", f.acceptsHistograms());
                g.writeStringField("returns", f.returns().name().toLowerCase(Locale.ROOT));
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
