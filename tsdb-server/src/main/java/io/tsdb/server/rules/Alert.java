package io.tsdb.server.rules;

import io.tsdb.core.Labels;

import java.util.SortedMap;

/**
 * One alert of an alerting rule (one label set of its result). Times are epoch milliseconds; {@link #NONE} is
 * Go's zero time ("never"), distinct from a real timestamp 0 (the promtool unit tests evaluate from the epoch).
 * Mutated only by the rule's evaluation, under the rule's lock; {@link #copy()} hands snapshots to the
 * notifier and the API.
 */
public final class Alert {
    public static final long NONE = Long.MIN_VALUE;

    public enum State {
        INACTIVE("inactive"), PENDING("pending"), FIRING("firing");

        public final String api;

        State(String api) { this.api = api; }
    }

    Labels labels;
    SortedMap<String, String> annotations;
    State state;
    double value;
    long activeAt;
    long firedAt = NONE;
    long resolvedAt = NONE;
    long lastSentAt = NONE;
    long validUntil = NONE;
    long keepFiringSince = NONE;

    Alert(Labels labels, SortedMap<String, String> annotations, State state, double value, long activeAt) {
        this.labels = labels;
        this.annotations = annotations;
        this.state = state;
        this.value = value;
        this.activeAt = activeAt;
    }

    public Labels labels() { return labels; }
    public SortedMap<String, String> annotations() { return annotations; }
    public State state() { return state; }
    public double value() { return value; }
    public long activeAt() { return activeAt; }
    public long firedAt() { return firedAt; }
    public long resolvedAt() { return resolvedAt; }
    public long lastSentAt() { return lastSentAt; }
    public long validUntil() { return validUntil; }
    public long keepFiringSince() { return keepFiringSince; }

    Alert copy() {
        Alert a = new Alert(labels, annotations, state, value, activeAt);
        a.firedAt = firedAt;
        a.resolvedAt = resolvedAt;
        a.lastSentAt = lastSentAt;
        a.validUntil = validUntil;
        a.keepFiringSince = keepFiringSince;
        return a;
    }

    /** Prometheus's needsSending: never while pending; at once after resolving; else every resend delay. */
    boolean needsSending(long ts, long resendDelayMs) {
        if (state == State.PENDING) return false;
        if (resolvedAt != NONE && (lastSentAt == NONE || resolvedAt > lastSentAt)) return true;
        return lastSentAt == NONE || lastSentAt + resendDelayMs < ts;
    }
}
