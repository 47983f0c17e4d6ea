package io.tsdb.query.engine;

import java.util.List;

/** A query result value, shaped as the Prometheus HTTP API's resultType. */
public sealed interface Value {
    record Scalar(long timestampMs, double value) implements Value {}
    record Str(long timestampMs, String value) implements Value {}
    /** {@code ordered} is true when the query's outer function/aggregation defines the order (sort, topk). */
    record Vector(List<Sample> samples, boolean ordered) implements Value {}
    record Matrix(List<Series> series) implements Value {}
}
