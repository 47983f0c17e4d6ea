package io.tsdb.query.engine.eval;

import io.tsdb.core.Storage;
import io.tsdb.query.engine.QueryException;

import java.util.LinkedHashSet;
import java.util.Set;

/** Per-query state shared by all evaluation code: limits, deadline, annotations, statistics. */
public final class EvalContext {
    public final Storage storage;
    public final String query;
    public final long queryStart;
    public final long queryEnd;
    /** Step of the top-level query (0 for instant queries). */
    public final long queryStep;
    public final long lookbackMs;
    public final long maxSamples;
    public final long deadlineNanos;
    /** Default subquery step when omitted, as Prometheus' default evaluation interval. */
    public final long defaultSubqueryStepMs;

    public final Set<String> warnings = new LinkedHashSet<>();
    public final Set<String> infos = new LinkedHashSet<>();

    /**
     * Set while evaluating the argument of histogram_count/histogram_sum/histogram_avg: like upstream's histogram
     * statistics decoding, selectors then detect counter resets between the histogram samples they read and set the
     * samples' hints accordingly (a sample that starts a new chunk after a reset reads back as "reset", not "unknown").
     */
    public boolean statsDecoding;

    /**
     * Queriers the cost estimate opened, by time range, handed on to the selectors the evaluation runs over the same
     * range: a block querier keeps its last selection, so the series are selected once per query, not once for the
     * estimate and again to read them. Closed by {@link #closeQueriers()} when the query ends (a query runs on one
     * thread, and a selector reads its series to the end before the next one starts).
     */
    private java.util.Map<Range, io.tsdb.core.Querier> queriers;

    private record Range(long mint, long maxt) {}

    /**
     * Set in a shard's context ({@link #shard}): its selectors read only the series this accepts. Null: all series.
     */
    final java.util.function.Predicate<io.tsdb.core.Labels> seriesFilter;
    /** The shards of a query evaluated in parallel share these (null in a query evaluated on one thread). */
    private final ShardShare share;
    /** The engine's pool for evaluating large aggregations in shards; null: this query is evaluated on one thread. */
    public io.tsdb.query.engine.QueryShards shards;

    /**
     * What the shards of one aggregation evaluated in parallel share: the samples all of them hold in memory (so the
     * query's limit bounds their sum, as it bounds the one thread's count), and the flag that stops the others once
     * one failed.
     */
    static final class ShardShare {
        final java.util.concurrent.atomic.AtomicLong samples;
        volatile boolean cancelled;

        ShardShare(long initial) { samples = new java.util.concurrent.atomic.AtomicLong(initial); }
    }

    public long seriesTouched;
    public long samplesTouched;
    /** Points currently held by live intermediate results (Prometheus' "samples in memory"). */
    public long currentSamples;
    public long peakSamples;
    private int tick;

    public EvalContext(Storage storage, String query, long queryStart, long queryEnd, long queryStep, long lookbackMs,
                       long maxSamples, long timeoutMs, long defaultSubqueryStepMs) {
        this.storage = storage;
        this.query = query == null ? "" : query;
        this.queryStart = queryStart;
        this.queryEnd = queryEnd;
        this.queryStep = queryStep;
        this.lookbackMs = lookbackMs > 0 ? lookbackMs : 5 * 60_000L;
        this.maxSamples = maxSamples > 0 ? maxSamples : Long.MAX_VALUE;
        this.deadlineNanos = timeoutMs > 0 ? System.nanoTime() + timeoutMs * 1_000_000L : Long.MAX_VALUE;
        this.defaultSubqueryStepMs = defaultSubqueryStepMs > 0 ? defaultSubqueryStepMs : 60_000L;
        this.seriesFilter = null;
        this.share = null;
    }

    /** A shard's context: the parent's parameters, limits and deadline; its own annotations and statistics. */
    private EvalContext(EvalContext p, java.util.function.Predicate<io.tsdb.core.Labels> filter, ShardShare share) {
        this.storage = p.storage;
        this.query = p.query;
        this.queryStart = p.queryStart;
        this.queryEnd = p.queryEnd;
        this.queryStep = p.queryStep;
        this.lookbackMs = p.lookbackMs;
        this.maxSamples = p.maxSamples;
        this.deadlineNanos = p.deadlineNanos;
        this.defaultSubqueryStepMs = p.defaultSubqueryStepMs;
        this.statsDecoding = p.statsDecoding;
        this.seriesFilter = filter;
        this.share = share;
    }

    /** The context of one shard of an aggregation evaluated in parallel (see {@link ShardedAggregation}). */
    EvalContext shard(java.util.function.Predicate<io.tsdb.core.Labels> filter, ShardShare share) {
        return new EvalContext(this, filter, share);
    }

    /** Adds a shard's annotations and statistics once it is done (on the query's thread). */
    void absorb(EvalContext shard) {
        warnings.addAll(shard.warnings);
        infos.addAll(shard.infos);
        seriesTouched += shard.seriesTouched;
        samplesTouched += shard.samplesTouched;
    }

    /** The querier over [mint, maxt] kept for the rest of the query, opened by the first call for that range. */
    public io.tsdb.core.Querier sharedQuerier(long mint, long maxt) {
        if (queriers == null) queriers = new java.util.HashMap<>();
        return queriers.computeIfAbsent(new Range(mint, maxt), r -> storage.querier(r.mint, r.maxt));
    }

    /** The kept querier over exactly [mint, maxt], or null (the caller then opens and closes its own). */
    public io.tsdb.core.Querier keptQuerier(long mint, long maxt) {
        return queriers == null ? null : queriers.get(new Range(mint, maxt));
    }

    /** Closes the kept queriers (at the end of the query, whatever its outcome). */
    public void closeQueriers() {
        if (queriers == null) return;
        RuntimeException first = null;
        for (io.tsdb.core.Querier q : queriers.values()) {
            try {
                q.close();
            } catch (RuntimeException e) {
                if (first == null) first = e;
            }
        }
        queriers = null;
        if (first != null) throw first;
    }

    /** Cheap cancellation check: call in loops over series or steps. */
    public void checkDeadline() {
        if ((++tick & 63) != 0) return;
        if (share != null && share.cancelled) throw new ShardedAggregation.Cancelled();
        if (deadlineNanos == Long.MAX_VALUE) return;
        if (System.nanoTime() - deadlineNanos > 0) {
            throw new QueryException(QueryException.Kind.TIMEOUT, "query timed out in expression evaluation");
        }
    }

    public void addSamples(long n) {
        currentSamples += n;
        if (currentSamples > peakSamples) peakSamples = currentSamples;
        if ((share == null ? currentSamples : share.samples.addAndGet(n)) > maxSamples) {
            throw new QueryException(QueryException.Kind.EXECUTION,
                    "query processing would load too many samples into memory in query execution (limit "
                            + maxSamples + ")");
        }
    }

    public void releaseSamples(long n) {
        currentSamples -= n;
        if (share != null) share.samples.addAndGet(-n);
    }

    /** Prometheus-style position "line:col" (1-based) of a character offset in the query. */
    public String pos(int offset) {
        int line = 1, col = 1;
        for (int i = 0; i < offset && i < query.length(); i++) {
            if (query.charAt(i) == '\n') { line++; col = 1; } else col++;
        }
        return line + ":" + col;
    }

    public void warn(String msg, int offset) { warnings.add("PromQL warning: " + msg + " (" + pos(offset) + ")"); }

    public void info(String msg, int offset) { infos.add("PromQL info: " + msg + " (" + pos(offset) + ")"); }

    public static QueryException execError(String msg) {
        return new QueryException(QueryException.Kind.EXECUTION, msg);
    }
}
