package io.tsdb.query.engine;

/**
 * Per-query options. Zero or negative limits mean "no limit".
 *
 * @param lookbackMs   staleness lookback delta (default 5 minutes)
 * @param timeoutMs    cancel the query after this long
 * @param maxSamples   refuse queries estimated to touch more samples than this
 * @param maxSeries    refuse queries whose selectors match more series than this
 * @param collectStats fill in {@link QueryStats}
 * @param smallOnly    when positive, the caller's thread must not be held long (an event loop): a query whose
 *                     selectors may match more than {@link #SMALL_MAX_SERIES} series or whose estimated work
 *                     (samples read plus series x steps) exceeds this is not evaluated, the engine throws
 *                     {@link QueryDeferred} before reading any sample, for the caller to run it elsewhere; a query
 *                     within it runs on the caller's thread alone (no aggregation shards)
 */
public record QueryOptions(long lookbackMs, long timeoutMs, long maxSamples, long maxSeries, boolean collectStats,
                           long smallOnly) {
    public static final long DEFAULT_LOOKBACK_MS = 5 * 60_000L;
    public static final QueryOptions DEFAULTS = new QueryOptions(DEFAULT_LOOKBACK_MS, 120_000L, 50_000_000L, 0, false);
    /**
     * The series bound of {@link #smallOnly}: with more, the sample estimate itself (a look at each series' chunk
     * bounds) would already cost more than a small query.
     */
    public static final long SMALL_MAX_SERIES = 2_000;

    public QueryOptions(long lookbackMs, long timeoutMs, long maxSamples, long maxSeries, boolean collectStats) {
        this(lookbackMs, timeoutMs, maxSamples, maxSeries, collectStats, 0);
    }

    public QueryOptions withLookback(long ms) { return new QueryOptions(ms, timeoutMs, maxSamples, maxSeries, collectStats, smallOnly); }
    public QueryOptions withTimeout(long ms) { return new QueryOptions(lookbackMs, ms, maxSamples, maxSeries, collectStats, smallOnly); }
    public QueryOptions withStats(boolean b) { return new QueryOptions(lookbackMs, timeoutMs, maxSamples, maxSeries, b, smallOnly); }
    public QueryOptions withSmallOnly(long work) { return new QueryOptions(lookbackMs, timeoutMs, maxSamples, maxSeries, collectStats, work); }
}
