package io.tsdb.server.ingest;

import io.tsdb.core.Labels;
import io.tsdb.core.SeriesRef;

import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Maps the raw bytes that identify a series in a request (e.g. an Influx line's measurement, tags and field
 * key, or a remote-write series' label fields) to an {@link Entry}: the validated {@link Labels} built from
 * them (the storage's own instance) and the storage's {@link SeriesRef reference} to the series, so repeated
 * series cost one hash and one byte comparison, allocate nothing, and are appended without a lookup of the
 * label set in the storage ({@link IngestBatch#append(Entry, long, double)}). A reference that went stale
 * (the series left the storage's head and came back) is only slower: the storage looks the series up and
 * hands out a new one, which {@link Entry#refresh} keeps.
 *
 * <p>Thread-safe, and shared by all the worker threads of an endpoint: one copy of each series' key bytes
 * however many threads parse requests (a cache per thread kept one copy per worker: at 10,000 series and 8
 * workers, 30 MB of keys). Lookups probe with the caller's {@link KeyBuffer} itself (its {@code equals}
 * compares bytes with a stored {@link Entry}), so a hit allocates nothing.
 *
 * <p>Bounded, and it follows the series that are active, not every series ever seen: entries live in two
 * generations. New entries go to the current one; when it holds its limit it becomes the previous one and the
 * older generation is dropped; a hit in the previous generation is put into the current one too. So a series
 * sent at least once per generation stays, and series that stopped coming (a redeploy's old pods, whose label
 * sets would otherwise stay reachable from here after the storage let them go) leave within two generations.
 * The generation limit follows the storage's active series ({@code activeSeries}, read at each turn: 5/4 of
 * them, at least {@link #MIN_GENERATION}, at most half of {@code maxEntries}), so memory is a function of what
 * is active: at most {@code 2 x} the limit entries. A generation also turns once it is {@link #MAX_AGE_MS} old,
 * and when the storage has dropped series from its head since the generation began ({@code removals}, the
 * storage's count of series removed by its head GC): so the label sets of series the storage let go leave here
 * within two head GCs however fast data time runs (a backfill or a benchmark pushes hours of data time in
 * seconds). Both are checked on a small fraction of lookups and on every insert.
 */
public final class LabelCache {
    /** Smallest generation limit (entries). */
    static final int MIN_GENERATION = 4096;
    /** A generation turns after this long even if it is not full. */
    static final long MAX_AGE_MS = 10 * 60_000;

    private final int maxEntries;
    private final java.util.function.LongSupplier activeSeries;
    private final java.util.function.LongSupplier clockMs;
    private final java.util.function.LongSupplier removals;
    private volatile Gen current, previous;
    private final LongAdder hits = new LongAdder(), misses = new LongAdder();

    /** One generation and its limit. */
    private static final class Gen {
        /** Each entry maps to itself (the map is probed with a {@link KeyBuffer}). */
        final ConcurrentHashMap<Object, Entry> map;
        final AtomicInteger size = new AtomicInteger();
        final int limit;
        final long bornMs;
        final long removalsAtBirth;

        Gen(int limit, long bornMs, long removalsAtBirth) {
            this.limit = limit;
            this.bornMs = bornMs;
            this.removalsAtBirth = removalsAtBirth;
            this.map = new ConcurrentHashMap<>(limit);   // sized once: growing it copied the table again and again
        }
    }

    /** A cache of at most {@code maxEntries} entries (two generations of half of it). */
    public LabelCache(int maxEntries) {
        this(maxEntries, () -> Long.MAX_VALUE, System::currentTimeMillis, () -> 0);
    }

    /**
     * @param activeSeries the storage's active series (e.g. {@code storage.stats().activeSeries()}), which sizes
     *                     each generation
     * @param removals     the storage's count of series dropped from its head so far (any counter that moves when
     *                     series leave the storage's memory)
     */
    public LabelCache(int maxEntries, java.util.function.LongSupplier activeSeries, java.util.function.LongSupplier clockMs,
                      java.util.function.LongSupplier removals) {
        this.maxEntries = Math.max(16, maxEntries);
        this.activeSeries = activeSeries;
        this.clockMs = clockMs;
        this.removals = removals;
        this.current = new Gen(Math.min(MIN_GENERATION, this.maxEntries / 2), clockMs.getAsLong(), removals());   // storage may not be open yet
    }

    private long removals() {
        try {
            return removals.getAsLong();
        } catch (RuntimeException e) {
            return 0;   // storage not open (yet)
        }
    }

    /** Whether generation {@code g} should give way: too old, or the storage dropped series since it began. */
    private boolean stale(Gen g) {
        return clockMs.getAsLong() - g.bornMs > MAX_AGE_MS || removals() != g.removalsAtBirth;
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

    /** The entry for the key's current bytes, or null. */
    public Entry get(KeyBuffer k) {
        k.prepareLookup();
        Gen cur = current;
        if (java.util.concurrent.ThreadLocalRandom.current().nextInt(1024) == 0 && stale(cur)) {
            cur = turn(cur);   // checked on one lookup in 1,024
        }
        Entry e = cur.map.get(k);
        if (e == null) {
            Gen prev = previous;
            if (prev != null && (e = prev.map.get(k)) != null) insert(cur, e);   // the same entry, in both
        }
        if (e == null) misses.increment(); else hits.increment();
        return e;
    }

    /** Adds or replaces the entry for the key's current bytes; returns it. */
    public Entry put(KeyBuffer k, Labels labels, SeriesRef ref) {
        Entry e = new Entry(Arrays.copyOf(k.bytes, k.len), k.prepareLookup(), labels, ref);
        insert(current, e);
        return e;
    }

    private void insert(Gen cur, Entry e) {
        if (cur.size.get() >= cur.limit || stale(cur)) cur = turn(cur);
        if (cur.map.put(e, e) == null) cur.size.incrementAndGet();
    }

    /** The current generation becomes the previous one (the older is dropped), unless another thread did it. */
    private synchronized Gen turn(Gen full) {
        if (current != full) return current;
        previous = full;
        current = new Gen(generationLimit(), clockMs.getAsLong(), removals());
        return current;
    }

    public synchronized void clear() {
        previous = null;
        current = new Gen(generationLimit(), clockMs.getAsLong(), removals());
    }

    /** Entries in both generations. */
    public int size() {
        Gen prev = previous;
        return current.size.get() + (prev == null ? 0 : prev.size.get());
    }

    public long hits() { return hits.sum(); }
    public long misses() { return misses.sum(); }

    /**
     * A stored key (a copy of the bytes and their hash, the same as {@link KeyBuffer}'s) with what the cache
     * knows of the series. The label set and the reference are replaced together by {@link #refresh}; a reader
     * may see the new reference with the old (equal) label set, which the storage accepts.
     */
    public static final class Entry {
        final byte[] bytes;
        final int hash;
        private Labels labels;
        /** Volatile: the series it points to is published by this write to the other worker threads. */
        private volatile SeriesRef ref;

        Entry(byte[] bytes, int hash, Labels labels, SeriesRef ref) {
            this.bytes = bytes;
            this.hash = hash;
            this.labels = labels;
            this.ref = ref;
        }

        /** The label set (the storage's instance when it holds the series). */
        public Labels labels() { return labels; }

        /** The storage's reference to the series, or null (read it before {@link #labels()}). */
        public SeriesRef ref() { return ref; }

        /** Keeps {@code fresh}, a reference the storage handed out for this series, and its label set. */
        public void refresh(SeriesRef fresh) {
            if (fresh == ref || fresh == null) return;
            labels = fresh.labels();
            ref = fresh;
        }

        @Override public int hashCode() { return hash; }

        @Override public boolean equals(Object o) {
            if (o instanceof Entry k) return k.hash == hash && Arrays.equals(k.bytes, bytes);
            if (o instanceof KeyBuffer b) return b.sameBytes(bytes, hash);
            return false;
        }
    }
}
