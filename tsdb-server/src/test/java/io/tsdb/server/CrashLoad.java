package io.tsdb.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.airlift.compress.snappy.SnappyCompressor;
import io.tsdb.server.ingest.ProtoWriter;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Sustained remote-write 1.0 load for the crash tests, and the check that what was acknowledged is stored.
 *
 * <p>Sender {@code k} owns {@link #SERIES} series {@code crash_test{sender="k",s="i"}}. Its batch number
 * {@code seq} carries {@link #PER_SERIES} samples for each of them at timestamps
 * {@code base + seq*STRIDE + k*PER_SERIES + j}, so a timestamp tells sender, batch and sample apart, and the
 * value is a function of sender, series and timestamp (integers and fractions alternate, exercising both
 * value encodings of the WAL). A batch counts as acknowledged only when the server answered it with 2xx.
 */
final class CrashLoad {
    static final String METRIC = "crash_test";
    static final int SERIES = 200;
    static final int PER_SERIES = 4;
    static final int MAX_SENDERS = 4;
    static final int STRIDE = MAX_SENDERS * PER_SERIES;
    static final int BATCH_SAMPLES = SERIES * PER_SERIES;
    static final ObjectMapper JSON = new ObjectMapper();

    final long base;
    final int senders;
    final String url;
    final long firstSeq;
    /** Acknowledged batch numbers per sender. */
    final List<ConcurrentSkipListSet<Long>> acked = new ArrayList<>();
    /** Highest batch number each sender sent (or started sending). */
    final long[] lastSent;
    final AtomicInteger non2xx = new AtomicInteger();
    final ConcurrentLinkedQueue<String> non2xxBodies = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
    /** Requests that failed with an I/O error after the kill (were in flight or being connected). */
    final AtomicInteger failedAfterKill = new AtomicInteger();
    private final List<Thread> threads = new ArrayList<>();
    private final boolean[] inFlight;
    private volatile boolean killed;
    private volatile boolean stop;

    CrashLoad(String url, long base, int senders, long firstSeq) {
        if (senders > MAX_SENDERS) throw new IllegalArgumentException("at most " + MAX_SENDERS + " senders");
        this.url = url;
        this.base = base;
        this.senders = senders;
        this.firstSeq = firstSeq;
        this.lastSent = new long[senders];
        this.inFlight = new boolean[senders];
        for (int k = 0; k < senders; k++) {
            acked.add(new ConcurrentSkipListSet<>());
            lastSent[k] = firstSeq - 1;
        }
    }

    static long ts(long base, int sender, long seq, int j) { return base + seq * STRIDE + (long) sender * PER_SERIES + j; }

    static double value(int sender, int series, long t) {
        return (t & 1) == 0 ? (double) ((t % 10_000_000) * 1000 + series) : (t % 100_000) + series / 7.0 + sender;
    }

    /** The snappy-compressed remote-write 1.0 WriteRequest of one batch. */
    static byte[] encode(long base, int sender, long seq) {
        ProtoWriter req = new ProtoWriter();
        for (int i = 0; i < SERIES; i++) {
            final int s = i;
            req.msg(1, ts -> {
                ts.msg(1, l -> l.string(1, "__name__").string(2, METRIC));
                ts.msg(1, l -> l.string(1, "s").string(2, Integer.toString(s)));
                ts.msg(1, l -> l.string(1, "sender").string(2, Integer.toString(sender)));
                for (int j = 0; j < PER_SERIES; j++) {
                    long t = ts(base, sender, seq, j);
                    ts.msg(2, smp -> smp.dbl(1, value(sender, s, t)).uint(2, t));
                }
            });
        }
        byte[] raw = req.toByteArray();
        SnappyCompressor c = new SnappyCompressor();
        byte[] out = new byte[c.maxCompressedLength(raw.length)];
        return Arrays.copyOf(out, c.compress(raw, 0, raw.length, out, 0, out.length));
    }

    static HttpResponse<String> post(String url, long base, int sender, long seq) throws IOException, InterruptedException {
        HttpRequest r = HttpRequest.newBuilder(URI.create(url + "/api/v1/write")).timeout(Duration.ofSeconds(120))
                .header("Content-Encoding", "snappy").header("Content-Type", "application/x-protobuf")
                .header("X-Prometheus-Remote-Write-Version", "0.1.0")
                .POST(HttpRequest.BodyPublishers.ofByteArray(encode(base, sender, seq))).build();
        return TestHttp.CLIENT.send(r, HttpResponse.BodyHandlers.ofString());
    }

    /** Starts one thread per sender, each posting its next batch as soon as the previous one was answered. */
    CrashLoad start() {
        for (int k = 0; k < senders; k++) {
            final int sender = k;
            Thread t = new Thread(() -> run(sender), "crash-sender-" + k);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        return this;
    }

    private void run(int k) {
        long seq = firstSeq;
        while (!stop) {
            synchronized (this) {
                if (killed) return;
                lastSent[k] = seq;
                inFlight[k] = true;
            }
            try {
                HttpResponse<String> r = post(url, base, k, seq);
                if (r.statusCode() / 100 == 2) acked.get(k).add(seq);
                else {
                    non2xx.incrementAndGet();
                    if (non2xxBodies.size() < 5) non2xxBodies.add(r.statusCode() + ": " + r.body());
                }
            } catch (IOException e) {
                if (killed) { failedAfterKill.incrementAndGet(); return; }
                unexpected.add(e);
                return;
            } catch (Throwable e) {
                unexpected.add(e);
                return;
            } finally {
                synchronized (this) { inFlight[k] = false; }
            }
            seq++;
        }
    }

    int minAcked() { return acked.stream().mapToInt(ConcurrentSkipListSet::size).min().orElse(0); }

    long ackedBatches() { return acked.stream().mapToLong(ConcurrentSkipListSet::size).sum(); }

    /** Waits (no time limit but the test's timeout) until every sender has {@code n} acknowledged batches and {@code minMs} passed. */
    void awaitAcked(int n, long minMs, ServerProcessTest.Proc proc) throws Exception {
        long t0 = System.nanoTime();
        while (minAcked() < n || (System.nanoTime() - t0) / 1_000_000 < minMs) {
            if (!unexpected.isEmpty()) fail("sender failed before the kill", unexpected.peek());
            if (!proc.p.isAlive()) fail("server died under load: " + proc.stdout());
            Thread.sleep(20);
        }
    }

    /** Sends SIGKILL while the senders keep sending; returns how many requests were in flight at that moment. */
    int killNow(ServerProcessTest.Proc proc) throws Exception {
        int inflight = 0;
        synchronized (this) {
            killed = true;
            for (boolean b : inFlight) if (b) inflight++;
        }
        proc.p.destroyForcibly(); // SIGKILL on Linux
        assertTrue(proc.p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "server did not die after SIGKILL");
        assertEquals(137, proc.p.exitValue(), "exit status 128+9 (SIGKILL)");
        join();
        return inflight;
    }

    /** Stops the senders without killing anything. */
    void stopAndJoin() throws InterruptedException {
        stop = true;
        join();
    }

    private void join() throws InterruptedException {
        for (Thread t : threads) t.join(120_000);
        for (Thread t : threads) assertFalse(t.isAlive(), "sender thread hung");
        if (!unexpected.isEmpty()) fail("sender failed", unexpected.peek());
    }

    long maxSent() { return Arrays.stream(lastSent).max().orElse(firstSeq - 1); }

    /** Per sender: acknowledged batch numbers (to merge loads across kills). */
    static Map<Integer, java.util.TreeSet<Long>> merge(List<CrashLoad> loads) {
        Map<Integer, java.util.TreeSet<Long>> m = new HashMap<>();
        for (CrashLoad l : loads) for (int k = 0; k < l.senders; k++) m.computeIfAbsent(k, x -> new java.util.TreeSet<>()).addAll(l.acked.get(k));
        return m;
    }

    /**
     * Reads every series of every sender with /api/v1/export and asserts: each sample of each batch in
     * {@code expected} is there with its exact timestamp and value; each sample of {@code absent} is not; every
     * exported sample has the value its timestamp implies and lies in a batch that was sent. Returns the number
     * of samples exported.
     */
    static long verify(String url, long base, int senders, Map<Integer, ? extends java.util.Collection<Long>> expected,
                       Map<Integer, ? extends java.util.Collection<Long>> absent, long maxSeq) throws Exception {
        long exported = 0;
        for (int k = 0; k < senders; k++) {
            String q = URLEncoder.encode(METRIC + "{sender=\"" + k + "\"}", StandardCharsets.UTF_8);
            HttpResponse<String> r = TestHttp.get(url + "/api/v1/export?match%5B%5D=" + q);
            assertEquals(200, r.statusCode(), r.body());
            long[][] times = new long[SERIES][];
            double[][] values = new double[SERIES][];
            for (String line : r.body().split("\n")) {
                if (line.isBlank()) continue;
                JsonNode n = JSON.readTree(line);
                int s = Integer.parseInt(n.path("metric").path("s").asText());
                assertEquals(Integer.toString(k), n.path("metric").path("sender").asText());
                assertNull(times[s], "series exported twice: " + n.path("metric"));
                JsonNode ts = n.path("timestamps"), vs = n.path("values");
                assertEquals(ts.size(), vs.size());
                times[s] = new long[ts.size()];
                values[s] = new double[ts.size()];
                for (int i = 0; i < ts.size(); i++) {
                    long t = ts.get(i).asLong();
                    double v = Double.parseDouble(vs.get(i).asText());
                    long rel = t - base;
                    assertTrue(rel >= 0 && rel / STRIDE <= maxSeq && (rel % STRIDE) / PER_SERIES == k,
                            "sample at " + t + " of sender " + k + " was never sent");
                    assertEquals(Double.doubleToRawLongBits(value(k, s, t)), Double.doubleToRawLongBits(v),
                            "value of series " + s + " of sender " + k + " at " + t + ": " + v);
                    times[s][i] = t;
                    values[s][i] = v;
                }
                exported += ts.size();
            }
            java.util.Collection<Long> want = expected.containsKey(k) ? expected.get(k) : List.of();
            for (int s = 0; s < SERIES; s++) {
                if (!want.isEmpty()) assertNotNull(times[s], "series s=" + s + " of sender " + k + " missing");
                for (long seq : want) {
                    for (int j = 0; j < PER_SERIES; j++) {
                        long t = ts(base, k, seq, j);
                        assertTrue(Arrays.binarySearch(times[s], t) >= 0,
                                "acknowledged sample missing: sender " + k + " batch " + seq + " series " + s + " t=" + t);
                    }
                }
                for (long seq : absent.containsKey(k) ? absent.get(k) : List.<Long>of()) {
                    for (int j = 0; j < PER_SERIES; j++) {
                        long t = ts(base, k, seq, j);
                        assertTrue(times[s] == null || Arrays.binarySearch(times[s], t) < 0,
                                "sample of the dropped record is present: sender " + k + " batch " + seq + " series " + s);
                    }
                }
            }
        }
        return exported;
    }

    private static final Pattern METRIC_LINE = Pattern.compile("^(\\w+)(?:\\{[^}]*})? (\\S+)");

    /** The value of an unlabelled metric in /metrics. */
    static double metric(String url, String name) throws Exception {
        HttpResponse<String> r = TestHttp.get(url + "/metrics");
        assertEquals(200, r.statusCode());
        for (String line : r.body().split("\n")) {
            Matcher m = METRIC_LINE.matcher(line);
            if (m.find() && m.group(1).equals(name)) return Double.parseDouble(m.group(2));
        }
        throw new AssertionError(name + " not in /metrics:\n" + r.body());
    }

    /** The single log line whose message starts with {@code prefix}. */
    static String logLine(ServerProcessTest.Proc proc, String prefix) throws IOException {
        List<String> l = proc.stdout().lines().filter(x -> x.contains("\"msg\":\"" + prefix)).toList();
        assertEquals(1, l.size(), "log lines starting with '" + prefix + "': " + l);
        return l.get(0);
    }
}
