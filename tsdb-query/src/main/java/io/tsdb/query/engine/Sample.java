package io.tsdb.query.engine;

import io.tsdb.core.Labels;

/** One element of an instant vector. */
public record Sample(Labels labels, long timestampMs, double value) {
}
