package io.tsdb.server.ingest;

import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SampleCursor;
import io.tsdb.core.SeriesSet;
import io.tsdb.core.testing.MemStorage;
import io.tsdb.server.ServerConfig;
import io.tsdb.server.StorageFactory;
import io.tsdb.server.TsdbServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/** Starts the real server (Netty, random port on 127.0.0.1) with the ingest feature over MemStorage. */
abstract class IngestHttpTestBase {
    @TempDir Path dataDir;
    protected final MemStorage storage = new MemStorage();
    protected TsdbServer server;
    protected String base;
    protected static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    protected void configure(ServerConfig c) { }

    @BeforeEach void startServer() throws Exception {
        ServerConfig c = new ServerConfig();
        c.listenHost = "127.0.0.1";
        c.listenPort = 0;
        c.dataDir = dataDir;
        configure(c);
        server = TsdbServer.builder(c).storage(StorageFactory.of(storage)).features(new IngestFeature()).start();
        base = server.baseUrl();
    }

    @AfterEach void stopServer() { if (server != null) server.stop(); }

    protected HttpResponse<String> send(String method, String path, byte[] body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Samples of series whose metric name matches the regex: "labels t=v" lines. */
    protected List<String> query(String nameRegex) {
        List<String> out = new ArrayList<>();
        try (Querier q = storage.querier(Long.MIN_VALUE, Long.MAX_VALUE)) {
            SeriesSet ss = q.select(List.of(Matcher.re(Labels.METRIC_NAME, nameRegex)));
            while (ss.next()) {
                SampleCursor c = ss.cursor();
                while (c.next()) out.add(ss.labels() + " " + c.timestamp() + "=" + TestEnv.fmt(c.value()));
            }
        }
        return out;
    }

    /** Latest value per series (labels -> value) for names matching the regex. */
    protected TreeMap<String, Double> latest(String nameRegex) {
        TreeMap<String, Double> out = new TreeMap<>();
        try (Querier q = storage.querier(Long.MIN_VALUE, Long.MAX_VALUE)) {
            SeriesSet ss = q.select(List.of(Matcher.re(Labels.METRIC_NAME, nameRegex)));
            while (ss.next()) {
                SampleCursor c = ss.cursor();
                double v = Double.NaN;
                while (c.next()) v = c.value();
                out.put(ss.labels().toString(), v);
            }
        }
        return out;
    }
}
