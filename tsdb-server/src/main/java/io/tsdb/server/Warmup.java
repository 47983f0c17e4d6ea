package io.tsdb.server;

import com.fasterxml.jackson.core.JsonGenerator;
import io.tsdb.query.engine.QueryEngine;
import io.tsdb.query.engine.QueryOptions;
import io.tsdb.query.engine.QueryResult;
import io.tsdb.server.api.ApiJson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.OutputStream;
import java.util.List;

/**
 * Once the server is ready, a background thread evaluates a few hundred queries of common shapes on the query
 * engine (not through HTTP or the slow-query log: nothing is logged or counted as a request) over a time range
 * long before any data (1970), so nothing is read from storage, and writes their answers as the API would. The
 * first real query otherwise pays for what these do once per process: the query grammar's ANTLR tables (about
 * 0.2 s), the parser's DFA for each syntax, and the classes and first compilations of parsing, planning,
 * selection and JSON writing. Failures are ignored (logged at debug).
 */
final class Warmup {
    private static final Logger log = LoggerFactory.getLogger(Warmup.class);
    static final int ROUNDS = 30;
    private static final List<String> QUERIES = List.of(
            "max(max_over_time(cpu_usage_user{hostname=\"host_7\"}[1m]))",
            "{__name__=~\"cpu_usage_(user|system)\",hostname=\"host_7\"}",
            "max by (hostname) (max_over_time(cpu_usage_user{hostname=~\"host_(0|1|2)\"}[1h]))",
            "avg by (hostname) (avg_over_time(cpu_usage_user[1h]))",
            "cpu_usage_user > 90",
            "sum by (region) (rate(http_requests_total{code!=\"200\"}[5m]))",
            "histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))",
            "topk(5, count by (job) (up)) / on() group_left sum(up) * 100",
            "cpu_usage_user<hostname=host_1>");

    private Warmup() {}

    static void start(QueryEngine engine, QueryOptions options) {
        Thread t = new Thread(() -> run(engine, options), "tsdb-warmup");
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        t.start();
    }

    private static void run(QueryEngine engine, QueryOptions options) {
        long t0 = System.nanoTime();
        int n = 0;
        for (int round = 0; round < ROUNDS; round++) {
            for (String q : QUERIES) {
                try {
                    write(engine.range(q, 0, 3_600_000, 60_000, options));
                    write(engine.instant(q, 3_600_000, options));
                    n += 2;
                } catch (RuntimeException | StackOverflowError e) {
                    log.atDebug().setCause(e).addKeyValue("query", q).log("warm-up query failed");
                }
            }
        }
        log.atDebug().addKeyValue("queries", n).addKeyValue("ms", (System.nanoTime() - t0) / 1_000_000).log("warm-up done");
    }

    private static final com.fasterxml.jackson.core.JsonFactory JSON = new com.fasterxml.jackson.core.JsonFactory();

    private static void write(QueryResult r) {
        try (JsonGenerator g = JSON.createGenerator(OutputStream.nullOutputStream())) {
            ApiJson.writeQueryData(g, r.value(), null);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
