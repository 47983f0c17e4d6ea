package io.tsdb.core;

/** Outcome of staging one sample; every rejection reason is counted separately in /metrics. */
public enum AppendStatus {
    OK("ok"),
    /** Duplicate timestamp with the same value: accepted silently, nothing stored twice. */
    DUPLICATE_SAME_VALUE("duplicate"),
    OUT_OF_ORDER("out_of_order"),
    TOO_OLD("too_old"),
    DUPLICATE_DIFFERENT_VALUE("duplicate_different_value"),
    TOO_FAR_IN_FUTURE("too_far_in_future"),
    INVALID_METRIC_NAME("invalid_metric_name"),
    INVALID_LABEL_NAME("invalid_label_name"),
    INVALID_LABEL_VALUE("invalid_label_value"),
    DUPLICATE_LABEL_NAME("duplicate_label_name"),
    TOO_MANY_LABELS("too_many_labels"),
    LABEL_NAME_TOO_LONG("label_name_too_long"),
    LABEL_VALUE_TOO_LONG("label_value_too_long"),
    SERIES_LIMIT("series_limit"),
    SERIES_PER_METRIC_LIMIT("series_per_metric_limit"),
    STORAGE_CLOSED("storage_closed"),
    /**
     * Internal, never answered to a client: the series left the head (went quiet, see Head#removeIdle) between
     * staging and commit; the committer finds it again under the same id and retries.
     */
    SERIES_REMOVED("series_removed"),
    /**
     * Storage could not take the sample (a new series could not be logged to the WAL, e.g. the disk is full): the
     * appender's {@code commit()} then fails and stores nothing of its batch.
     */
    STORAGE_ERROR("storage_error"),
    /**
     * A native histogram broke a rule of the model ({@code io.tsdb.core.histogram.HistogramValidator}: negative
     * counts, spans that do not add up to the buckets, count below the bucket total, unknown schema...);
     * {@code lastError()} names the series and the rule.
     */
    INVALID_HISTOGRAM("invalid_histogram"),
    /** The appender does not store native histograms (the default of {@link Appender#appendHistogram}). */
    HISTOGRAMS_UNSUPPORTED("histograms_unsupported");

    /** Stable snake_case reason used in metrics labels and error responses. */
    public final String reason;

    AppendStatus(String reason) { this.reason = reason; }

    public boolean accepted() { return this == OK || this == DUPLICATE_SAME_VALUE; }
}
