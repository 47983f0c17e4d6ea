package io.tsdb.server.api;

import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SampleCursor;
import io.tsdb.core.SeriesSet;
import io.tsdb.core.StaleNaN;
import io.tsdb.core.Storage;
import io.tsdb.query.ast.AggregateExpr;
import io.tsdb.query.ast.AggregateOp;
import io.tsdb.query.ast.BinaryExpr;
import io.tsdb.query.ast.BinaryOp;
import io.tsdb.query.ast.Expr;
import io.tsdb.query.ast.NumberLiteral;
import io.tsdb.query.ast.VectorSelector;
import io.tsdb.query.engine.QueryEngine;
import io.tsdb.query.engine.QueryException;
import io.tsdb.query.engine.QueryOptions;
import io.tsdb.query.engine.QueryResult;
import io.tsdb.query.engine.QueryStats;
import io.tsdb.query.engine.Sample;
import io.tsdb.query.engine.Series;
import io.tsdb.query.engine.Value;
import io.tsdb.query.parser.QueryParser;
import io.tsdb.query.ast.ParenExpr;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tiny engine for handler tests over the real parser: evaluates numbers, {@code +}/{@code -}, selectors
 * with offsets and {@code sum(...)}, with lookback semantics. Counts range evaluations so cache tests can see recomputation.
 */
final class FakeEngine implements QueryEngine {
    final Storage storage;
    final AtomicInteger rangeCalls = new AtomicInteger();
    final AtomicInteger rangePoints = new AtomicInteger();
    volatile RuntimeException failWith;

    FakeEngine(Storage storage) { this.storage = storage; }

    @Override public QueryResult instant(String query, long t, QueryOptions o) {
        if (failWith != null) throw failWith;
        Expr e = parse(query);
        Object v = eval(e, t, o.lookbackMs());
        Value out = v instanceof Double d ? new Value.Scalar(t, d) : new Value.Vector(vec(v), false);
        return new QueryResult(out, List.of(), List.of(), new QueryStats(1, 2, 3, 4, 5));
    }

    @Override public QueryResult range(String query, long start, long end, long step, QueryOptions o) {
        if (failWith != null) throw failWith;
        rangeCalls.incrementAndGet();
        Expr e = parse(query);
        TreeMap<Labels, List<long[]>> pts = new TreeMap<>();
        TreeMap<Labels, List<Double>> vals = new TreeMap<>();
        for (long t = start; t <= end; t += step) {
            rangePoints.incrementAndGet();
            Object v = eval(e, t, o.lookbackMs());
            List<Sample> samples = v instanceof Double d ? List.of(new Sample(Labels.EMPTY, t, d)) : vec(v);
            for (Sample s : samples) {
                pts.computeIfAbsent(s.labels(), k -> new ArrayList<>()).add(new long[]{t});
                vals.computeIfAbsent(s.labels(), k -> new ArrayList<>()).add(s.value());
            }
        }
        List<Series> series = new ArrayList<>();
        for (Map.Entry<Labels, List<long[]>> en : pts.entrySet()) {
            int n = en.getValue().size();
            long[] ts = new long[n];
            double[] vs = new double[n];
            for (int i = 0; i < n; i++) { ts[i] = en.getValue().get(i)[0]; vs[i] = vals.get(en.getKey()).get(i); }
            series.add(new Series(en.getKey(), ts, vs, n));
        }
        return new QueryResult(new Value.Matrix(series), List.of(), List.of(), QueryStats.EMPTY);
    }

    @SuppressWarnings("unchecked")
    private static List<Sample> vec(Object v) { return (List<Sample>) v; }

    private Object eval(Expr e, long t, long lookback) {
        if (e instanceof NumberLiteral n) return n.value();
        if (e instanceof ParenExpr p) return eval(p.expr(), t, lookback);
        if (e instanceof VectorSelector vs) {
            List<Sample> out = new ArrayList<>();
            long at = t - vs.offsetMs();
            try (Querier q = storage.querier(at - lookback + 1, at)) {
                SeriesSet ss = q.select(vs.matchers());
                while (ss.next()) {
                    SampleCursor c = ss.cursor();
                    double last = Double.NaN;
                    boolean found = false;
                    while (c.next()) { last = c.value(); found = true; }
                    if (found && !StaleNaN.is(last)) out.add(new Sample(ss.labels(), t, last));
                }
            }
            return out;
        }
        if (e instanceof AggregateExpr a) {
            List<Sample> in = vec(eval(a.expr(), t, lookback));
            if (in.isEmpty()) return List.of();
            double sum = 0;
            for (Sample s : in) sum += s.value();
            return List.of(new Sample(Labels.EMPTY, t, sum));
        }
        BinaryExpr b = (BinaryExpr) e;
        Object l = eval(b.lhs(), t, lookback), r = eval(b.rhs(), t, lookback);
        double sign = b.op() == BinaryOp.SUB ? -1 : 1;
        if (l instanceof Double x && r instanceof Double y) return x + sign * y;
        if (l instanceof Double) throw new QueryException(QueryException.Kind.EXECUTION, "fake engine: scalar op vector");
        double y = r instanceof Double d ? d : Double.NaN;
        List<Sample> out = new ArrayList<>();
        for (Sample s : vec(l)) out.add(new Sample(s.labels().toBuilder().del(Labels.METRIC_NAME).build(), t, s.value() + sign * y));
        return out;
    }

    /** The real query parser. */
    @Override public Expr parse(String q) { return QueryParser.parse(q); }

    static double[] copy(double[] a) { return Arrays.copyOf(a, a.length); }
}
