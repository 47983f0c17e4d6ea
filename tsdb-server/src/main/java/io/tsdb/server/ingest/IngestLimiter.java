package io.tsdb.server.ingest;

import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounded in-flight ingest: at most {@code maxRequests} requests decode/append at once, and the bytes they
 * hold (received plus decompressed bodies) stay within a memory budget. Both are non-blocking: when full,
 * the handler answers 429 with Retry-After instead of queueing without bound.
 */
public final class IngestLimiter {
    private final Semaphore slots;
    private final int maxRequests;
    private final long budgetBytes;
    private final AtomicLong usedBytes = new AtomicLong();

    public IngestLimiter(int maxRequests, long budgetBytes) {
        this.maxRequests = Math.max(1, maxRequests);
        this.slots = new Semaphore(this.maxRequests);
        this.budgetBytes = Math.max(1, budgetBytes);
    }

    public boolean tryAcquireSlot() { return slots.tryAcquire(); }
    public void releaseSlot() { slots.release(); }
    public int maxRequests() { return maxRequests; }
    public int inFlight() { return maxRequests - slots.availablePermits(); }
    public long budgetBytes() { return budgetBytes; }
    public long usedBytes() { return usedBytes.get(); }

    /** Reserves bytes of the memory budget; false (nothing reserved) when it would be exceeded. */
    public boolean tryReserve(long bytes) {
        if (bytes <= 0) return true;
        while (true) {
            long cur = usedBytes.get();
            long next = cur + bytes;
            if (next > budgetBytes && cur > 0) return false; // a single request may always use the whole budget
            if (usedBytes.compareAndSet(cur, next)) return true;
        }
    }

    public void release(long bytes) { if (bytes > 0) usedBytes.addAndGet(-bytes); }
}
