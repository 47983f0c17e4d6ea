package io.tsdb.server.launcher;

/**
 * Decides when the heap has stayed far larger than what it holds, for {@link HeapTrimmer}. G1 grows the heap (a
 * larger young generation, old regions a compaction's garbage filled) when its collections take more than the
 * time the launcher allows them, and gives it back only at a full collection or at the end of a marking cycle.
 * Under steady ingest neither may come for a long time, so the committed heap, and the RSS, stayed at the size of
 * the last burst: measured under series churn, eden grew from 10-40 MB to 218 MB during a head cut and kept that
 * size with 75 MB live, 100 MB more RSS for as long as the run went on.
 *
 * <p>The heap's used bytes are sampled every few seconds; their least value over {@link #WINDOW_MS} is what the
 * last collections left (every young collection comes down to it). When the committed heap stayed more than
 * {@link #MIN_SLACK_BYTES} and more than a quarter above that least value for a whole window, the heap is
 * oversized for what it holds: a trim is due (at most one per {@link #MIN_INTERVAL_MS}). Not thread-safe: one
 * caller, the trimmer's thread.
 */
final class HeapSlack {
    /** How long the slack must last. */
    static final long WINDOW_MS = 60_000;
    /** Least time between two trims asked for because of slack. */
    static final long MIN_INTERVAL_MS = 120_000;
    /** Slack below this is never a reason (room for the young generation of a busy server). */
    static final long MIN_SLACK_BYTES = 64L << 20;

    private long windowStart = Long.MIN_VALUE;
    private long leastUsed = Long.MAX_VALUE;
    private long lastTrim = Long.MIN_VALUE;

    /**
     * One sample of the heap at {@code now} (ms); true when a trim is due. The caller trims then, and the window
     * starts again.
     */
    boolean observe(long now, long used, long committed) {
        if (windowStart == Long.MIN_VALUE) windowStart = now;
        leastUsed = Math.min(leastUsed, used);
        long slack = committed - leastUsed;
        if (slack <= MIN_SLACK_BYTES || slack <= leastUsed / 4) {
            restart(now, used);   // not oversized now: the window starts again
            return false;
        }
        if (now - windowStart < WINDOW_MS) return false;
        if (lastTrim != Long.MIN_VALUE && now - lastTrim < MIN_INTERVAL_MS) return false;
        lastTrim = now;
        restart(now, Long.MAX_VALUE);
        return true;
    }

    /** Another trim happened at {@code now} (the storage's events): the window starts again. */
    void trimmed(long now) { restart(now, Long.MAX_VALUE); }

    private void restart(long now, long used) {
        windowStart = now;
        leastUsed = used;
    }
}
