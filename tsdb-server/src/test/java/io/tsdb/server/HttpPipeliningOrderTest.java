package io.tsdb.server;

import io.tsdb.core.testing.MemStorage;
import io.tsdb.server.http.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Pipelined requests on one connection are answered in request order whatever produces the answer: worker
 * handlers (slow and fast), probes answered on the event loop, 404/405 errors, 429 backpressure (a tiny
 * worker pool shared with other busy connections), 413 and 417 produced by the aggregator, the interim
 * 100 Continue, and 400/413 answers that close the connection. Each request carries its own X-Request-Id,
 * which the response must echo, so any reordering is caught.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HttpPipeliningOrderTest {
    @TempDir Path dataDir;
    private TsdbServer server;

    @BeforeEach
    void start() throws Exception {
        ServerConfig c = new ServerConfig();
        c.listenHost = "127.0.0.1";
        c.listenPort = 0;
        c.dataDir = dataDir;
        c.maxBodyBytes = 1000;
        c.httpWorkers = 1;
        c.httpMaxQueuedRequests = 1;
        server = TsdbServer.builder(c).storage(StorageFactory.of(new MemStorage())).features((router, ctx) -> {
            router.get("/test/hello", r -> Response.text(200, "hello " + r.param("n")));
            router.get("/test/slow", r -> {
                try {
                    Thread.sleep(Long.parseLong(r.param("ms")));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return Response.text(200, "slow " + r.param("n"));
            });
            router.post("/test/len", r -> Response.text(200, "len " + r.body().readableBytes()));
            router.get("/test/badheader", r -> Response.text(200, "x").header("X-Bad", "a\r\nb"));
        }).start();
    }

    @AfterEach
    void stop() { server.stop(); }

    /** One response as read from the wire. */
    record Resp(int status, Map<String, String> headers, String body) {
        String id() { return headers.get("x-request-id"); }
        @Override public String toString() { return status + " " + headers + " " + body; }
    }

    /** Reads one response (head, then a Content-Length body); null at end of stream before any byte. */
    static Resp read(InputStream in) throws Exception {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int b = in.read();
            if (b < 0) {
                if (head.size() == 0) return null;
                throw new AssertionError("connection closed in a response head: " + head);
            }
            head.write(b);
            state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
        }
        String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new HashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.put(lines[i].substring(0, colon).trim().toLowerCase(), lines[i].substring(colon + 1).trim());
        }
        int len = Integer.parseInt(headers.getOrDefault("content-length", "0"));
        return new Resp(status, headers, new String(in.readNBytes(len), StandardCharsets.UTF_8));
    }

    /** A request to pipeline and what its answer must be. */
    private record Req(String wire, String id, int status, String body, boolean worker, boolean interim,
                       boolean closes) {}

    private static Req get(String target, String id, int status, String body, boolean worker) {
        return new Req("GET " + target + " HTTP/1.1\r\nHost: x\r\nX-Request-Id: " + id + "\r\n\r\n", id, status, body,
                worker, false, false);
    }

    private static Req random(Random rnd, String id, int n, boolean last) {
        int kind = rnd.nextInt(last ? 12 : 10);
        String h = "Host: x\r\nX-Request-Id: " + id + "\r\n";
        return switch (kind) {
            case 0, 1 -> get("/test/slow?n=" + n + "&ms=" + rnd.nextInt(3), id, 200, "slow " + n, true);
            case 2 -> get("/test/hello?n=" + n, id, 200, "hello " + n, true);
            case 3 -> get("/-/ready", id, 200, "tsdb is ready.\n", false);
            case 4 -> get("/-/healthy", id, 200, "tsdb is healthy.\n", false);
            case 5 -> get("/test/nope", id, 404, "not found: /test/nope\n", true);
            case 6 -> new Req("POST /test/hello HTTP/1.1\r\n" + h + "Content-Length: 0\r\n\r\n", id, 405, null,
                    true, false, false);
            case 7 -> new Req("POST /test/len HTTP/1.1\r\n" + h + "Content-Length: 1500\r\n\r\n" + "x".repeat(1500),
                    id, 413, null, false, false, false);
            case 8 -> {
                int len = rnd.nextInt(1001);
                // The body follows at once (as clients that stop waiting for 100 do): 100 Continue, then 200.
                yield new Req("POST /test/len HTTP/1.1\r\n" + h + "Expect: 100-continue\r\nContent-Length: " + len
                        + "\r\n\r\n" + "y".repeat(len), id, 200, "len " + len, true, true, false);
            }
            case 9 -> rnd.nextBoolean()
                    // Refused before the body is sent: the client sends none, the next request follows.
                    ? new Req("POST /test/len HTTP/1.1\r\n" + h + "Expect: 100-continue\r\nContent-Length: 5000\r\n\r\n",
                            id, 413, null, false, false, false)
                    : new Req("POST /test/len HTTP/1.1\r\n" + h + "Expect: something-else\r\nContent-Length: 0\r\n\r\n",
                            id, 417, null, false, false, false);
            case 10 -> new Req("POST /test/len HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n"
                    + ("200\r\n" + "z".repeat(512) + "\r\n").repeat(3), id, 413, null, false, false, true);
            default -> new Req("NOT HTTP AT ALL\r\n\r\n", null, 400, null, false, false, true);
        };
    }

    /** Pipelines {@code reqs} in one write and checks every answer, in order. */
    private static void exchange(int port, List<Req> reqs) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(30_000); // a missing answer fails the test instead of blocking it
            StringBuilder all = new StringBuilder();
            for (Req r : reqs) all.append(r.wire);
            OutputStream out = s.getOutputStream();
            out.write(all.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            for (int i = 0; i < reqs.size(); i++) {
                Req q = reqs.get(i);
                String where = "request " + i + " (" + q.id + ")";
                if (q.interim) {
                    Resp c = read(in);
                    assertNotNull(c, where + ": connection closed");
                    // The 100 is sent in the request's turn, before the body is read (so before any 429).
                    assertEquals(100, c.status, where + ": " + c);
                }
                Resp r = read(in);
                assertNotNull(r, where + ": connection closed");
                if (q.worker && r.status == 429) {
                    assertEquals(q.id, r.id(), where + ": " + r);
                    continue;
                }
                assertEquals(q.status, r.status, where + ": " + r);
                if (q.id != null) assertEquals(q.id, r.id(), where + ": " + r);
                if (q.body != null) assertEquals(q.body, r.body, where + ": " + r);
                if (q.closes) {
                    assertEquals("close", r.headers.get("connection"), where + ": " + r);
                    assertNull(read(in), where + ": more after a closing response");
                    return;
                }
                assertEquals("keep-alive", r.headers.get("connection"), where + ": " + r);
            }
        }
    }

    /**
     * A slow worker request first, then answers produced elsewhere: each must wait for the slow one (the
     * sleep only widens the window in which an answer written out of turn would overtake it).
     */
    @Test
    void answersProducedOutsideTheWorkersWaitForEarlierRequests() throws Exception {
        List<Req> reqs = new ArrayList<>();
        reqs.add(get("/test/slow?n=0&ms=50", "a0", 200, "slow 0", false));
        reqs.add(new Req("POST /test/len HTTP/1.1\r\nHost: x\r\nX-Request-Id: a1\r\nContent-Length: 1500\r\n\r\n"
                + "x".repeat(1500), "a1", 413, null, false, false, false));
        reqs.add(get("/test/slow?n=2&ms=50", "a2", 200, "slow 2", false));
        reqs.add(new Req("POST /test/len HTTP/1.1\r\nHost: x\r\nX-Request-Id: a3\r\nExpect: 100-continue\r\n"
                + "Content-Length: 5000\r\n\r\n", "a3", 413, null, false, false, false));
        reqs.add(get("/test/slow?n=4&ms=50", "a4", 200, "slow 4", false));
        reqs.add(new Req("POST /test/len HTTP/1.1\r\nHost: x\r\nX-Request-Id: a5\r\nExpect: 100-continue\r\n"
                + "Content-Length: 3\r\n\r\nabc", "a5", 200, "len 3", false, true, false));
        reqs.add(get("/test/slow?n=6&ms=50", "a6", 200, "slow 6", false));
        reqs.add(get("/-/ready", "a7", 200, "tsdb is ready.\n", false));
        reqs.add(get("/test/slow?n=8&ms=50", "a8", 200, "slow 8", false));
        reqs.add(new Req("POST /test/len HTTP/1.1\r\nHost: x\r\nX-Request-Id: a9\r\nTransfer-Encoding: chunked\r\n\r\n"
                + ("200\r\n" + "z".repeat(512) + "\r\n").repeat(3), "a9", 413, null, false, false, true));
        exchange(server.port(), reqs);
    }

    @Test
    void aResponseNettyRefusesToEncodeBecomesA500AndTheConnectionMovesOn() throws Exception {
        exchange(server.port(), List.of(
                get("/test/badheader", "b0", 500, null, false),
                get("/test/hello?n=1", "b1", 200, "hello 1", false)));
    }

    /** Random mixes on three connections at once (so the one-thread worker pool also answers 429). */
    @Test
    void randomPipelinedMixesAreAnsweredInOrder() throws Exception {
        int connections = 3, iterations = 120, perBatch = 24;
        ExecutorService pool = Executors.newFixedThreadPool(connections);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < connections; c++) {
                int conn = c;
                done.add(pool.submit(() -> {
                    Random rnd = new Random(1234 + conn);
                    for (int it = 0; it < iterations; it++) {
                        List<Req> reqs = new ArrayList<>();
                        for (int i = 0; i < perBatch; i++) {
                            Req q = random(rnd, "c" + conn + "-" + it + "-" + i, i, i == perBatch - 1);
                            reqs.add(q);
                        }
                        exchange(server.port(), reqs);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) f.get();
        } finally {
            pool.shutdownNow();
        }
    }
}
