package io.tsdb.server.ingest;

import io.tsdb.core.Labels;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/** The label cache shared by an endpoint's worker threads: exact byte keys, no cross-talk, bounded. */
class LabelCacheTest {
    private static KeyBuffer key(String s) {
        return new KeyBuffer().reset().put(s);
    }

    @Test
    void hitsReturnTheStoredInstanceOnlyForTheSameBytes() {
        LabelCache c = new LabelCache(100);
        Labels a = Labels.of("__name__", "a"), b = Labels.of("__name__", "b");
        assertNull(c.get(key("series-a")));
        c.put(key("series-a"), a, null);
        c.put(key("series-b"), b, null);
        assertSame(a, c.get(key("series-a")).labels());
        assertSame(b, c.get(key("series-b")).labels());
        assertNull(c.get(key("series-")), "a prefix is another key");
        assertNull(c.get(key("series-aa")));
        Labels a2 = Labels.of("__name__", "a");
        c.put(key("series-a"), a2, null);
        assertSame(a2, c.get(key("series-a")).labels(), "put replaces");
        assertEquals(2, c.size());
        assertEquals(3, c.hits());
    }

    /**
     * Active series sent in the same order every round (a remote-write sender's shards): once a generation may hold them
     * all, every round after the first hits; with generations smaller than the active set, a round evicts what the
     * next one needs and every lookup misses (what the ingest path's old fixed ceiling did past 131,072 series).
     */
    @Test
    void aGenerationHoldsTheActiveSetSoRepeatedRoundsHit() {
        int active = 20_000;
        for (int maxEntries : new int[]{2 * (active / 4 * 5), active}) {
            LabelCache c = new LabelCache(maxEntries, () -> active, System::currentTimeMillis, () -> 0);
            long missesBefore = 0;
            for (int round = 0; round < 4; round++) {
                missesBefore = c.misses();
                for (int i = 0; i < active; i++) {
                    KeyBuffer k = key("series-" + i);
                    if (c.get(k) == null) c.put(key("series-" + i), Labels.EMPTY, null);
                }
            }
            long lastRoundMisses = c.misses() - missesBefore;
            if (maxEntries > active) assertEquals(0, lastRoundMisses, "generations of 5/4 of the active series");
            else assertTrue(lastRoundMisses > active * 9 / 10, "generations of half the active series thrash: " + lastRoundMisses);
        }
    }

    /** A reference of a storage: here only its label set matters. */
    private record Ref(Labels labels) implements io.tsdb.core.SeriesRef {}

    @Test
    void anEntryKeepsTheReferenceTheStorageHandedOutLast() {
        LabelCache c = new LabelCache(16);   // generations of 8
        Labels a = Labels.of("__name__", "a");
        Ref first = new Ref(a);
        LabelCache.Entry e = c.put(key("series-a"), a, first);
        assertSame(e, c.get(key("series-a")));
        assertSame(first, e.ref());
        Ref second = new Ref(Labels.of("__name__", "a"));   // the series came back: another reference, another instance
        e.refresh(second);
        assertSame(second, e.ref());
        assertSame(second.labels(), e.labels(), "the label set follows the reference");
        e.refresh(null);
        assertSame(second, e.ref(), "no reference (the last append found no series) keeps the one there");
        for (int i = 0; i < 8; i++) c.put(key("k" + i), Labels.EMPTY, null);   // series-a is in the previous generation now
        assertSame(e, c.get(key("series-a")), "a hit in the previous generation is the same entry");
        Ref third = new Ref(a);
        e.refresh(third);
        for (int i = 8; i < 16; i++) c.put(key("k" + i), Labels.EMPTY, null);   // turns again
        assertSame(third, c.get(key("series-a")).ref(), "one entry in both generations: the refresh is not lost");
    }

    @Test
    void keepsSeriesSentEveryGenerationAndForgetsTheOthers() {
        LabelCache c = new LabelCache(16);   // generations of 8
        for (int i = 0; i < 8; i++) c.put(key("k" + i), Labels.of("__name__", "m" + i), null);
        assertEquals(8, c.size());
        c.put(key("k8"), Labels.of("__name__", "m8"), null);          // turns: k0..k7 are the previous generation
        assertEquals(9, c.size());
        assertNotNull(c.get(key("k0")), "a hit in the previous generation...");
        for (int i = 9; i < 16; i++) c.put(key("k" + i), Labels.of("__name__", "m" + i), null);
        c.put(key("k16"), Labels.of("__name__", "m16"), null);        // turns again: k1..k7 are dropped
        assertNotNull(c.get(key("k0")), "...is copied into the current one and survives the next turn");
        assertNull(c.get(key("k1")), "a series not sent for a whole generation is forgotten");
        assertTrue(c.size() <= 16, "size " + c.size());
    }

    @Test
    void generationsFollowTheActiveSeries() {
        long[] active = {0}, now = {0};
        LabelCache c = new LabelCache(1 << 20, () -> active[0], () -> now[0], () -> 0);
        active[0] = 100_000;   // the storage has 100k active series: a generation holds 125k entries
        for (int i = 0; i < 300_000; i++) c.put(key("s" + i), Labels.EMPTY, null);
        assertTrue(c.size() > 125_000 && c.size() <= 250_000, "size " + c.size());
        active[0] = 1000;      // most series went away; 2,000 keep coming
        // Two turns by age are needed (each after MAX_AGE_MS, 10 minutes), and a lookup checks the age only once in
        // 1,024 (at random): 2,000 lookups a minute miss the check in a given minute with probability 0.14. 25
        // minutes left the second turn 3 minutes of slack and failed about once in a hundred runs; 40 leave 18.
        for (int minute = 0; minute < 40; minute++) {
            now[0] = minute * 60_000L;
            for (int i = 0; i < 2000; i++) {
                KeyBuffer k = key("t" + i);
                if (c.get(k) == null) c.put(k, Labels.EMPTY, null);
            }
        }
        // generations turned by age and were sized for the few active series: the cache let go of the rest
        assertTrue(c.size() <= 2 * LabelCache.MIN_GENERATION, "size " + c.size());
        for (int i = 0; i < 2000; i++) assertNotNull(c.get(key("t" + i)), "t" + i);
    }

    @Test
    void headGcOfTheStorageTurnsTheGenerations() {
        // data time runs faster than the clock (a backfill): the clock never ages a generation, but every head
        // GC of the storage turns one, so the label sets of series it dropped leave within two head GCs
        long[] removed = {0};
        LabelCache c = new LabelCache(1 << 20, () -> 50_000, () -> 0, () -> removed[0]);
        for (int i = 0; i < 10_000; i++) c.put(key("old" + i), Labels.EMPTY, null);
        for (int gc = 1; gc <= 2; gc++) {
            removed[0] += 10_000;                        // the storage dropped the old pods from its head
            c.put(key("pod-of-deploy-" + gc), Labels.EMPTY, null);   // an insert checks for a turn (a lookup sometimes)
            for (int i = 0; i < 10_000; i++) {
                KeyBuffer k = key("new" + i);            // the new pods keep coming
                if (c.get(k) == null) c.put(k, Labels.EMPTY, null);
            }
        }
        assertNull(c.get(key("old0")), "a series gone for two head GCs is forgotten");
        assertTrue(c.size() <= 2 * 10_001, "only the new pods are held: " + c.size());
        for (int i = 0; i < 10_000; i++) assertNotNull(c.get(key("new" + i)), "new" + i);
    }

    @Test
    void threadsSharingTheCacheSeeOnlyTheirKeysLabels() throws Exception {
        LabelCache c = new LabelCache(1 << 16);
        int threads = 4, keys = 2000;
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread th = new Thread(() -> {
                try {
                    KeyBuffer k = new KeyBuffer();
                    for (int round = 0; round < 5; round++) {
                        for (int i = 0; i < keys; i++) {
                            k.reset().put("series-" + i);
                            LabelCache.Entry e = c.get(k);
                            Labels l = e == null ? null : e.labels();
                            if (l == null) {
                                l = Labels.of("__name__", "m", "i", Integer.toString(i));
                                c.put(k, l, null);
                            }
                            assertEquals(Integer.toString(i), l.get("i"));
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            ts.add(th);
            th.start();
        }
        for (Thread th : ts) th.join();
        if (failure.get() != null) throw new AssertionError(failure.get());
        assertEquals(keys, c.size());
    }
}
