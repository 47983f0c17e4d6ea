package io.tsdb.core.db;

import io.tsdb.core.AppendStatus;
import io.tsdb.core.Appender;
import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.RetentionRule;
import io.tsdb.core.wal.FsyncPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiPredicate;
import java.util.stream.Stream;

import static io.tsdb.core.db.TsdbTestSupport.S;
import static io.tsdb.core.db.TsdbTestSupport.read;
import static org.junit.jupiter.api.Assertions.*;

/** delete_series, clean_tombstones, snapshots and retention rules on the real storage (head, WAL, blocks). */
class AdminOpsTest {
    static final long NOW = 1_700_000_000_000L;
    static final long MIN = 60_000;
    static final Matcher ANY = Matcher.re("__name__", ".+");
    @TempDir Path dir;
    final AtomicLong clock = new AtomicLong(NOW);

    Tsdb open(Path d) throws Exception {
        return open(d, List.of());
    }

    Tsdb open(Path d, List<RetentionRule> rules) throws Exception {
        return Tsdb.open(TsdbOptions.builder(d).walFsync(FsyncPolicy.NEVER).retention(Duration.ofDays(10))
                .retentionRules(rules).build(), clock::get);
    }

    /** What the storage should hold, series by series. */
    final Map<Labels, TreeMap<Long, Double>> model = new LinkedHashMap<>();

    void write(Tsdb db, Labels l, long from, int n, long step) throws Exception {
        Appender a = db.appender();
        for (int i = 0; i < n; i++) {
            long t = from + i * step;
            assertEquals(AppendStatus.OK, a.append(l, t, i), () -> a.lastError());
            model.computeIfAbsent(l, k -> new TreeMap<>()).put(t, (double) i);
        }
        a.commit();
    }

    void forget(BiPredicate<Labels, Long> deleted) {
        for (var e : model.entrySet()) e.getValue().keySet().removeIf(t -> deleted.test(e.getKey(), t));
        model.values().removeIf(Map::isEmpty);
    }

    Map<Labels, List<S>> expected() {
        Map<Labels, List<S>> out = new TreeMap<>();
        model.forEach((l, m) -> {
            List<S> s = new ArrayList<>();
            m.forEach((t, v) -> s.add(new S(t, v)));
            out.put(l, s);
        });
        return out;
    }

    void assertHolds(Tsdb db) {
        assertEquals(expected(), new TreeMap<>(read(db, Long.MIN_VALUE, Long.MAX_VALUE, ANY)));
        // narrower ranges and selectors agree with the full read
        long a = NOW - 50 * MIN, b = NOW - 20 * MIN;
        Map<Labels, List<S>> part = new TreeMap<>();
        expected().forEach((l, s) -> {
            List<S> in = s.stream().filter(x -> x.t() >= a && x.t() <= b).toList();
            if (!in.isEmpty()) part.put(l, in);
        });
        assertEquals(part, new TreeMap<>(read(db, a, b, ANY)));
        try (Querier q = db.querier(a, b)) {
            assertEquals(part.size(), q.seriesCount(List.of(ANY)), "seriesCount in a range");
        }
    }

    static final Labels A1 = Labels.of("__name__", "m", "env", "dev", "i", "1");
    static final Labels A2 = Labels.of("__name__", "m", "env", "dev", "i", "2");
    static final Labels B1 = Labels.of("__name__", "m", "env", "prod", "i", "1");
    static final Labels C1 = Labels.of("__name__", "other", "env", "dev", "i", "1");

    /** Data in a block (older) and in the head (newer), for every series. */
    void fill(Tsdb db) throws Exception {
        for (Labels l : List.of(A1, A2, B1, C1)) write(db, l, NOW - 90 * MIN, 40, MIN);
        db.flush();
        for (Labels l : List.of(A1, A2, B1, C1)) write(db, l, NOW - 50 * MIN, 45, MIN);
    }

    @Test void deleteSeriesHidesHeadAndBlockDataAtOnceAndDurably() throws Exception {
        long from = NOW - 60 * MIN, to = NOW - 30 * MIN;   // spans the block and the head
        try (Tsdb db = open(dir)) {
            fill(db);
            Querier before = db.querier(Long.MIN_VALUE, Long.MAX_VALUE);
            long n = db.deleteSeries(List.of(List.of(Matcher.eq("env", "dev"), Matcher.eq("__name__", "m")),
                    List.of(Matcher.eq("__name__", "other"))), from, to);
            assertEquals(6, n, "3 series, each in the block and in the head");
            forget((l, t) -> "dev".equals(l.get("env")) && t >= from && t <= to);
            assertHolds(db);
            before.close();
            // deleting everything of one series: gone from the series list too
            db.deleteSeries(List.of(List.of(Matcher.eq("i", "2"), Matcher.eq("env", "dev"))), Long.MIN_VALUE, Long.MAX_VALUE);
            forget((l, t) -> l.equals(A2));
            assertHolds(db);
            // data written after the deletion into the deleted range (out of order) is kept
            Appender a = db.appender();
            assertEquals(AppendStatus.OK, a.append(A1, to - 30_000, 77));
            a.commit();
            model.get(A1).put(to - 30_000, 77.0);
            assertHolds(db);
            db.crashForTesting();
        }
        // kill -9 equivalent: the WAL is replayed (samples, then the TOMBSTONES record, then the later sample)
        try (Tsdb db = open(dir)) {
            assertTrue(db.walReplaySamples() > 0);
            assertHolds(db);
            db.flush();   // the head goes to a block without the deleted samples
            assertHolds(db);
        }
        try (Tsdb db = open(dir)) {
            assertEquals(0, db.walReplaySamples());
            assertHolds(db);
            assertEquals(1, db.cleanTombstones(), "the first block has tombstones (the head was flushed without its deleted samples)");
            assertHolds(db);
            assertEquals(0, db.cleanTombstones());
        }
        try (Tsdb db = open(dir)) {
            assertHolds(db);
        }
    }

    /**
     * Deletions while commits keep writing to the same series (in order and out of order, inside the deleted
     * ranges): whatever interleaving happens live, a replay of the log after a crash gives the same data.
     */
    @Test void deletionsConcurrentWithWritesReplayToTheSameState() throws Exception {
        Map<Labels, List<S>> live;
        try (Tsdb db = open(dir)) {
            List<Labels> series = new ArrayList<>();
            for (int i = 0; i < 40; i++) series.add(Labels.of("__name__", "c", "i", Integer.toString(i), "g", Integer.toString(i % 4)));
            Appender init = db.appender();
            for (int k = 0; k < 60; k++) for (Labels l : series) init.append(l, NOW - 120 * MIN + k * MIN, k);
            init.commit();
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.atomic.AtomicReference<Throwable> failed = new java.util.concurrent.atomic.AtomicReference<>();
            Thread writer = new Thread(() -> {
                java.util.Random r = new java.util.Random(7);
                long t = NOW - 60 * MIN;
                try {
                    while (!stop.get()) {
                        Appender a = db.appender();
                        for (Labels l : series) {
                            a.append(l, t, r.nextInt(100));
                            a.append(l, NOW - 120 * MIN + r.nextInt(60) * MIN + 1 + r.nextInt(999), -1);   // out of order
                        }
                        a.commit();
                        t += 1000;
                    }
                } catch (Throwable e) {
                    failed.set(e);
                }
            });
            writer.start();
            java.util.Random r = new java.util.Random(3);
            for (int d = 0; d < 30; d++) {
                long from = NOW - 120 * MIN + r.nextInt(110) * MIN;
                db.deleteSeries(List.of(List.of(Matcher.eq("g", Integer.toString(r.nextInt(4))))), from, from + r.nextInt(30) * MIN);
            }
            stop.set(true);
            writer.join();
            assertNull(failed.get());
            live = new TreeMap<>(read(db, Long.MIN_VALUE, Long.MAX_VALUE, ANY));
            db.crashForTesting();
        }
        try (Tsdb db = open(dir)) {
            assertEquals(live, new TreeMap<>(read(db, Long.MIN_VALUE, Long.MAX_VALUE, ANY)));
        }
    }

    @Test void deletedDataCanBeWrittenAgain() throws Exception {
        try (Tsdb db = open(dir)) {
            write(db, A1, NOW - 30 * MIN, 30, MIN);
            db.deleteSeries(List.of(List.of(Matcher.eq("i", "1"))), NOW - 10 * MIN, Long.MAX_VALUE);
            forget((l, t) -> t >= NOW - 10 * MIN);
            assertHolds(db);
            // the newest samples were deleted: writing them again (with other values) is in order, not a duplicate
            Appender a = db.appender();
            for (int i = 20; i < 30; i++) {
                long t = NOW - 30 * MIN + i * MIN;
                assertEquals(AppendStatus.OK, a.append(A1, t, -i), a.lastError());
                model.get(A1).put(t, (double) -i);
            }
            assertEquals(AppendStatus.DUPLICATE_SAME_VALUE, a.append(A1, NOW - 30 * MIN, 0), "samples that were kept still count");
            a.commit();
            assertHolds(db);
            db.crashForTesting();
        }
        try (Tsdb db = open(dir)) {
            assertHolds(db);
        }
    }

    @Test void badlyFormedSelectorsDeleteNothing() throws Exception {
        try (Tsdb db = open(dir)) {
            fill(db);
            assertEquals(0, db.deleteSeries(List.of(List.of(Matcher.eq("env", "nope"))), Long.MIN_VALUE, Long.MAX_VALUE));
            assertEquals(0, db.deleteSeries(List.of(List.of(Matcher.eq("env", "dev"))), NOW + MIN, NOW + 2 * MIN));
            assertHolds(db);
        }
    }

    @Test void snapshotIsAStartableCopyOfTheDataAtThatMoment() throws Exception {
        String name, headless;
        Map<Labels, List<S>> atSnapshot;
        try (Tsdb db = open(dir)) {
            fill(db);
            db.deleteSeries(List.of(List.of(Matcher.eq("i", "2"))), NOW - 45 * MIN, NOW - 40 * MIN);
            forget((l, t) -> "2".equals(l.get("i")) && t >= NOW - 45 * MIN && t <= NOW - 40 * MIN);
            atSnapshot = expected();
            name = db.snapshot(false);
            assertTrue(name.matches("\\d{8}T\\d{6}Z-[0-9a-f]{16}"), name);
            assertTrue(name.startsWith("20231114T"), "named after the storage clock: " + name);
            headless = db.snapshot(true);
            // the live store goes on
            write(db, B1, NOW - 4 * MIN, 4, MIN);
            assertHolds(db);
        }
        Path snaps = dir.resolve("snapshots");
        try (Stream<Path> s = Files.list(snaps)) {
            assertEquals(List.of(headless, name).stream().sorted().toList(), s.map(p -> p.getFileName().toString()).sorted().toList());
        }
        try (Tsdb copy = open(snaps.resolve(name))) {
            assertEquals(atSnapshot, new TreeMap<>(read(copy, Long.MIN_VALUE, Long.MAX_VALUE, ANY)));
            // the copy is a store of its own: it takes writes without touching the original
            Appender a = copy.appender();
            assertEquals(AppendStatus.OK, a.append(C1, NOW, 1));
            a.commit();
        }
        try (Tsdb copy = open(snaps.resolve(headless))) {
            Map<Labels, List<S>> blocksOnly = new TreeMap<>();
            atSnapshot.forEach((l, s) -> blocksOnly.put(l, s.stream().filter(x -> x.t() < NOW - 50 * MIN).toList()));
            assertEquals(blocksOnly, new TreeMap<>(read(copy, Long.MIN_VALUE, Long.MAX_VALUE, ANY)));
        }
        try (Tsdb db = open(dir)) {
            assertHolds(db);
        }
    }

    @Test void anInterruptedSnapshotIsRemovedAtOpen() throws Exception {
        Path tmp = dir.resolve("snapshots").resolve("20231114T221320Z-0123456789abcdef.tmp");
        Files.createDirectories(tmp.resolve("blocks"));
        try (Tsdb db = open(dir)) {
            assertFalse(Files.exists(tmp));
        }
    }

    @Test void retentionRulesExpireMatchingSeriesBlockByBlockOnAFakeClock() throws Exception {
        RetentionRule dev = new RetentionRule("{env=\"dev\"}:1h", List.of(Matcher.eq("env", "dev")), Duration.ofHours(1));
        RetentionRule other = new RetentionRule("{__name__=\"other\"}:3h", List.of(Matcher.eq("__name__", "other")), Duration.ofHours(3));
        try (Tsdb db = open(dir, List.of(dev, other))) {
            fill(db);                   // block: NOW-90m .. NOW-51m; head: NOW-50m .. NOW-6m
            db.flush();                 // second block
            db.maintain();
            assertHolds(db);            // nothing is an hour old as a whole block yet
            clock.set(NOW + 10 * MIN);  // the first block ended 61 minutes ago
            db.maintain();
            forget((l, t) -> "dev".equals(l.get("env")) && t < NOW - 50 * MIN);
            assertHolds(db);
            clock.set(NOW + 56 * MIN);  // the second block is an hour old too: dev goes, "other" (3h, but also dev) too
            db.maintain();
            forget((l, t) -> "dev".equals(l.get("env")));
            assertHolds(db);
            assertTrue(read(db, Long.MIN_VALUE, Long.MAX_VALUE, Matcher.eq("env", "prod")).containsKey(B1));
        }
        try (Tsdb db = open(dir, List.of(dev, other))) {
            assertHolds(db);
        }
    }

    @Test void aRuleLongerThanTheRetentionIsRefused() {
        RetentionRule longer = new RetentionRule("{env=\"dev\"}:30d", List.of(Matcher.eq("env", "dev")), Duration.ofDays(30));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TsdbOptions.builder(dir).retention(Duration.ofDays(15)).retentionRules(List.of(longer)).build());
        assertTrue(e.getMessage().contains("{env=\"dev\"}:30d") && e.getMessage().contains("PT360H"), e.getMessage());
    }
}
