package io.tsdb.server.tenant;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.tsdb.server.ServerConfig;

/**
 * The limits of one tenant (docs/format/tenant-limits.md; names as Mimir's where Mimir has the limit). 0 means
 * no limit. Tenants the limits file does not name get {@link #fromFlags} merged with the file's {@code defaults}.
 *
 * @param ingestionRate           samples per second, sustained (token bucket); 0 = unlimited
 * @param ingestionBurstSize      samples the bucket holds (a request larger than this is refused whatever the rate);
 *                                0 with a rate = one second of the rate
 * @param maxSeries               active series of the tenant (head)
 * @param maxSeriesPerMetric      active series of one metric name of the tenant
 * @param maxLabelNamesPerSeries  label names of one series, __name__ included
 * @param maxFetchedSeriesPerQuery series a query's selectors may match (the query engine's max series)
 * @param maxSamplesPerQuery      samples a query may touch (the query engine's max samples)
 * @param maxConcurrentQueries    queries of the tenant running at once; more get 429
 */
public record TenantLimits(
        @JsonProperty("ingestion_rate") double ingestionRate,
        @JsonProperty("ingestion_burst_size") long ingestionBurstSize,
        @JsonProperty("max_global_series_per_user") long maxSeries,
        @JsonProperty("max_global_series_per_metric") long maxSeriesPerMetric,
        @JsonProperty("max_label_names_per_series") int maxLabelNamesPerSeries,
        @JsonProperty("max_fetched_series_per_query") long maxFetchedSeriesPerQuery,
        @JsonProperty("max_samples_per_query") long maxSamplesPerQuery,
        @JsonProperty("max_concurrent_queries") int maxConcurrentQueries) {

    /** The flags' limits (every tenant's unless the limits file says otherwise); rate and concurrency unlimited. */
    public static TenantLimits fromFlags(ServerConfig c) {
        return new TenantLimits(0, 0, c.maxActiveSeries, c.maxActiveSeriesPerMetric, c.maxLabelsPerSeries,
                c.queryMaxSeries, c.queryMaxSamples, 0);
    }

    /** The burst: the configured size, or one second of the rate. */
    public long burst() { return ingestionBurstSize > 0 ? ingestionBurstSize : (long) Math.ceil(ingestionRate); }

    /** {@code max_label_names_per_series} as an int limit (0 = unlimited). */
    public int labelNamesLimit() { return maxLabelNamesPerSeries <= 0 ? Integer.MAX_VALUE : maxLabelNamesPerSeries; }
}
