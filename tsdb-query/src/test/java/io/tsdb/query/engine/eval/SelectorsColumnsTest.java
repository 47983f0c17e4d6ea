package io.tsdb.query.engine.eval;

import io.tsdb.core.Labels;
import io.tsdb.core.testing.MemStorage;
import io.tsdb.query.ast.VectorSelector;
import io.tsdb.query.parser.QueryParser;
import org.junit.jupiter.api.Test;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The read columns a thread keeps between queries ({@link Selectors#release}): the next evaluation on the thread reads
 * into them (no regrowth from 256 samples), two evaluations open at once never share them, they read correct samples
 * when reused, and columns longer than {@link Selectors#KEPT_MAX} are not kept.
 */
class SelectorsColumnsTest {
    static final long T0 = 1_700_000_000_000L, STEP = 10_000L;
    static final int SHORT = 5_000, LONG = Selectors.KEPT_MAX + 5_000;

    final MemStorage mem = new MemStorage();

    SelectorsColumnsTest() {
        for (int i = 0; i < LONG; i++) {
            if (i < SHORT) mem.add(Labels.of("__name__", "short"), T0 + i * STEP, i);
            mem.add(Labels.of("__name__", "long"), T0 + i * STEP, 2.0 * i);
        }
    }

    EvalContext cx() {
        return new EvalContext(mem, "test", T0, T0 + LONG * STEP, STEP, 300_000, 0, 0, 60_000);
    }

    /** Reads every sample of the metric; checks count and values; returns the array the timestamps were read into. */
    static long[] read(Selectors s, String metric, int expected, double factor) {
        VectorSelector vs = (VectorSelector) QueryParser.parse(metric);
        AtomicReference<long[]> cols = new AtomicReference<>();
        int[] series = {0};
        s.forEachSeries(vs, T0, T0 + LONG * STEP, false, (labels, t, v, n) -> {
            series[0]++;
            assertEquals(expected, n);
            for (int i = 0; i < n; i++) {
                assertEquals(T0 + i * STEP, t[i]);
                assertEquals(factor * i, v[i]);
            }
            cols.set(t);
        });
        assertEquals(1, series[0]);
        return cols.get();
    }

    /** Runs the body on a thread of its own, whose spare columns no other test touched. */
    static void onNewThread(Runnable body) throws Exception {
        ExecutorService ex = Executors.newSingleThreadExecutor();
        try {
            ex.submit(body).get();
        } finally {
            ex.shutdownNow();
        }
    }

    @Test
    void nextQueryOnTheThreadReadsIntoTheKeptColumnsAndNoTwoOpenEvaluationsShareThem() throws Exception {
        onNewThread(() -> {
            Selectors first = new Selectors(cx());
            long[] cols = read(first, "short", SHORT, 1);
            assertTrue(cols.length >= SHORT);
            first.release();

            Selectors second = new Selectors(cx());
            assertTrue(second.readsInto(cols), "the released columns are taken by the thread's next evaluation");
            Selectors concurrent = new Selectors(cx());
            assertFalse(concurrent.readsInto(cols), "an evaluation open at the same time has columns of its own");
            assertSame(cols, read(second, "short", SHORT, 1), "no regrowth: the kept columns are long enough");
            long[] own = read(concurrent, "short", SHORT, 1);
            assertNotSame(cols, own);
            concurrent.release();
            second.release();

            // the larger of the two pairs given back is kept
            Selectors third = new Selectors(cx());
            assertTrue(third.readsInto(cols) || third.readsInto(own));
            assertEquals(Math.max(cols.length, own.length), third.columnsLength());
            third.release();
        });
    }

    /**
     * An evaluation open on the thread that reads nothing itself (an aggregation evaluated in shards, one shard on this
     * thread) leaves the kept columns to the one that reads: no regrowth from 256 samples in the shard.
     */
    @Test
    void anOpenEvaluationThatReadsNothingLeavesTheKeptColumnsToTheOneThatReads() throws Exception {
        onNewThread(() -> {
            Selectors first = new Selectors(cx());
            long[] cols = read(first, "short", SHORT, 1);
            first.release();

            Selectors outer = new Selectors(cx());
            Selectors shard = new Selectors(cx());
            assertSame(cols, read(shard, "short", SHORT, 1));
            shard.release();
            outer.release();
            Selectors next = new Selectors(cx());
            assertTrue(next.readsInto(cols), "given back by the shard, not lost to the outer evaluation");
            next.release();
        });
    }

    @Test
    void columnsLongerThanTheBoundAreNotKept() throws Exception {
        onNewThread(() -> {
            Selectors big = new Selectors(cx());
            long[] cols = read(big, "long", LONG, 2);
            assertTrue(cols.length > Selectors.KEPT_MAX);
            big.release();

            Selectors next = new Selectors(cx());
            assertFalse(next.readsInto(cols), "columns over the bound are left to the collector");
            assertEquals(256, next.columnsLength(), "a thread without kept columns starts small");
            // reading into grown columns again, then a short query: the short series reads correctly
            read(next, "long", LONG, 2);
            next.release();
            Selectors after = new Selectors(cx());
            read(after, "short", SHORT, 1);
            after.release();
        });
    }
}
