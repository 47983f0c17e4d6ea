package io.tsdb.server.ingest;

import io.tsdb.core.Labels;

import java.util.Arrays;

/**
 * Maps the raw bytes that identify a series in a request (e.g. an Influx line's measurement, tags and field
 * key, or a remote-write series' label fields) to the validated {@link Labels} built from them, so repeated
 * series cost one hash and one byte comparison and allocate nothing. Open addressing, bounded: when full it
 * is cleared (a cache, not a registry). One per parser instance, not thread-safe.
 */
public final class LabelCache {
    private final int capacity;
    private final int maxEntries;
    private final int[] hashes;
    private final byte[][] keys;
    private final Labels[] values;
    private int size;
    private long hits, misses;

    public LabelCache(int maxEntries) {
        int cap = Integer.highestOneBit(Math.max(16, maxEntries) * 2 - 1) << 1;
        this.capacity = cap;
        this.maxEntries = Math.max(8, maxEntries);
        this.hashes = new int[cap];
        this.keys = new byte[cap][];
        this.values = new Labels[cap];
    }

    public Labels get(KeyBuffer k) {
        int h = k.hash();
        int mask = capacity - 1;
        for (int i = h & mask; ; i = (i + 1) & mask) {
            byte[] key = keys[i];
            if (key == null) { misses++; return null; }
            if (hashes[i] == h && key.length == k.len && Arrays.equals(key, 0, key.length, k.bytes, 0, k.len)) {
                hits++;
                return values[i];
            }
        }
    }

    public void put(KeyBuffer k, Labels labels) {
        if (size >= maxEntries) clear();
        int h = k.hash();
        int mask = capacity - 1;
        int i = h & mask;
        while (keys[i] != null) {
            if (hashes[i] == h && Arrays.equals(keys[i], 0, keys[i].length, k.bytes, 0, k.len)) { values[i] = labels; return; }
            i = (i + 1) & mask;
        }
        hashes[i] = h;
        keys[i] = Arrays.copyOf(k.bytes, k.len);
        values[i] = labels;
        size++;
    }

    public void clear() {
        Arrays.fill(keys, null);
        Arrays.fill(values, null);
        size = 0;
    }

    public int size() { return size; }
    public long hits() { return hits; }
    public long misses() { return misses; }
}
