package io.tsdb.query.engine;

/**
 * Per-query options. Zero or negative limits mean "no limit".
 *
 * @param lookbackMs   staleness lookback delta (default 5 minutes)
 * @param timeoutMs    cancel the query after this long
 * @param maxSamples   refuse queries estimated to touch more samples than this
 * @param maxSeries    refuse queries whose selectors match more series than this
 * @param collectStats fill in {@link QueryStats}
 */
public record QueryOptions(long lookbackMs, long timeoutMs, long maxSamples, long maxSeries, boolean collectStats) {
    public static final long DEFAULT_LOOKBACK_MS = 5 * 60_000L;
    public static final QueryOptions DEFAULTS = new QueryOptions(DEFAULT_LOOKBACK_MS, 120_000L, 50_000_000L, 0, false);

    public QueryOptions withLookback(long ms) { return new QueryOptions(ms, timeoutMs, maxSamples, maxSeries, collectStats); }
    public QueryOptions withTimeout(long ms) { return new QueryOptions(lookbackMs, ms, maxSamples, maxSeries, collectStats); }
    public QueryOptions withStats(boolean b) { return new QueryOptions(lookbackMs, timeoutMs, maxSamples, maxSeries, b); }
}
