package io.tsdb.query.engine;

import io.tsdb.core.Labels;

/** One series of a range result (matrix): {@code count} points in parallel arrays, ascending time. */
public record Series(Labels labels, long[] timestamps, double[] values, int count) {
}
