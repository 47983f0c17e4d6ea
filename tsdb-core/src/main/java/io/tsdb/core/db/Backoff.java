package io.tsdb.core.db;

import org.slf4j.Logger;

import java.util.function.LongSupplier;

/**
 * Retry pacing of one maintenance step (head flush, retention, compaction, registry shrink) after storage errors:
 * after a failure the step is skipped until a delay has passed, the delay doubling from {@code minMs} to
 * {@code maxMs}; a success resets it. The first failure is logged at ERROR with its stack trace, later ones at
 * WARN with the message only, and the recovery at INFO, so a full disk does not flood the log. Used by the
 * maintenance thread only (not thread-safe).
 */
final class Backoff {
    private final String step;
    private final Logger log;
    private final LongSupplier nanoClock;
    private final long minMs, maxMs;
    private long delayMs;
    private long nextNanos;
    private int failures;
    private String lastError;

    Backoff(String step, Logger log, long minMs, long maxMs, LongSupplier nanoClock) {
        this.step = step;
        this.log = log;
        this.minMs = minMs;
        this.maxMs = maxMs;
        this.delayMs = minMs;
        this.nanoClock = nanoClock;
    }

    /** Whether the step may run now (no failure, or the delay since the last one has passed). */
    boolean due() {
        return failures == 0 || nanoClock.getAsLong() - nextNanos >= 0;
    }

    void succeeded() {
        if (failures > 0) log.info("{} succeeded after {} failed attempt(s)", step, failures);
        failures = 0;
        delayMs = minMs;
        lastError = null;
    }

    void failed(Exception e) {
        failures++;
        lastError = e.toString();
        nextNanos = nanoClock.getAsLong() + delayMs * 1_000_000;
        if (failures == 1) log.error("{} failed; retrying in {} ms (then backing off up to {} s)", step, delayMs, maxMs / 1000, e);
        else log.warn("{} failed again (attempt {}): {}; retrying in {} ms", step, failures, e.toString(), delayMs);
        delayMs = Math.min(maxMs, delayMs * 2);
    }

    /** Consecutive failures (0 after a success). */
    int failures() { return failures; }

    /** The last failure's description, or null. */
    String lastError() { return lastError; }
}
