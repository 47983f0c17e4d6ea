package io.tsdb.bench.harness;

import at.favre.lib.crypto.bcrypt.BCrypt;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The cost of TLS and authentication: this server's launcher ({@code tsdb-server/target/tsdb}) run plain and with a
 * web config file (TLS 1.3 with a self-signed test CA, {@code basic_auth_users} with a cost-10 bcrypt hash, as
 * {@code htpasswd -nBC 10}), alternately in the same run ({@code --rounds} each, fresh data directories), receiving
 * identical remote-write 1.0 requests ({@code --series} series of one sample each per request, {@code --requests}
 * requests per sender, {@code --senders} threads on keep-alive connections: TLS sessions are reused and the
 * verification cache answers every request after the first). Measured per round: ingest samples/s (wall clock from
 * the first request to the last answer), server CPU seconds (user + system, /proc/PID/stat) per million samples,
 * and the median latency of {@code --queries} sequential instant queries afterwards. Before the measured requests each
 * sender sends {@code --warmup-requests} unmeasured ones (default: as many as measured), so that the figures are the
 * running server's, not those of a JVM compiling its request path (with one warm-up request, most of a round's server
 * CPU was the JIT compiling the TLS and ingest code). Prints a markdown section.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.tsdb.bench.harness.SecurityBench [--rounds=3] [--senders=4]
 *      [--series=2000] [--requests=150] [--warmup-requests=150] [--queries=200]
 *      [--launcher=tsdb-server/target/tsdb]
 * </pre>
 */
public final class SecurityBench {
    static final String USER = "prometheus", PASSWORD = "bench-password-7f3c";

    record Round(String variant, double samplesPerSec, double cpuPerMillion, double queryMedianMs, long samples,
                 double clientCpuPerMillion) {}

    /** CPU seconds this (client) process has used. */
    static double clientCpu() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime() / 1e9;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = Harness.options(args);
        int rounds = Integer.parseInt(o.getOrDefault("rounds", "3"));
        int senders = Integer.parseInt(o.getOrDefault("senders", "4"));
        int series = Integer.parseInt(o.getOrDefault("series", "2000"));
        int requests = Integer.parseInt(o.getOrDefault("requests", "150"));
        int queries = Integer.parseInt(o.getOrDefault("queries", "200"));
        int warmup = Integer.parseInt(o.getOrDefault("warmup-requests", String.valueOf(requests)));
        Path launcher = Path.of(o.getOrDefault("launcher", "tsdb-server/target/tsdb")).toAbsolutePath();
        Path work = Files.createTempDirectory("security-bench");
        Path web = certsAndConfig(work);
        SSLContext tls = trusting(work.resolve("ca.pem"));
        double load0 = loadAverage();
        List<Round> results = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            results.add(run("plain", launcher, work.resolve("plain-" + r), null, null, senders, series, requests, warmup, queries));
            results.add(run("tls+auth", launcher, work.resolve("secure-" + r), web, tls, senders, series, requests, warmup, queries));
        }
        double load1 = loadAverage();
        StringBuilder b = new StringBuilder();
        b.append("| round | variant | ingest samples/s | server CPU s per million samples | client CPU s per million samples | instant query median ms |\n");
        b.append("| --- | --- | ---: | ---: | ---: | ---: |\n");
        for (int i = 0; i < results.size(); i++) {
            Round x = results.get(i);
            b.append(String.format(Locale.ROOT, "| %d | %s | %,.0f | %.2f | %.2f | %.2f |%n", i / 2 + 1, x.variant(), x.samplesPerSec(),
                    x.cpuPerMillion(), x.clientCpuPerMillion(), x.queryMedianMs()));
        }
        double[] plainRate = pick(results, "plain", Round::samplesPerSec), secRate = pick(results, "tls+auth", Round::samplesPerSec);
        double[] plainCpu = pick(results, "plain", Round::cpuPerMillion), secCpu = pick(results, "tls+auth", Round::cpuPerMillion);
        double[] plainQ = pick(results, "plain", Round::queryMedianMs), secQ = pick(results, "tls+auth", Round::queryMedianMs);
        double[] plainCl = pick(results, "plain", Round::clientCpuPerMillion), secCl = pick(results, "tls+auth", Round::clientCpuPerMillion);
        b.append(String.format(Locale.ROOT, "| median | tls+auth / plain | %.3f | %.3f | %.3f | %.3f |%n",
                median(secRate) / median(plainRate), median(secCpu) / median(plainCpu), median(secCl) / median(plainCl),
                median(secQ) / median(plainQ)));
        b.append(String.format(Locale.ROOT, "%n%,d samples per round (%d senders x %d requests x %d series) after %d unmeasured"
                + " requests per sender; load average %.2f at the start, %.2f at the end; %s%n", results.get(0).samples(), senders,
                requests, series, warmup, load0, load1,
                java.time.Instant.now()));
        System.out.print(b);
    }

    interface Metric { double of(Round r); }

    static double[] pick(List<Round> rs, String v, Metric m) {
        return rs.stream().filter(r -> r.variant().equals(v)).mapToDouble(m::of).toArray();
    }

    static double median(double[] a) {
        double[] s = a.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static double loadAverage() throws IOException {
        return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
    }

    /** A test CA and server certificate (openssl) and the web config file naming them and the user. */
    static Path certsAndConfig(Path dir) throws Exception {
        sh(dir, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                "-subj", "/CN=bench-ca", "-keyout", "ca-key.pem", "-out", "ca.pem");
        sh(dir, "openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=localhost",
                "-keyout", "server-key.tmp", "-out", "server.csr");
        Files.writeString(dir.resolve("ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
        sh(dir, "openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial",
                "-days", "2", "-extfile", "ext.cnf", "-out", "server.pem");
        sh(dir, "openssl", "pkcs8", "-topk8", "-nocrypt", "-in", "server-key.tmp", "-out", "server-key.pem");
        String hash = BCrypt.with(BCrypt.Version.VERSION_2Y).hashToString(10, PASSWORD.toCharArray());
        Path web = dir.resolve("web.yml");
        Files.writeString(web, "tls_server_config:\n  cert_file: server.pem\n  key_file: server-key.pem\n"
                + "basic_auth_users:\n  " + USER + ": '" + hash + "'\n");
        return web;
    }

    static void sh(Path dir, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IOException(String.join(" ", cmd) + ": " + out);
    }

    static SSLContext trusting(Path caPem) throws Exception {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        try (InputStream in = Files.newInputStream(caPem)) {
            ks.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext c = SSLContext.getInstance("TLS");
        c.init(null, tmf.getTrustManagers(), null);
        return c;
    }

    static Round run(String variant, Path launcher, Path dir, Path web, SSLContext tls, int senders, int series, int requests,
                     int warmup, int queries) throws Exception {
        Files.createDirectories(dir);
        int port = Target.freePort();
        List<String> cmd = new ArrayList<>(List.of(launcher.toString(), "--listen=127.0.0.1:" + port, "--data=" + dir.resolve("data")));
        if (web != null) cmd.add("--web.config.file=" + web);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("server.log").toFile()).start();
        HttpClient.Builder hb = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5));
        if (tls != null) hb.sslContext(tls);
        HttpClient http = hb.build();
        String base = (tls != null ? "https" : "http") + "://127.0.0.1:" + port;
        String auth = "Basic " + Base64.getEncoder().encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));
        try {
            awaitReady(http, base, p);
            long start = System.currentTimeMillis() - (long) requests * 10_000L;
            // warm-up, not measured: the first connection, the first bcrypt and the JIT compiling the request path;
            // the senders run concurrently as in the measured phase, their samples in time order before it
            ExecutorService warm = Executors.newFixedThreadPool(senders);
            List<Future<?>> ws = new ArrayList<>();
            for (int s = 0; s < senders; s++) {
                int sender = s;
                ws.add(warm.submit(() -> {
                    for (int i = 0; i < Math.max(1, warmup); i++)
                        send(http, base, auth, tls != null, body(sender, series, start - (Math.max(1, warmup) - i) * 10_000L));
                    return null;
                }));
            }
            for (Future<?> f : ws) f.get();
            warm.shutdown();
            byte[][][] bodies = new byte[senders][requests][];   // encoded before measuring: the client shares the cores
            for (int s = 0; s < senders; s++) for (int i = 0; i < requests; i++) bodies[s][i] = body(s, series, start + i * 10_000L);
            double cpu0 = cpu(p.pid()), client0 = clientCpu();
            long t0 = System.nanoTime();
            ExecutorService pool = Executors.newFixedThreadPool(senders);
            List<Future<?>> fs = new ArrayList<>();
            for (int s = 0; s < senders; s++) {
                int sender = s;
                fs.add(pool.submit(() -> {
                    for (int i = 0; i < requests; i++) send(http, base, auth, tls != null, bodies[sender][i]);
                    return null;
                }));
            }
            for (Future<?> f : fs) f.get();
            pool.shutdown();
            double secs = (System.nanoTime() - t0) / 1e9;
            double cpu = cpu(p.pid()) - cpu0, client = clientCpu() - client0;
            long samples = (long) senders * requests * series;
            double[] lat = new double[queries];
            String q = base + "/api/v1/query?query=" + URLEncoder.encode("sum(rate(bench_metric[5m]))", StandardCharsets.UTF_8)
                    + "&time=" + (start + (requests - 1) * 10_000L) / 1000;
            for (int i = 0; i < queries; i++) {
                HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(q));
                if (tls != null) rb.header("Authorization", auth);
                long q0 = System.nanoTime();
                HttpResponse<String> r = http.send(rb.build(), HttpResponse.BodyHandlers.ofString());
                lat[i] = (System.nanoTime() - q0) / 1e6;
                if (r.statusCode() != 200) throw new IOException("query: " + r.statusCode() + " " + r.body());
            }
            return new Round(variant, samples / secs, cpu / (samples / 1e6), median(lat), samples, client / (samples / 1e6));
        } finally {
            p.destroy();
            if (!p.waitFor(2, TimeUnit.MINUTES)) p.destroyForcibly();
        }
    }

    static void awaitReady(HttpClient http, String base, Process p) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) throw new IOException("server exited with " + p.exitValue());
            try {
                if (http.send(HttpRequest.newBuilder(URI.create(base + "/-/ready")).build(), HttpResponse.BodyHandlers.discarding())
                        .statusCode() == 200) return;
            } catch (IOException e) {
                // not yet
            }
            Thread.sleep(50);
        }
        throw new IOException("not ready");
    }

    /** One remote-write request: {@code series} series of sender {@code s}, one sample each at {@code t}. */
    static byte[] body(int s, int series, long t) {
        RemoteWriteEncoder e = new RemoteWriteEncoder();
        double[] v = {t % 1000};
        for (int i = 0; i < series; i++) {
            e.addSeries(new String[]{"__name__", "bench_metric", "host", "h" + s + "-" + i, "job", "bench"}, t, 10_000, v, 0, 1);
        }
        return e.finish();
    }

    static void send(HttpClient http, String base, String auth, boolean secure, byte[] body) throws Exception {
        HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(base + "/api/v1/write"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .header("Content-Type", "application/x-protobuf").header("Content-Encoding", "snappy")
                .header("X-Prometheus-Remote-Write-Version", "0.1.0");
        if (secure) rb.header("Authorization", auth);
        HttpResponse<String> r = http.send(rb.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 204) throw new IOException("write: " + r.statusCode() + " " + r.body());
    }

    static double cpu(long pid) throws IOException {
        // the launcher execs java, so the pid is the JVM's
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / (double) Target.CLOCK_TICKS;
    }
}
