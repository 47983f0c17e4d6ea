package io.tsdb.core.db;

import io.tsdb.core.Appender;
import io.tsdb.core.AppendStatus;
import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SeriesSet;
import io.tsdb.core.block.BlockStore;
import io.tsdb.core.block.MergeQuerier;
import io.tsdb.core.head.HeadQuerier;
import io.tsdb.core.wal.FsyncPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/** Querier.seriesCount honours [mint, maxt] over the head, the blocks and both merged. */
class SeriesCountRangeTest {
    static final long NOW = 1_700_000_000_000L;
    static final long MIN = 60_000;
    static final List<Matcher> M = List.of(Matcher.eq("__name__", "m"));
    @TempDir Path dir;
    final AtomicLong clock = new AtomicLong(NOW);

    /** Flushes only when the test says so (a day-long block duration: no commit-triggered cut of the 5 h of data). */
    Tsdb open() throws Exception {
        return Tsdb.open(TsdbOptions.builder(dir).walFsync(FsyncPolicy.NEVER).retention(Duration.ofDays(1))
                .blockDuration(Duration.ofDays(1)).build(), clock::get);
    }

    static Labels series(String k) { return Labels.of("__name__", "m", "k", k); }

    /** Appends series {@code k} every 10 s over [from, to] (minutes before NOW). */
    static void fill(Appender a, String k, int fromMin, int toMin) {
        for (long t = NOW - fromMin * MIN; t <= NOW - toMin * MIN; t += 10_000) assertEquals(AppendStatus.OK, a.append(series(k), t, 1));
    }

    static long selected(Querier q) {
        SeriesSet s = q.select(M);
        long n = 0;
        while (s.next()) n++;
        return n;
    }

    static long count(Tsdb db, long mint, long maxt) {
        try (Querier q = db.querier(mint, maxt)) {
            return q.seriesCount(M);
        }
    }

    /** Minutes before NOW as a timestamp. */
    static long ago(int min) { return NOW - min * MIN; }

    @Test void headCountsOnlySeriesWithSamplesInRange() throws Exception {
        try (Tsdb db = open()) {
            Appender a = db.appender();
            fill(a, "a", 60, 40);
            fill(a, "b", 30, 0);
            fill(a, "c", 50, 20);
            a.append(Labels.of("__name__", "other"), NOW, 1);
            a.commit();
            assertEquals(3, count(db, Long.MIN_VALUE, Long.MAX_VALUE));
            assertEquals(3, count(db, ago(60), NOW));
            assertEquals(1, count(db, ago(10), NOW), "only b");
            assertEquals(2, count(db, ago(45), ago(41)), "a and c");
            assertEquals(1, count(db, ago(19), ago(19)), "b only: c ends at 20 min ago");
            assertEquals(0, count(db, ago(120), ago(61)), "before every sample");
            assertEquals(0, count(db, NOW + 1, NOW + 10 * MIN), "after every sample");
            assertEquals(0, count(db, NOW, ago(10)), "mint > maxt");
            // an out-of-order sample is counted exactly where it is
            assertEquals(AppendStatus.OK, a.append(series("b"), ago(55), 2));
            a.commit();
            assertEquals(2, count(db, ago(56), ago(54)), "a and b (the out-of-order sample)");
            assertEquals(1, count(db, ago(35), ago(31)), "c: b's out-of-order sample is outside");
        }
    }

    @Test void blocksAndHeadMergedCountEachSeriesOnce() throws Exception {
        try (Tsdb db = open()) {
            Appender a = db.appender();
            fill(a, "old", 300, 200);      // only in the block
            fill(a, "both", 250, 150);     // in the block and, below, in the head
            fill(a, "mid", 180, 160);      // only in the block
            a.commit();
            Querier beforeFlush = db.querier(ago(300), ago(200));
            db.flush();
            assertEquals(1, db.blockCount());
            fill(a, "both", 100, 0);
            fill(a, "new", 50, 0);
            a.commit();

            assertEquals(3, count(db, ago(300), ago(150)), "the block alone");
            assertEquals(2, count(db, ago(100), NOW), "the head alone");
            assertEquals(0, count(db, ago(140), ago(110)), "between block data and head data");
            assertEquals(4, count(db, ago(300), NOW), "both sources; 'both' once");
            assertEquals(2, count(db, ago(170), ago(51)), "mid (block) and both (block and head)");
            assertEquals(4, count(db, Long.MIN_VALUE, Long.MAX_VALUE), "everything: the label index");
            // a querier opened before the flush reads the frozen head samples instead of the new block
            assertEquals(2, beforeFlush.seriesCount(M), "old and both");
            assertEquals(2, selected(beforeFlush));
            beforeFlush.close();

            // on dense data (10 s steps, ranges of at least 10 s) the count equals what select returns, both by
            // the union of series ids (Tsdb's querier) and by merging label-sorted lists (MergeQuerier)
            Random r = new Random(5);
            try (BlockStore side = BlockStore.open(dir.resolve("blocks"))) {
                for (int i = 0; i < 200; i++) {
                    long mint = ago(320) + (long) (r.nextDouble() * 330 * MIN);
                    long maxt = mint + 10_000 + (long) (r.nextDouble() * 200 * MIN);
                    String ctx = "[" + mint + "," + maxt + "]";
                    try (Querier q = db.querier(mint, maxt)) {
                        long want = selected(q);
                        assertEquals(want, q.seriesCount(M), ctx);
                        List<Querier> sources = side.queriers(mint, maxt);
                        sources.add(new HeadQuerier(db.head(), db.index(), mint, maxt));
                        try (Querier merged = new MergeQuerier(sources)) {
                            assertEquals(want, merged.seriesCount(M), ctx);
                        }
                    }
                }
            }
        }
    }
}
