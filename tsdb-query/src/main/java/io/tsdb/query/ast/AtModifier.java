package io.tsdb.query.ast;

/**
 * The {@code @} modifier. {@link Kind#TIMESTAMP} carries milliseconds since the epoch;
 * {@code start()} / {@code end()} resolve to the query's start/end at evaluation.
 */
public record AtModifier(Kind kind, long timestampMs) {
    public enum Kind { TIMESTAMP, START, END }

    public static AtModifier at(long ms) { return new AtModifier(Kind.TIMESTAMP, ms); }
    public static final AtModifier START = new AtModifier(Kind.START, 0);
    public static final AtModifier END = new AtModifier(Kind.END, 0);
}
