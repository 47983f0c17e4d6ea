package io.tsdb.core.histogram;

/**
 * What a histogram sample says about counter resets (Prometheus semantics, model/histogram): the storage
 * keeps the hint, chunk headers carry it for a chunk's first sample, and PromQL functions use it before
 * falling back to {@link CounterResets#detect}. The code is what the histogram chunk and WAL formats store.
 */
public enum CounterResetHint {
    /** Nothing is known; a reset is detected by comparing with the previous sample. */
    UNKNOWN(0),
    /** A counter reset happened right before this sample. */
    COUNTER_RESET(1),
    /** Definitely no counter reset between the previous sample and this one. */
    NOT_COUNTER_RESET(2),
    /** A gauge histogram: counter resets do not apply. */
    GAUGE(3);

    private static final CounterResetHint[] BY_CODE = values();

    public final int code;

    CounterResetHint(int code) { this.code = code; }

    /** The hint stored as {@code code} (0..3). */
    public static CounterResetHint ofCode(int code) {
        if (code < 0 || code > 3) throw new IllegalArgumentException("counter reset hint code " + code + " is not 0..3");
        return BY_CODE[code];
    }
}
