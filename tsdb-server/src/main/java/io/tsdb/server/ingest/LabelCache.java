package io.tsdb.server.ingest;

import io.tsdb.core.Labels;

import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Maps the raw bytes that identify a series in a request (e.g. an Influx line's measurement, tags and field
 * key, or a remote-write series' label fields) to the validated {@link Labels} built from them, so repeated
 * series cost one hash and one byte comparison and allocate nothing. Bounded: when full it is cleared (a
 * cache, not a registry).
 *
 * <p>Thread-safe, and shared by all the worker threads of an endpoint: one copy of each series' key bytes
 * however many threads parse requests (a cache per thread kept one copy per worker: at 10,000 series and 8
 * workers, 30 MB of keys). Lookups probe with the caller's {@link KeyBuffer} itself (its {@code equals}
 * compares bytes with a stored {@link Key}), so a hit allocates nothing.
 */
public final class LabelCache {
    private final int maxEntries;
    private final ConcurrentHashMap<Object, Labels> map;
    private final AtomicInteger size = new AtomicInteger();
    private final LongAdder hits = new LongAdder(), misses = new LongAdder();

    public LabelCache(int maxEntries) {
        this.maxEntries = Math.max(8, maxEntries);
        this.map = new ConcurrentHashMap<>(Math.min(this.maxEntries, 1 << 12));
    }

    public Labels get(KeyBuffer k) {
        k.prepareLookup();
        Labels l = map.get(k);
        if (l == null) misses.increment(); else hits.increment();
        return l;
    }

    /** Adds or replaces the entry for the key's current bytes. */
    public void put(KeyBuffer k, Labels labels) {
        if (size.get() >= maxEntries) clear();
        Key key = new Key(Arrays.copyOf(k.bytes, k.len), k.prepareLookup());
        if (map.put(key, labels) == null) size.incrementAndGet();
    }

    public void clear() {
        map.clear();
        size.set(0);
    }

    public int size() { return size.get(); }
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
