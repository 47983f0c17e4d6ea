package io.tsdb.query.ast;

public enum AggregateOp {
    SUM, AVG, MIN, MAX, COUNT, GROUP, STDDEV, STDVAR, TOPK, BOTTOMK, QUANTILE, COUNT_VALUES, LIMITK, LIMIT_RATIO;

    public String keyword() { return name().toLowerCase(java.util.Locale.ROOT); }

    /** Whether the aggregation takes a parameter before the vector: topk(k, v). */
    public boolean hasParam() {
        return this == TOPK || this == BOTTOMK || this == QUANTILE || this == COUNT_VALUES || this == LIMITK || this == LIMIT_RATIO;
    }
}
