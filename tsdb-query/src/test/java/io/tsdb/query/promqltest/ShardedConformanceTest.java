package io.tsdb.query.promqltest;

import io.tsdb.core.testing.MemStorage;
import io.tsdb.query.ast.Expr;
import io.tsdb.query.engine.ExactValues;
import io.tsdb.query.engine.PromqlEngine;
import io.tsdb.query.engine.QueryException;
import io.tsdb.query.engine.QueryOptions;
import io.tsdb.query.engine.QueryResult;
import io.tsdb.query.engine.QueryShards;
import io.tsdb.query.parser.QueryParser;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every evaluation of the PromQL conformance scripts (core and experimental), instant and range, answered by an
 * engine that evaluates every shardable aggregation in shards (3 of them, whatever the size) and by one that evaluates
 * everything on one thread: the answers must be identical to the bit, errors included (annotations as sets).
 */
class ShardedConformanceTest {
    private static final QueryOptions OPTS = new QueryOptions(QueryOptions.DEFAULT_LOOKBACK_MS, 60_000, 50_000_000L, 0, false);

    @Test
    void shardedAndSequentialEnginesAgreeExactly() throws Exception {
        Path dir = PromqlConformanceTest.testDataDir();
        List<Path> files = new ArrayList<>();
        for (String suite : List.of("core", "experimental")) {
            try (Stream<Path> s = Files.list(dir.resolve(suite))) {
                s.filter(f -> f.toString().endsWith(".test")).sorted().forEach(files::add);
            }
        }
        QueryShards shards = new QueryShards(3, 0);
        List<String> differences = new ArrayList<>();
        int evaluations = 0;
        for (Path f : files) {
            Script script;
            try {
                script = Script.parse(Files.readString(f));
            } catch (RuntimeException e) {
                continue; // a script the runner cannot load is reported by PromqlConformanceTest
            }
            MemStorage storage = new MemStorage();
            PromqlEngine seq = new PromqlEngine(storage, OPTS, 60_000L, QueryShards.SEQUENTIAL);
            PromqlEngine par = new PromqlEngine(storage, OPTS, 60_000L, shards);
            for (Script.Cmd c : script.cmds) {
                if (c instanceof Script.Clear) {
                    storage.clear();
                } else if (c instanceof Script.Load l) {
                    ScriptRunner.load(l, storage);
                } else {
                    Script.Eval ev = (Script.Eval) c;
                    String where = dir.relativize(f) + ":" + ev.line + " " + ev.expr;
                    Expr e;
                    try {
                        e = seq.parse(ev.expr, ev.range ? new QueryParser.QueryRange(ev.step, ev.end - ev.start)
                                : new QueryParser.QueryRange(0, 0));
                    } catch (QueryException ex) {
                        continue;
                    }
                    if (ev.range) {
                        evaluations++;
                        compare(where, differences, () -> seq.range(ev.expr, e, ev.start, ev.end, ev.step, OPTS),
                                () -> par.range(ev.expr, e, ev.start, ev.end, ev.step, OPTS));
                    } else {
                        long t = ev.evalTime;
                        evaluations += 2;
                        compare(where, differences, () -> seq.instant(ev.expr, e, t, OPTS), () -> par.instant(ev.expr, e, t, OPTS));
                        if (e.type() == io.tsdb.query.ast.ValueType.VECTOR || e.type() == io.tsdb.query.ast.ValueType.SCALAR) {
                            compare(where + " (range)", differences, () -> seq.range(ev.expr, e, t - 60_000, t + 60_000, 60_000, OPTS),
                                    () -> par.range(ev.expr, e, t - 60_000, t + 60_000, 60_000, OPTS));
                        }
                    }
                }
            }
        }
        assertTrue(evaluations > 1000, "conformance evaluations run: " + evaluations);
        // the sharded path must have been taken, or this test proves nothing
        assertTrue(shards.shardedAggregations() > 200, "aggregations evaluated in shards: " + shards.shardedAggregations());
        assertEquals(List.of(), differences);
    }

    private static void compare(String where, List<String> differences, java.util.function.Supplier<QueryResult> a,
                                java.util.function.Supplier<QueryResult> b) {
        String x = outcome(a), y = outcome(b);
        if (!x.equals(y)) differences.add(where + "\n  sequential: " + x + "\n  sharded:    " + y);
    }

    private static String outcome(java.util.function.Supplier<QueryResult> q) {
        try {
            return ExactValues.of(q.get());
        } catch (QueryException e) {
            return "error " + e.kind() + ": " + e.getMessage();
        }
    }
}
