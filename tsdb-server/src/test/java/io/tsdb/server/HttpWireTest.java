package io.tsdb.server;

import io.tsdb.core.testing.MemStorage;
import io.tsdb.server.http.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** HTTP/1.1 details checked on the wire with a raw socket: keep-alive, pipelining, 100-continue, limits, garbage. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HttpWireTest {
    @TempDir Path dataDir;
    private TsdbServer server;

    @BeforeEach
    void start() throws Exception {
        ServerConfig c = new ServerConfig();
        c.listenHost = "127.0.0.1";
        c.listenPort = 0;
        c.dataDir = dataDir;
        c.maxBodyBytes = 1000;
        server = TsdbServer.builder(c).storage(StorageFactory.of(new MemStorage())).features((router, ctx) -> {
            router.get("/test/hello", r -> Response.text(200, "hello " + r.param("n")));
            router.post("/test/len", r -> Response.text(200, "len " + r.body().readableBytes()));
        }).start();
    }

    @AfterEach
    void stop() { server.stop(); }

    /** Reads one response (status line, headers, Content-Length body) from the stream. */
    private static String readResponse(InputStream in) throws Exception {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) throw new AssertionError("connection closed after: " + head);
            head.append((char) b);
        }
        int len = 0;
        for (String line : head.toString().split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) len = Integer.parseInt(line.substring(15).trim());
        }
        byte[] body = in.readNBytes(len);
        return head + new String(body, StandardCharsets.UTF_8);
    }

    @Test
    void keepAliveAndPipelinedRequestsAnsweredInOrder() throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            OutputStream out = s.getOutputStream();
            StringBuilder reqs = new StringBuilder();
            // One write, so that one read on the server decodes several requests at once; mixed with
            // /-/ready, which is answered on the event loop while the others go to the worker pool.
            for (int i = 0; i < 20; i++) {
                reqs.append(i % 4 == 3 ? "GET /-/ready?n=" : "GET /test/hello?n=").append(i).append(" HTTP/1.1\r\nHost: x\r\n\r\n");
            }
            out.write(reqs.toString().getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            for (int i = 0; i < 20; i++) {
                String r = readResponse(in);
                assertTrue(r.startsWith("HTTP/1.1 200 OK"), r);
                assertTrue(r.toLowerCase().contains("connection: keep-alive"), r);
                assertTrue(r.endsWith(i % 4 == 3 ? "tsdb is ready.\n" : "hello " + i), "response " + i + ": " + r);
            }
        }
    }

    @Test
    void declaredOversizeBodyWithExpectContinueIsRefusedBeforeSending() throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.getOutputStream().write(("POST /test/len HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n"
                    + "Expect: 100-continue\r\nX-Request-Id: exp-1\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            String r = readResponse(s.getInputStream());
            assertTrue(r.startsWith("HTTP/1.1 413 "), r);
            assertTrue(r.contains("X-Request-Id: exp-1"), r);
            assertTrue(r.contains("the limit is 1000 bytes"), r);
        }
    }

    @Test
    void declaredOversizeBodyIs413AndTheConnectionStaysUsable() throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            OutputStream out = s.getOutputStream();
            out.write(("POST /test/len HTTP/1.1\r\nHost: x\r\nContent-Length: 1500\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[1500]);
            out.write("GET /test/hello?n=after HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String r = readResponse(in);
            assertTrue(r.startsWith("HTTP/1.1 413 "), r);
            assertTrue(r.contains("1000 bytes"), r);
            String next = readResponse(in);
            assertTrue(next.startsWith("HTTP/1.1 200 ") && next.endsWith("hello after"), next);
        }
    }

    @Test
    void chunkedBodyGrowingPastTheLimitIs413() throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            OutputStream out = s.getOutputStream();
            out.write("POST /test/len HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            for (int i = 0; i < 3; i++) {
                out.write("200\r\n".getBytes(StandardCharsets.US_ASCII)); // 512 bytes per chunk
                out.write(new byte[512]);
                out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            out.flush();
            String r = readResponse(s.getInputStream());
            assertTrue(r.startsWith("HTTP/1.1 413 "), r);
            assertTrue(r.contains("1000 bytes"), r);
        }
    }

    @Test
    void bodyWithinTheLimitReachesTheHandler() throws Exception {
        String r = TestHttp.raw(server.port(), "POST /test/len HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n"
                + "x".repeat(1000));
        assertTrue(r.startsWith("HTTP/1.1 200 ") && r.endsWith("len 1000"), r);
    }

    @Test
    void headHasNoBodyButTheLength() throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.getOutputStream().write("HEAD /test/hello?n=1 HTTP/1.1\r\nHost: x\r\n\r\nGET /test/hello?n=2 HTTP/1.1\r\nHost: x\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) head.append((char) in.read());
            assertTrue(head.toString().startsWith("HTTP/1.1 200 "), head.toString());
            assertTrue(head.toString().toLowerCase().contains("content-length: 7"), head.toString());
            String next = readResponse(in); // no body bytes in between
            assertTrue(next.startsWith("HTTP/1.1 200 ") && next.endsWith("hello 2"), next);
        }
    }

    @Test
    void garbageRequestGets400AndServerStaysHealthy() throws Exception {
        String r = TestHttp.raw(server.port(), "THIS IS NOT HTTP\r\n\r\n");
        assertTrue(r.startsWith("HTTP/1.1 400 "), r);
        assertTrue(r.contains("malformed HTTP request"), r);
        assertEquals(200, TestHttp.get(server.baseUrl() + "/-/healthy").statusCode());
    }
}
