package io.tsdb.core.histogram;

/**
 * A histogram breaks a rule of the native histogram model. {@link #rule()} says which (a stable id for error
 * responses and metrics), the message says where and by how much (e.g. "positive side: bucket 3 has observation
 * count -2"). Ingest prefixes the series and answers 400.
 */
public final class InvalidHistogramException extends IllegalArgumentException {
    /** The rules {@link HistogramValidator} checks, with Prometheus's wording of each. */
    public enum Rule {
        INVALID_SCHEMA("invalid-schema", "histogram has an invalid schema, which must be between -4 and 8 for exponential buckets, or -53 for custom buckets"),
        SPAN_NEGATIVE_OFFSET("span-negative-offset", "histogram has a span whose offset is negative"),
        SPANS_BUCKETS_MISMATCH("spans-buckets-mismatch", "histogram spans specify different number of buckets than provided"),
        NEGATIVE_BUCKET_COUNT("negative-bucket-count", "histogram has a bucket whose observation count is negative"),
        NEGATIVE_COUNT("negative-count", "histogram's observation count is negative"),
        COUNT_NOT_BIG_ENOUGH("count-not-big-enough", "histogram's observation count should be at least the number of observations found in the buckets"),
        COUNT_MISMATCH("count-mismatch", "histogram's observation count should equal the number of observations found in the buckets (in absence of NaN)"),
        CUSTOM_BOUNDS_NOT_INCREASING("custom-bounds-not-increasing", "histogram custom bounds must be in strictly increasing order"),
        CUSTOM_BOUNDS_NAN("custom-bounds-nan", "histogram custom bounds must not be NaN"),
        CUSTOM_BOUNDS_INFINITE("custom-bounds-infinite", "histogram custom bounds must be finite"),
        CUSTOM_BOUNDS_TOO_FEW("custom-bounds-too-few", "histogram custom bounds are too few"),
        CUSTOM_BUCKETS_ZERO_COUNT("custom-buckets-zero-count", "custom buckets: must have zero count of 0"),
        CUSTOM_BUCKETS_ZERO_THRESHOLD("custom-buckets-zero-threshold", "custom buckets: must have zero threshold of 0"),
        CUSTOM_BUCKETS_NEGATIVE_SPANS("custom-buckets-negative-spans", "custom buckets: must not have negative spans"),
        CUSTOM_BUCKETS_NEGATIVE_BUCKETS("custom-buckets-negative-buckets", "custom buckets: must not have negative buckets"),
        EXPONENTIAL_WITH_CUSTOM_BOUNDS("exponential-with-custom-bounds", "histogram with exponential schema must not have custom bounds");

        public final String id;
        public final String description;

        Rule(String id, String description) { this.id = id; this.description = description; }
    }

    private final Rule rule;

    public InvalidHistogramException(Rule rule, String detail) {
        super(detail == null || detail.isEmpty() ? rule.description : detail + ": " + rule.description);
        this.rule = rule;
    }

    public Rule rule() { return rule; }
}
