package io.tsdb.core.db;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A generation of the head as seen by queriers. A flush freezes the head's samples (they went to a new
 * block) and publishes a new view; queriers of an older view keep reading the frozen samples (they may
 * not see the new block) until they close. The frozen samples are freed when the last such querier closes.
 */
final class ReadView {
    private final AtomicInteger refs = new AtomicInteger(1);   // 1 = the database's own reference while current
    private final Runnable onRelease;
    /** Set when a flush froze the head after this view was published. */
    volatile boolean superseded;
    /** The frozen head generation this view reads once superseded. */
    volatile long frozenGeneration;

    ReadView(Runnable onRelease) { this.onRelease = onRelease; }

    boolean tryAcquire() {
        while (true) {
            int r = refs.get();
            if (r <= 0) return false;
            if (refs.compareAndSet(r, r + 1)) return true;
        }
    }

    void release() {
        if (refs.decrementAndGet() == 0) onRelease.run();
    }

    boolean released() { return refs.get() <= 0; }
}
