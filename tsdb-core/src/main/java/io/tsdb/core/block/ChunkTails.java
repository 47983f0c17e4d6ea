package io.tsdb.core.block;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The decoded last samples of block chunks, shared by every block and querier: an instant query (the last sample at
 * or before t within the lookback, e.g. TSBS's lastpoint over every series) needs only the end of each series' last
 * chunk, but a columnar chunk decodes only as a whole (its columns are delta and prefix-sum coded), up to 4,096
 * samples for the few dozen within the lookback. The first read of a chunk whose needed samples lie in its tail keeps
 * that tail (with some slack before it); later reads whose range starts inside the kept tail copy it instead of
 * decoding the chunk.
 *
 * <p>Blocks are immutable, so an entry never goes stale: it is keyed by the block's instance number (never reused in
 * a process) and the chunk's reference, and a block's entries are dropped when its mappings are released. Entries are
 * float samples exactly as the chunk holds them (stale markers included, no deleted intervals applied: a cursor uses
 * them only for series without deleted intervals). Bounded by {@link #MAX_BYTES} (Caffeine, size-weighted).
 *
 * <p>One instance per {@link BlockStore}, shared by its blocks (a block opened on its own has one of its own):
 * no state is shared between stores, so two storages in one process (tenants' tools, tests, a future node
 * holding several) neither share nor evict each other's tails. Thread-safe.
 */
final class ChunkTails {
    /** Heap bytes the kept tails may take (about 70,000 series' 5 minutes at a regular 10 s interval, with slack). */
    static final long MAX_BYTES = 32L << 20;
    /** Longest tail kept, in samples: a larger range gains little against decoding the chunk. */
    static final int MAX_TAIL = 512;
    /** A tail is kept only when it spares decoding at least this many samples before it. */
    static final int MIN_SKIPPED = 32;

    private final AtomicLong blocks = new AtomicLong();

    /**
     * A block chunk's last {@code v.length} samples; their timestamps {@code t}, or null when they are regular
     * ({@code t0 + i * step}, as at a fixed scrape interval: then a sample takes 8 bytes, not 16).
     */
    record Tail(long t0, long step, long[] t, double[] v) {
        int size() { return v.length; }

        /** The first sample's timestamp. */
        long first() { return t0; }

        /** Copies the samples into ts/vs from index 0. */
        void copyTo(long[] ts, double[] vs) {
            int n = v.length;
            System.arraycopy(v, 0, vs, 0, n);
            if (t != null) {
                System.arraycopy(t, 0, ts, 0, n);
            } else {
                long x = t0;
                for (int i = 0; i < n; i++, x += step) ts[i] = x;
            }
        }
    }

    private record Key(long block, long ref) {}

    private final Cache<Key, Tail> cache;

    /** Tails of at most {@code maxBytes} (estimated heap bytes). */
    ChunkTails(long maxBytes) {
        cache = Caffeine.newBuilder()
            .maximumWeight(maxBytes)
            .weigher((Key k, Tail t) -> 112 + (t.t == null ? 8 : 16) * t.v.length)
            .executor(Runnable::run)
            .build();
    }

    /** A new block instance number. */
    long newBlock() { return blocks.incrementAndGet(); }

    /** The kept tail of a chunk, or null. */
    Tail get(long block, long ref) { return cache.getIfPresent(new Key(block, ref)); }

    /** Keeps the samples t/v[from, n) as the tail of the chunk. */
    void put(long block, long ref, long[] t, double[] v, int from, int n) {
        long step = n - from > 1 ? t[from + 1] - t[from] : 0;
        boolean regular = true;
        for (int i = from + 2; i < n && regular; i++) regular = t[i] - t[i - 1] == step;
        cache.put(new Key(block, ref), new Tail(t[from], step, regular ? null : java.util.Arrays.copyOfRange(t, from, n),
                java.util.Arrays.copyOfRange(v, from, n)));
    }

    /** Drops every tail of a block (its mappings are released). */
    void dropBlock(long block) {
        cache.asMap().keySet().removeIf(k -> k.block == block);
    }

    /** Tails kept (for tests). */
    long size() {
        cache.cleanUp();
        return cache.estimatedSize();
    }

    /** Drops every tail (for tests). */
    void clear() { cache.invalidateAll(); }
}
