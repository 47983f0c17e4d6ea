package io.tsdb.core.db;

import io.tsdb.core.head.Head;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The head generations seen by queriers. Each flush freezes the head's samples (they go to a new block) and
 * publishes a new {@link ReadView}; queriers of an older view keep reading the frozen samples (they may not
 * see the new block) until they close, and the frozen samples are freed when the last of them closes.
 *
 * <p>Invariants: at most one frozen generation exists (a flush waits, bounded, for the previous one to be
 * released before freezing again); {@link #current()} is the view new queriers acquire; a superseded view
 * reads {@code CURRENT + FROZEN} samples. Locking: this object's monitor, a leaf (nothing is called under it
 * but {@link Head#releaseFrozen()}, which takes series monitors only).
 */
final class HeadGenerations {
    private static final Logger log = LoggerFactory.getLogger(HeadGenerations.class);

    private final Head head;
    private volatile ReadView view;
    private boolean frozenPending;
    private long frozenGeneration;
    private int frozenUsers;
    /** Views superseded by the last freeze, released once its block is published (or the flush is abandoned). */
    private ReadView[] pending;

    HeadGenerations(Head head) {
        this.head = head;
        this.view = newView();
    }

    /** The view new queriers acquire (retry if {@link ReadView#tryAcquire()} fails: a flush replaced it). */
    ReadView current() { return view; }

    private ReadView newView() {
        ReadView[] h = new ReadView[1];
        h[0] = new ReadView(() -> {
            if (h[0].superseded) userGone(h[0].frozenGeneration);
        });
        return h[0];
    }

    /** A view reading frozen samples of generation {@code gen} was released for good. */
    private synchronized void userGone(long gen) {
        if (!frozenPending || gen != frozenGeneration) return;
        if (--frozenUsers > 0) return;
        head.releaseFrozen();
        frozenPending = false;
        notifyAll();
    }

    /** Whether no frozen generation waits for its queriers (the last flush's frozen samples were freed). */
    synchronized boolean frozenReleased() { return !frozenPending; }

    /** Waits for queriers of the previous frozen generation to close (bounded), then frees its samples. */
    synchronized void awaitFrozenReleased(long timeoutMs) throws InterruptedException {
        long end = System.currentTimeMillis() + timeoutMs;
        while (frozenPending) {
            long left = end - System.currentTimeMillis();
            if (left <= 0) {
                log.warn("a querier opened before the previous flush is still open after {} ms; freeing the frozen head samples anyway", timeoutMs);
                head.releaseFrozen();
                frozenPending = false;
                return;
            }
            wait(left);
        }
    }

    /**
     * Supersedes the current view before the head is frozen: old queriers and the view published now both read
     * frozen samples until {@link #published()}. The caller excludes commits and then calls {@link Head#freezeAll()}.
     */
    void supersede() {
        ReadView old = view;
        ReadView during = newView();
        synchronized (this) {
            frozenGeneration++;
            frozenPending = true;
            frozenUsers = 2;
            old.frozenGeneration = frozenGeneration;
            during.frozenGeneration = frozenGeneration;
        }
        old.superseded = true;     // before freezing: old queriers go on reading frozen samples
        during.superseded = true;
        view = during;
        pending = new ReadView[]{old, during};
    }

    /**
     * The block holding the frozen samples is published: new queriers read current samples only; the frozen
     * samples are freed when the last querier of the superseded views closes.
     */
    void published() {
        view = newView();
        ReadView[] pv = pending;
        pending = null;
        if (pv != null) for (ReadView v : pv) v.release();
    }
}
