package io.tsdb.query.engine.eval;

import io.tsdb.core.Labels;
import io.tsdb.core.Querier;
import io.tsdb.query.ast.AggregateExpr;
import io.tsdb.query.ast.Call;
import io.tsdb.query.ast.Expr;
import io.tsdb.query.ast.MatrixSelector;
import io.tsdb.query.ast.NumberLiteral;
import io.tsdb.query.ast.VectorSelector;
import io.tsdb.query.engine.QueryException;
import io.tsdb.query.engine.QueryShards;
import io.tsdb.query.engine.eval.Vals.Row;
import io.tsdb.query.engine.eval.Vals.VecVal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A large streaming aggregation ({@code sum by (region) (rate(x[5m]))}, {@code avg by (host) (avg_over_time(...))}:
 * sum/avg/min/max/count/group/stddev/stdvar over a selector or a range function of a matrix selector) evaluated in
 * shards on the engine's {@link QueryShards}, one shard per thread.
 *
 * <p>Shards split the <em>groups</em>, not the series: each group of the output is assigned to one shard (round-robin
 * in the order the shards meet the groups), and a shard reads, with its own querier, only the series of its groups
 * (the filter is tested on labels before any sample is read). So every group accumulates its series in series order
 * on one thread, exactly as the sequential path does, and the results are bit-identical to it (float sums depend on
 * their order; Prometheus sums in series order too). The shards' groups are put back in the sequential order: the
 * order of each group's first series, which is label order. An aggregation with one group (no {@code by}) has
 * nothing to split and stays sequential.
 *
 * <p>Only aggregations whose input's estimated samples plus series x steps reach {@link QueryShards#minWork()} are
 * sharded: a small query pays one size test and nothing else. The shards share the query's sample limit (their sum
 * is checked), its deadline, and stop as soon as one of them fails; their annotations and statistics are added to
 * the query's when all are done. Read columns and scratch are per shard (per thread).
 */
final class ShardedAggregation {
    private ShardedAggregation() {}

    /** Thrown in a shard after another one failed (never reaches the caller). */
    static final class Cancelled extends RuntimeException {
        Cancelled() { super("cancelled", null, false, false); }
    }

    /** The aggregation evaluated in shards, or null when it is not shardable or too small to be worth it. */
    static VecVal tryEval(Evaluator ev, AggregateExpr a, long[] ts) {
        EvalContext cx = ev.cx;
        QueryShards shards = cx.shards;
        if (shards == null || shards.parallelism() < 2 || cx.seriesFilter != null) return null;
        if (!a.without() && a.grouping().isEmpty()) return null;
        Expr in = RangeEval.unwrap(a.expr());
        VectorSelector vs;
        long mint, maxt;
        if (in instanceof VectorSelector s) {
            vs = s;
            long[] eff = ev.selectors.effectiveTimes(s.at(), s.offsetMs(), ts);
            mint = eff[0] - cx.lookbackMs + 1;
            maxt = eff[eff.length - 1];
        } else if (in instanceof Call c && shardableCall(c)) {
            MatrixSelector ms = (MatrixSelector) RangeEval.unwrap(matrixArg(c));
            vs = ms.selector();
            long[] end = ev.selectors.effectiveTimes(vs.at(), vs.offsetMs(), ts);
            mint = end[0] - ms.rangeMs() + 1;
            maxt = end[end.length - 1];
        } else {
            return null;
        }
        if (mint > maxt || work(cx, vs, mint, maxt, ts.length) < shards.minWork()) return null;
        return run(cx, shards.parallelism(), shards, a, ts);
    }

    /** A range function (not absent_over_time) over a matrix selector whose other arguments are numbers. */
    private static boolean shardableCall(Call c) {
        if (!(((FunctionDef) c.fn()).impl() instanceof FunctionDef.Window w) || w.kernel() == RangeFunctions.Fn.ABSENT_OVER_TIME) {
            return false;
        }
        boolean matrix = false;
        for (Expr arg : c.args()) {
            Expr u = RangeEval.unwrap(arg);
            if (u instanceof MatrixSelector) matrix = true;
            else if (!(u instanceof NumberLiteral)) return false;
        }
        return matrix;
    }

    private static Expr matrixArg(Call c) {
        for (Expr arg : c.args()) if (RangeEval.unwrap(arg) instanceof MatrixSelector) return arg;
        throw new IllegalStateException("no matrix argument");
    }

    /**
     * Estimated samples read plus series x steps (from the label index and chunk statistics; nothing decoded); the
     * samples alone when they are under a quarter of the threshold.
     */
    private static long work(EvalContext cx, VectorSelector vs, long mint, long maxt, int steps) {
        Querier kept = cx.keptQuerier(mint, maxt);
        try (Querier own = kept == null ? cx.storage.querier(mint, maxt) : null) {
            Querier q = kept != null ? kept : own;
            long samples = q.sampleEstimate(vs.matchers());
            long min = cx.shards.minWork();
            // series x steps exceeds the samples only with steps finer than the samples: counting the series (one more
            // pass over the selection) is worth it only for an input that is not far below the threshold anyway
            if (samples >= min || samples < min / 4) return samples;
            return samples + q.seriesCount(vs.matchers()) * (long) steps;
        }
    }

    /** One shard: its context, evaluator and outcome. */
    private static final class Shard {
        EvalContext cx;
        final List<Row> rows = new ArrayList<>();
        final List<Labels> firsts = new ArrayList<>();
        Throwable failure;
    }

    private static VecVal run(EvalContext cx, int n, QueryShards pool, AggregateExpr a, long[] ts) {
        pool.noteSharded();
        EvalContext.ShardShare share = new EvalContext.ShardShare(cx.currentSamples);
        ConcurrentHashMap<Labels, Integer> owner = new ConcurrentHashMap<>();
        AtomicInteger assigned = new AtomicInteger();
        Shard[] shards = new Shard[n];
        for (int i = 0; i < n; i++) {
            final int me = i;
            shards[i] = new Shard();
            shards[i].cx = cx.shard(l -> {
                Labels key = Aggregations.groupLabels(l, a.grouping(), a.without());
                Integer o = owner.get(key);
                if (o == null) o = owner.computeIfAbsent(key, k -> assigned.getAndIncrement() % n);
                return o == me;
            }, share);
        }
        AtomicInteger claim = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(n);
        Runnable worker = () -> {
            int i;
            while ((i = claim.getAndIncrement()) < n) {
                try {
                    evalShard(shards[i], a, ts);
                } catch (Throwable t) {
                    shards[i].failure = t;
                    share.cancelled = true;
                } finally {
                    done.countDown();
                }
            }
        };
        for (int h = 1; h < n; h++) pool.execute(worker);
        worker.run();
        boolean interrupted = false;
        while (true) {
            try {
                done.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
                share.cancelled = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        Throwable failure = null;
        for (Shard s : shards) {
            if (s.failure != null && (failure == null || failure instanceof Cancelled)) failure = s.failure;
        }
        if (failure instanceof Cancelled) {
            throw new QueryException(QueryException.Kind.CANCELED, "query was interrupted in expression evaluation");
        }
        if (failure instanceof RuntimeException e) throw e;
        if (failure instanceof Error e) throw e;
        for (Shard s : shards) cx.absorb(s.cx);
        return merge(shards);
    }

    private static void evalShard(Shard s, AggregateExpr a, long[] ts) {
        Evaluator ev = new Evaluator(s.cx);
        try {
            Accumulator acc = new Accumulator(s.cx, a.op(), ts.length, a.grouping(), a.without());
            acc.pos = a.expr().pos();
            if (!ev.aggregations.streamInto(a.expr(), ts, acc)) throw new IllegalStateException("not streamable");
            acc.finish(s.rows, s.firsts);
        } finally {
            ev.release();
            s.cx.closeQueriers();
        }
    }

    /** The shards' groups in the order of their first series (the order the sequential path emits them in). */
    private static VecVal merge(Shard[] shards) {
        int total = 0;
        for (Shard s : shards) total += s.rows.size();
        Row[] rows = new Row[total];
        Labels[] firsts = new Labels[total];
        Integer[] order = new Integer[total];
        int k = 0;
        for (Shard s : shards) {
            for (int j = 0; j < s.rows.size(); j++) {
                rows[k] = s.rows.get(j);
                firsts[k] = s.firsts.get(j);
                order[k] = k;
                k++;
            }
        }
        Arrays.sort(order, (x, y) -> firsts[x].compareTo(firsts[y]));
        List<Row> out = new ArrayList<>(total);
        for (Integer i : order) out.add(rows[i]);
        return new VecVal(out);
    }
}
