package io.tsdb.core.histogram;

/** An operation on two histograms that cannot be combined: one uses custom buckets (schema -53), the other an exponential schema. */
public final class IncompatibleHistogramsException extends IllegalArgumentException {
    public IncompatibleHistogramsException(String message) { super(message); }
}
