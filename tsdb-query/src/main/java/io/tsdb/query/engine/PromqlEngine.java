package io.tsdb.query.engine;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.tsdb.core.Labels;
import io.tsdb.core.Storage;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.query.ast.Expr;
import io.tsdb.query.ast.ValueType;
import io.tsdb.query.engine.eval.CostEstimator;
import io.tsdb.query.engine.eval.EvalContext;
import io.tsdb.query.engine.eval.Evaluator;
import io.tsdb.query.engine.eval.Rows;
import io.tsdb.query.engine.eval.Vals;
import io.tsdb.query.engine.eval.Vals.MatVal;
import io.tsdb.query.engine.eval.Vals.RangeSeries;
import io.tsdb.query.engine.eval.Vals.Row;
import io.tsdb.query.engine.eval.Vals.ScalarVal;
import io.tsdb.query.engine.eval.Vals.StrVal;
import io.tsdb.query.engine.eval.Vals.Val;
import io.tsdb.query.engine.eval.Vals.VecVal;
import io.tsdb.query.parser.ParseException;
import io.tsdb.query.parser.QueryParser;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The PromQL engine (Prometheus 3.x semantics for float samples) over a {@link Storage}.
 *
 * <p>Both instant and range queries evaluate every AST node once over the whole array of step
 * timestamps (an instant query is the one-step case). Before evaluation, a cost estimate from the
 * storage's exact series counts and sample estimates refuses queries over {@link QueryOptions#maxSeries()}
 * / {@link QueryOptions#maxSamples()}; during evaluation the samples held in memory are bounded by
 * maxSamples and a deadline enforces the timeout. Thread-safe: all per-query state is local. A large aggregation
 * is evaluated in shards on the engine's {@link QueryShards} (bit-identical to one thread's result, see
 * {@code ShardedAggregation}); everything else on the caller's thread.
 */
public final class PromqlEngine implements QueryEngine {
    /** Refuse range queries with more steps than this (Prometheus' API limit is 11,000 points per series). */
    public static final int MAX_STEPS = 11_000;

    private final Storage storage;
    private final QueryOptions defaults;
    private final long defaultSubqueryStepMs;
    private final QueryShards shards;

    public PromqlEngine(Storage storage) { this(storage, QueryOptions.DEFAULTS); }

    public PromqlEngine(Storage storage, QueryOptions defaults) { this(storage, defaults, 60_000L); }

    /** @param defaultSubqueryStepMs step of subqueries written without one ({@code x[5m:]}) */
    public PromqlEngine(Storage storage, QueryOptions defaults, long defaultSubqueryStepMs) {
        this(storage, defaults, defaultSubqueryStepMs, QueryShards.forProcessors());
    }

    /**
     * @param shards the threads large aggregations are evaluated on in shards ({@link QueryShards#SEQUENTIAL}: none);
     *               engines of one server may share them
     */
    public PromqlEngine(Storage storage, QueryOptions defaults, long defaultSubqueryStepMs, QueryShards shards) {
        this.shards = shards == null ? QueryShards.SEQUENTIAL : shards;
        this.storage = storage;
        this.defaults = defaults == null ? QueryOptions.DEFAULTS : defaults;
        this.defaultSubqueryStepMs = defaultSubqueryStepMs;
    }

    public QueryOptions defaults() { return defaults; }

    /** The threads this engine evaluates large aggregations on (see {@link QueryShards}). */
    public QueryShards shards() { return shards; }

    @Override public Expr parse(String query) {
        return parse(query, null);
    }

    /**
     * Parses for a query that will run with the given step and range ({@code step()} / {@code range()} in
     * duration expressions); an instant query has step 0 and range 0. Null: unknown.
     */
    public Expr parse(String query, QueryParser.QueryRange range) {
        boolean cacheable = query != null && query.length() <= MAX_CACHED_QUERY_CHARS;
        ParseKey key = cacheable ? new ParseKey(query, range == null ? -1 : range.stepMs(), range == null ? -1 : range.rangeMs()) : null;
        if (cacheable) {
            Expr e = parsed.getIfPresent(key);
            if (e != null) return e;
        }
        Expr e;
        try {
            e = QueryParser.parse(query, range);
        } catch (ParseException ex) {
            throw new QueryException(QueryException.Kind.BAD_DATA, ex.getMessage(), ex);
        }
        if (cacheable) parsed.put(key, e);
        return e;
    }

    /** Queries longer than this are parsed every time (they are rarely repeated, and would crowd the cache). */
    static final int MAX_CACHED_QUERY_CHARS = 4096;

    /**
     * Parsed queries by text, step and range (which {@code step()} / {@code range()} in duration expressions
     * depend on; -1 when unknown): dashboards and rules repeat the same queries, and lexing and parsing is a
     * large share of a small query's cost. The AST is immutable, so one instance serves concurrent queries.
     * Errors are not cached.
     */
    private final Cache<ParseKey, Expr> parsed = Caffeine.newBuilder().maximumSize(1024).build();

    private record ParseKey(String query, long stepMs, long rangeMs) {}

    @Override public QueryResult instant(String query, long timeMs, QueryOptions options) {
        long t0 = System.nanoTime();
        Expr expr = parse(query, new QueryParser.QueryRange(0, 0));
        return run(query, expr, timeMs, timeMs, 0, options, System.nanoTime() - t0);
    }

    @Override public QueryResult range(String query, long startMs, long endMs, long stepMs, QueryOptions options) {
        long t0 = System.nanoTime();
        Expr expr = parse(query, new QueryParser.QueryRange(stepMs, endMs - startMs));
        return runRange(query, expr, startMs, endMs, stepMs, options, System.nanoTime() - t0);
    }

    /** Instant evaluation of an already parsed expression (query text is used for annotation positions). */
    public QueryResult instant(String query, Expr expr, long timeMs, QueryOptions options) {
        return run(query, expr, timeMs, timeMs, 0, options, 0);
    }

    /** Range evaluation of an already parsed expression. */
    public QueryResult range(String query, Expr expr, long startMs, long endMs, long stepMs, QueryOptions options) {
        return runRange(query, expr, startMs, endMs, stepMs, options, 0);
    }

    private QueryResult runRange(String query, Expr expr, long startMs, long endMs, long stepMs, QueryOptions options,
                                 long parseNanos) {
        if (stepMs <= 0) throw new QueryException(QueryException.Kind.BAD_DATA, "zero or negative query resolution step widths are not accepted. Try a positive integer");
        if (endMs < startMs) throw new QueryException(QueryException.Kind.BAD_DATA, "end timestamp must not be before start time");
        if ((endMs - startMs) / stepMs > MAX_STEPS) {
            throw new QueryException(QueryException.Kind.BAD_DATA, "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)");
        }
        ValueType t = expr.type();
        if (t != ValueType.SCALAR && t != ValueType.VECTOR) {
            throw new QueryException(QueryException.Kind.BAD_DATA, "invalid expression type \"" + t.description
                    + "\" for range query, must be Scalar or instant Vector");
        }
        return run(query, expr, startMs, endMs, stepMs, options, parseNanos);
    }

    private QueryResult run(String query, Expr expr, long start, long end, long step, QueryOptions options, long parseNanos) {
        QueryOptions o = options == null ? defaults : options;
        long lookback = o.lookbackMs() > 0 ? o.lookbackMs() : defaults.lookbackMs();
        EvalContext cx = new EvalContext(storage, query, start, end, step, lookback, o.maxSamples(), o.timeoutMs(),
                defaultSubqueryStepMs);
        // a query that must stay small runs on the caller's thread alone: no shards to wait for
        cx.shards = o.smallOnly() > 0 ? null : shards;
        try {
            return run(cx, expr, start, end, step, o, parseNanos);
        } finally {
            cx.closeQueriers();
        }
    }

    private QueryResult run(EvalContext cx, Expr expr, long start, long end, long step, QueryOptions o, long parseNanos) {
        long t1 = System.nanoTime();
        CostEstimator.SmallCost small = null;
        if (o.smallOnly() > 0) {
            int steps = step == 0 ? 1 : (int) ((end - start) / step) + 1;
            small = CostEstimator.requireSmall(cx, expr, steps, QueryOptions.SMALL_MAX_SERIES, o.smallOnly());
        }
        // a small query's bounds settle the limits without estimating its selectors a second time
        if (small == null || !small.within(o.maxSeries(), o.maxSamples())) {
            CostEstimator.check(cx, expr, o.maxSeries(), o.maxSamples());
        }
        long planNanos = System.nanoTime() - t1;
        long t2 = System.nanoTime();
        long[] ts;
        if (step == 0) {
            ts = new long[]{start};
        } else {
            int n = (int) ((end - start) / step) + 1;
            ts = new long[n];
            for (int i = 0; i < n; i++) ts[i] = start + i * step;
        }
        Value value;
        Evaluator ev = new Evaluator(cx);
        try {
            Val v = ev.eval(expr, ts);
            value = step == 0 ? toInstant(v, start) : toRange(v, ts);
        } catch (OutOfMemoryError e) {
            throw new QueryException(QueryException.Kind.EXECUTION, "query ran out of memory; narrow the selectors or time range", e);
        } catch (StackOverflowError e) {
            throw new QueryException(QueryException.Kind.BAD_DATA, "query is nested too deeply", e);
        } finally {
            ev.release();
        }
        long evalNanos = System.nanoTime() - t2;
        QueryStats stats = o.collectStats()
                ? new QueryStats(cx.seriesTouched, cx.samplesTouched, parseNanos, planNanos, evalNanos)
                : QueryStats.EMPTY;
        return new QueryResult(value, List.copyOf(cx.warnings), List.copyOf(cx.infos), stats);
    }

    /** Drops the metric name and the other metadata labels (__type__, __unit__), as Prometheus 3. */
    private static Labels dropName(Labels l) {
        return Rows.dropMetadata(l);
    }

    private static Value toInstant(Val v, long t) {
        if (v instanceof ScalarVal s) return new Value.Scalar(t, s.v[0]);
        if (v instanceof StrVal s) return new Value.Str(t, s.s());
        if (v instanceof MatVal m) {
            List<Series> out = new ArrayList<>();
            Set<Labels> seen = new HashSet<>();
            for (RangeSeries rs : m.series) {
                Labels l = rs.dropName ? dropName(rs.labels) : rs.labels;
                if (!seen.add(l)) throw new QueryException(QueryException.Kind.EXECUTION, Rows.DUPLICATE_LABELSET);
                out.add(new Series(l, java.util.Arrays.copyOf(rs.t, rs.n), java.util.Arrays.copyOf(rs.v, rs.n), rs.n,
                        java.util.Arrays.copyOf(rs.ht, rs.hn), java.util.Arrays.copyOf(rs.hh, rs.hn), rs.hn));
            }
            out.sort((a, b) -> a.labels().compareTo(b.labels()));
            return new Value.Matrix(out);
        }
        VecVal vv = (VecVal) v;
        List<Sample> out = new ArrayList<>(vv.rows.size());
        Set<Labels> seen = new HashSet<>();
        for (Row r : vv.rows) {
            double x = r.v[0];
            FloatHistogram h = r.hist(0);
            if (Vals.absent(x) && h == null) continue;
            Labels l = r.dropName ? dropName(r.labels) : r.labels;
            if (!seen.add(l)) throw new QueryException(QueryException.Kind.EXECUTION, Rows.DUPLICATE_LABELSET);
            out.add(h != null ? Sample.ofHistogram(l, t, h) : new Sample(l, t, x));
        }
        return new Value.Vector(out, vv.ordered);
    }

    private static Value toRange(Val v, long[] ts) {
        List<Row> rows;
        boolean ordered = true;
        if (v instanceof ScalarVal s) {
            rows = List.of(new Row(Labels.EMPTY, s.v, false));
        } else {
            VecVal vv = (VecVal) v;
            rows = new ArrayList<>(vv.rows.size());
            for (Row r : vv.rows) rows.add(r.dropName ? new Row(dropName(r.labels), r.v, r.h, false) : r);
            // Rows in strictly increasing label order (a selector's, for one) are distinct: no merging, and
            // the result is in order already (at a million series the merge's hash map was 15 % of a lastpoint query)
            ordered = Rows.strictlyOrdered(rows);
            if (!ordered) rows = Rows.mergeSameLabels(rows);
        }
        List<Series> out = new ArrayList<>(rows.size());
        for (Row r : rows) {
            int hn = r.histCount();
            int n = r.count() - hn;
            if (n + hn == 0) continue;
            long[] t = new long[n];
            double[] x = new double[n];
            int k = 0;
            for (int i = 0; i < ts.length; i++) {
                if (Vals.present(r.v[i])) { t[k] = ts[i]; x[k] = r.v[i]; k++; }
            }
            if (hn == 0) {
                out.add(new Series(r.labels, t, x, n));
                continue;
            }
            long[] ht = new long[hn];
            FloatHistogram[] hh = new FloatHistogram[hn];
            int m = 0;
            for (int i = 0; i < ts.length; i++) {
                if (r.h[i] != null) { ht[m] = ts[i]; hh[m] = r.h[i]; m++; }
            }
            out.add(new Series(r.labels, t, x, n, ht, hh, hn));
        }
        if (!ordered) out.sort((a, b) -> a.labels().compareTo(b.labels()));
        return new Value.Matrix(out);
    }
}
