package io.tsdb.server.ingest;

import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Heap arrays for large decompressed request bodies, kept between requests (process-wide, a few of them). A
 * remote-write request of the harness decompresses to ~2 MB: from the body pool (4 MiB chunks) each such body
 * took a chunk of its own, which Netty's arena frees when it empties, so nearly every request allocated a new
 * 4 MiB array, a humongous object for G1 (930 MB of them over the harness's 576 requests, JFR allocation
 * samples) whose churn also started concurrent marking cycles. Bodies of at least {@link #MIN_BYTES} take an
 * array from here instead and give it back when the request is done; smaller ones stay in the pool, whose
 * chunks they share.
 *
 * <p>At most {@link #SLOTS} arrays of at most {@link #MAX_BYTES} each are kept, and {@link #clear()} drops them
 * all (the heap trimmer calls it before it asks for a collection, so an idle server keeps none of this memory).
 */
public final class BodyBuffers {
    /** Bodies smaller than this are left to the pooled allocator. */
    public static final int MIN_BYTES = 1 << 20;
    /** Arrays larger than this are not kept. */
    static final int MAX_BYTES = 8 << 20;
    /** Arrays kept (the default HTTP worker count of a small machine is about this many concurrent requests). */
    static final int SLOTS = 4;
    /** Array sizes are rounded up to this, so bodies of similar sizes fit each other's arrays. */
    private static final int ROUND = 256 << 10;

    private static final AtomicReferenceArray<byte[]> SPARE = new AtomicReferenceArray<>(SLOTS);

    private BodyBuffers() {}

    /** An array of at least {@code n} bytes: a kept one if one fits, else a new one (rounded up). */
    public static byte[] take(int n) {
        for (int i = 0; i < SLOTS; i++) {
            byte[] a = SPARE.get(i);
            if (a != null && a.length >= n && SPARE.compareAndSet(i, a, null)) return a;
        }
        long rounded = ((long) n + ROUND - 1) / ROUND * ROUND;
        return new byte[(int) Math.min(Integer.MAX_VALUE - 8, rounded)];
    }

    /** Gives back an array from {@link #take}; kept when there is room (a smaller kept array gives way), else dropped. */
    public static void give(byte[] a) {
        if (a == null || a.length > MAX_BYTES) return;
        for (int i = 0; i < SLOTS; i++) {
            if (SPARE.get(i) == null && SPARE.compareAndSet(i, null, a)) return;
        }
        for (int i = 0; i < SLOTS; i++) {
            byte[] x = SPARE.get(i);
            if (x != null && x.length < a.length && SPARE.compareAndSet(i, x, a)) return;
        }
    }

    /** Drops every kept array. */
    public static void clear() {
        for (int i = 0; i < SLOTS; i++) SPARE.set(i, null);
    }

    /** Bytes held in kept arrays. */
    public static long heldBytes() {
        long n = 0;
        for (int i = 0; i < SLOTS; i++) {
            byte[] a = SPARE.get(i);
            if (a != null) n += a.length;
        }
        return n;
    }
}
