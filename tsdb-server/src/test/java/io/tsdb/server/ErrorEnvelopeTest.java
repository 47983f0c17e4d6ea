package io.tsdb.server;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tsdb.core.testing.MemStorage;
import io.tsdb.query.engine.QueryException;
import io.tsdb.server.api.ApiError;
import io.tsdb.server.http.ErrorResponses;
import io.tsdb.server.http.HttpError;
import io.tsdb.server.http.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The one error envelope and mapping (ErrorResponses), through the real dispatcher: an internal exception's
 * class, message and stack never reach a client body (JSON under /api/, text elsewhere); they are logged under
 * the request ID the client is given. Client errors keep their status, errorType and message.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ErrorEnvelopeTest {
    static final String SECRET = "/var/lib/tsdb/wal/00000042 checksum 0xdeadbeef";
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir Path dataDir;
    TsdbServer server;
    ListAppender<ILoggingEvent> logged = new ListAppender<>();
    Logger errorLog = (Logger) LoggerFactory.getLogger(ErrorResponses.class);

    @BeforeEach
    void start() throws Exception {
        logged.start();
        errorLog.addAppender(logged);
        ServerConfig c = new ServerConfig();
        c.listenHost = "127.0.0.1";
        c.listenPort = 0;
        c.dataDir = dataDir;
        server = TsdbServer.builder(c).storage(StorageFactory.of(new MemStorage())).features((router, ctx) -> {
            router.get("/api/v1/test/npe", r -> { throw new IllegalStateException(SECRET); });
            router.get("/test/npe", r -> { throw new IllegalStateException(SECRET); });
            router.get("/api/v1/test/io", r -> { throw new UncheckedIOException("snapshot failed", new IOException(SECRET)); });
            router.get("/api/v1/test/checked", r -> { throw new IOException(SECRET); });
            router.get("/api/v1/test/query-internal", r -> { throw new QueryException(QueryException.Kind.INTERNAL, SECRET); });
            router.get("/api/v1/test/error", r -> { throw new Error(SECRET); });
            router.get("/api/v1/test/null", r -> null);
            router.get("/api/v1/test/bad", r -> { throw ApiError.invalidParam("x", "cannot parse \"\u0001\" \"quoted\""); });
            router.get("/api/v1/test/timeout", r -> { throw new QueryException(QueryException.Kind.TIMEOUT, "query timed out"); });
            router.get("/test/bad", r -> { throw ApiError.badData("no match[] parameter provided"); });
            router.get("/api/v1/test/header", r -> { throw new HttpError(401, "unauthorized").header("WWW-Authenticate", "Basic"); });
            router.get("/api/v1/test/ok", r -> Response.text(200, "ok"));
        }).start();
    }

    @AfterEach
    void stop() {
        server.stop();
        errorLog.detachAppender(logged);
    }

    String url(String path) { return "http://127.0.0.1:" + server.port() + path; }

    @Test
    void internalFailuresAnswerOnlyTheRequestId() throws Exception {
        for (String p : new String[]{"/api/v1/test/npe", "/api/v1/test/io", "/api/v1/test/checked",
                "/api/v1/test/query-internal", "/api/v1/test/error", "/api/v1/test/null", "/test/npe"}) {
            logged.list.clear();
            HttpResponse<String> r = TestHttp.get(url(p), "X-Request-Id", "rid-" + p.hashCode());
            String rid = r.headers().firstValue("X-Request-Id").orElseThrow();
            assertEquals("rid-" + p.hashCode(), rid);
            assertEquals(500, r.statusCode(), p);
            String body = r.body();
            assertFalse(body.contains("42") || body.contains("deadbeef") || body.contains("Exception")
                    || body.contains("java.") || body.contains("handler"), p + " leaked: " + body);
            String message = "internal error (request ID " + rid + "); see the server log";
            if (p.startsWith("/api/")) {
                JsonNode n = JSON.readTree(body);
                assertEquals("error", n.get("status").asText());
                assertEquals("internal", n.get("errorType").asText());
                assertEquals(message, n.get("error").asText());
                assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
            } else {
                assertEquals(message + "\n", body);
            }
            // the details are in the log, under the same request ID
            assertEquals(1, logged.list.size(), p);
            ILoggingEvent e = logged.list.get(0);
            assertTrue(e.getKeyValuePairs().stream().anyMatch(kv -> kv.key.equals("request_id") && rid.equals(kv.value)), p);
            assertNotNull(e.getThrowableProxy(), p);
        }
    }

    @Test
    void clientErrorsKeepStatusTypeAndMessage() throws Exception {
        HttpResponse<String> r = TestHttp.get(url("/api/v1/test/bad"));
        assertEquals(400, r.statusCode());
        JsonNode n = JSON.readTree(r.body());
        assertEquals("bad_data", n.get("errorType").asText());
        assertEquals("invalid parameter \"x\": cannot parse \"\u0001\" \"quoted\"", n.get("error").asText());

        r = TestHttp.get(url("/api/v1/test/timeout"));
        assertEquals(503, r.statusCode());
        assertEquals("timeout", JSON.readTree(r.body()).get("errorType").asText());

        r = TestHttp.get(url("/test/bad"));
        assertEquals(400, r.statusCode());
        assertEquals("no match[] parameter provided\n", r.body());

        r = TestHttp.get(url("/api/v1/test/header"));
        assertEquals(401, r.statusCode());
        assertEquals("Basic", r.headers().firstValue("WWW-Authenticate").orElse(null));

        r = TestHttp.get(url("/api/v1/nope"));
        assertEquals(404, r.statusCode());
        assertEquals("not_found", JSON.readTree(r.body()).get("errorType").asText());
        assertTrue(logged.list.isEmpty(), "client errors are not logged as internal errors");
    }

    @Test
    void oneStatusTableAgreesWithEveryQueryErrorKind() {
        for (QueryException.Kind k : QueryException.Kind.values()) {
            if (k == QueryException.Kind.TIMEOUT) continue;   // shares 503 with UNAVAILABLE; always carries its own type
            assertEquals(k.errorType, ErrorResponses.errorTypeFor(k.httpStatus), k.name());
            HttpError e = ErrorResponses.clientError(new QueryException(k, "m"));
            if (k == QueryException.Kind.INTERNAL) assertNull(e, "an internal query error is not shown");
            else assertEquals(k.httpStatus, e.status());
        }
    }

    /** The envelope is written in one place: no other main source writes an "errorType" field. */
    @Test
    void noOtherErrorEnvelopeWriter() throws IOException {
        Path main = Path.of("src/main/java");
        try (Stream<Path> files = Files.walk(main)) {
            for (Path f : (Iterable<Path>) files.filter(x -> x.toString().endsWith(".java"))::iterator) {
                if (f.endsWith("ErrorResponses.java")) continue;
                String s = Files.readString(f);
                assertFalse(s.contains("\"errorType\""), f + " writes its own error envelope");
            }
        }
    }
}
