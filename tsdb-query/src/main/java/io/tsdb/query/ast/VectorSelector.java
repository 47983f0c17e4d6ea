package io.tsdb.query.ast;

import io.tsdb.core.Matcher;

import java.util.List;

/**
 * An instant vector selector. {@code name} is the metric name written before the braces/angle
 * brackets or null; {@code matchers} include a {@code __name__} equality matcher when a name was
 * written. {@code offsetMs} is 0 when absent (may be negative). {@code at} is null when absent.
 */
public record VectorSelector(String name, List<Matcher> matchers, long offsetMs, AtModifier at, int pos)
        implements Expr {
    @Override public ValueType type() { return ValueType.VECTOR; }
}
