package io.tsdb.query.engine;

/** Work done by one query; times in nanoseconds. */
public record QueryStats(long seriesTouched, long samplesTouched, long parseNanos, long planNanos, long evalNanos) {
    public static final QueryStats EMPTY = new QueryStats(0, 0, 0, 0, 0);
}
