package io.tsdb.server.ingest;

import io.tsdb.core.Labels;

import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Maps the raw bytes that identify a series in a request (e.g. an Influx line's measurement, tags and field
 * key, or a remote-write series' label fields) to the validated {@link Labels} built from them, so repeated
 * series cost one hash and one byte comparison and allocate nothing.
 *
 * <p>Thread-safe, and shared by all the worker threads of an endpoint: one copy of each series' key bytes
 * however many threads parse requests (a cache per thread kept one copy per worker: at 10,000 series and 8
 * workers, 30 MB of keys). Lookups probe with the caller's {@link KeyBuffer} itself (its {@code equals}
 * compares bytes with a stored {@link Key}), so a hit allocates nothing.
 *
 * <p>Bounded, and it follows the series that are active, not every series ever seen: entries live in two
 * generations. New entries go to the current one; when it holds its limit it becomes the previous one and the
 * older generation is dropped; a hit in the previous generation is copied into the current one. So a series
 * sent at least once per generation stays, and series that stopped coming (a redeploy's old pods, whose label
 * sets would otherwise stay reachable from here after the storage let them go) leave within two generations.
 * The generation limit follows the storage's active series ({@code activeSeries}, read at each turn: 5/4 of
 * them, at least {@link #MIN_GENERATION}, at most half of {@code maxEntries}), so memory is a function of what
 * is active: at most {@code 2 x} the limit entries. A generation also turns once it is {@link #MAX_AGE_MS} old
 * (checked on a small fraction of lookups), so a cache whose traffic settled lets go of what went away too.
 */
public final class LabelCache {
    /** Smallest generation limit (entries). */
    static final int MIN_GENERATION = 4096;
    /** A generation turns after this long even if it is not full. */
    static final long MAX_AGE_MS = 10 * 60_000;

    private final int maxEntries;
    private final java.util.function.LongSupplier activeSeries;
    private final java.util.function.LongSupplier clockMs;
    private volatile Gen current, previous;
    private final LongAdder hits = new LongAdder(), misses = new LongAdder();

    /** One generation and its limit. */
    private static final class Gen {
        final ConcurrentHashMap<Object, Labels> map;
        final AtomicInteger size = new AtomicInteger();
        final int limit;
        final long bornMs;

        Gen(int limit, long bornMs) {
            this.limit = limit;
            this.bornMs = bornMs;
            this.map = new ConcurrentHashMap<>(Math.min(limit, 1 << 12));
        }
    }

    /** A cache of at most {@code maxEntries} entries (two generations of half of it). */
    public LabelCache(int maxEntries) {
        this(maxEntries, () -> Long.MAX_VALUE, System::currentTimeMillis);
    }

    /**
     * @param activeSeries the storage's active series (e.g. {@code storage.stats().activeSeries()}), which sizes
     *                     each generation
     */
    public LabelCache(int maxEntries, java.util.function.LongSupplier activeSeries, java.util.function.LongSupplier clockMs) {
        this.maxEntries = Math.max(16, maxEntries);
        this.activeSeries = activeSeries;
        this.clockMs = clockMs;
        this.current = new Gen(Math.min(MIN_GENERATION, this.maxEntries / 2), clockMs.getAsLong());   // storage may not be open yet
    }

    private int generationLimit() {
        long active;
        try {
            active = activeSeries.getAsLong();
        } catch (RuntimeException e) {
            active = 0;   // storage not open (yet)
        }
        long want = Math.max(MIN_GENERATION, active / 4 * 5);
        return (int) Math.max(8, Math.min(maxEntries / 2, want));
    }

    public Labels get(KeyBuffer k) {
        k.prepareLookup();
        Gen cur = current;
        if (java.util.concurrent.ThreadLocalRandom.current().nextInt(1024) == 0 && clockMs.getAsLong() - cur.bornMs > MAX_AGE_MS) {
            cur = turn(cur);   // checked on one lookup in 1,024
        }
        Labels l = cur.map.get(k);
        if (l == null) {
            Gen prev = previous;
            if (prev != null && (l = prev.map.get(k)) != null) insert(cur, new Key(Arrays.copyOf(k.bytes, k.len), k.prepareLookup()), l);
        }
        if (l == null) misses.increment(); else hits.increment();
        return l;
    }

    /** Adds or replaces the entry for the key's current bytes. */
    public void put(KeyBuffer k, Labels labels) {
        insert(current, new Key(Arrays.copyOf(k.bytes, k.len), k.prepareLookup()), labels);
    }

    private void insert(Gen cur, Key key, Labels labels) {
        if (cur.size.get() >= cur.limit || clockMs.getAsLong() - cur.bornMs > MAX_AGE_MS) cur = turn(cur);
        if (cur.map.put(key, labels) == null) cur.size.incrementAndGet();
    }

    /** The current generation becomes the previous one (the older is dropped), unless another thread did it. */
    private synchronized Gen turn(Gen full) {
        if (current != full) return current;
        previous = full;
        current = new Gen(generationLimit(), clockMs.getAsLong());
        return current;
    }

    public synchronized void clear() {
        previous = null;
        current = new Gen(generationLimit(), clockMs.getAsLong());
    }

    /** Entries in both generations. */
    public int size() {
        Gen prev = previous;
        return current.size.get() + (prev == null ? 0 : prev.size.get());
    }

    public long hits() { return hits.sum(); }
    public long misses() { return misses.sum(); }

    /** A stored key: a copy of the bytes and their hash (the same as {@link KeyBuffer}'s). */
    static final class Key {
        final byte[] bytes;
        final int hash;

        Key(byte[] bytes, int hash) {
            this.bytes = bytes;
            this.hash = hash;
        }

        @Override public int hashCode() { return hash; }

        @Override public boolean equals(Object o) {
            if (o instanceof Key k) return k.hash == hash && Arrays.equals(k.bytes, bytes);
            if (o instanceof KeyBuffer b) return b.sameBytes(bytes, hash);
            return false;
        }
    }
}
