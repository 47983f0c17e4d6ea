package io.tsdb.query.engine;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads a {@link PromqlEngine} evaluates large aggregations on, in shards (see
 * {@code io.tsdb.query.engine.eval.ShardedAggregation}): owned by the engine (or shared by the engines of one server),
 * no global state.
 *
 * <p>Invariants: the pool has at most {@link #parallelism()} threads, created on first use and ended after
 * {@link #IDLE_SECONDS} idle, so an engine that never runs a large aggregation (or is dropped) holds no thread. A task
 * on the pool never waits for another task: the query's own thread claims shards as well, so a query whose helpers are
 * still queued behind other queries' work evaluates its shards itself (at worst sequentially, never a deadlock).
 */
public final class QueryShards {
    /** Every query on its caller's thread. */
    public static final QueryShards SEQUENTIAL = new QueryShards(1, Long.MAX_VALUE);
    /**
     * Default threshold of {@link #minWork()}: about 10 ms of evaluation on one core, where the shards' extra
     * selections and the hand-over to the pool cost well under 1%.
     */
    public static final long DEFAULT_MIN_WORK = 1_000_000L;
    static final int IDLE_SECONDS = 30;

    private final int parallelism;
    private final long minWork;
    private volatile ThreadPoolExecutor pool;
    private final java.util.concurrent.atomic.LongAdder sharded = new java.util.concurrent.atomic.LongAdder();

    /**
     * @param parallelism shards per large aggregation and threads at most (1: none, every query on its own thread)
     * @param minWork     an aggregation is sharded when its input's estimated samples plus series x steps reach this
     */
    public QueryShards(int parallelism, long minWork) {
        if (parallelism < 1) throw new IllegalArgumentException("parallelism must be at least 1, got " + parallelism);
        this.parallelism = parallelism;
        this.minWork = Math.max(0, minWork);
    }

    /** One shard per available processor, at the default threshold; 1 processor: none. */
    public static QueryShards forProcessors() {
        return new QueryShards(Runtime.getRuntime().availableProcessors(), DEFAULT_MIN_WORK);
    }

    /** {@code parallelism} 0 means one per available processor. */
    public static QueryShards of(int parallelism) {
        return parallelism == 0 ? forProcessors() : new QueryShards(parallelism, DEFAULT_MIN_WORK);
    }

    public int parallelism() { return parallelism; }

    public long minWork() { return minWork; }

    /** Aggregations evaluated in shards so far. */
    public long shardedAggregations() { return sharded.sum(); }

    /** Counts one aggregation evaluated in shards (called by the evaluator). */
    public void noteSharded() { sharded.increment(); }

    /** Runs a helper on the pool (queued when all its threads are busy). */
    public void execute(Runnable task) {
        ThreadPoolExecutor p = pool;
        if (p == null) {
            synchronized (this) {
                p = pool;
                if (p == null) {
                    p = new ThreadPoolExecutor(parallelism, parallelism, IDLE_SECONDS, TimeUnit.SECONDS,
                            new LinkedBlockingQueue<>(), new Daemons());
                    p.allowCoreThreadTimeOut(true);
                    pool = p;
                }
            }
        }
        p.execute(task);
    }

    private static final class Daemons implements ThreadFactory {
        private final AtomicInteger seq = new AtomicInteger();

        @Override public Thread newThread(Runnable r) {
            Thread t = new Thread(r, "query-shard-" + seq.incrementAndGet());
            t.setDaemon(true);
            return t;
        }
    }
}
