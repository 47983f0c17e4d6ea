package io.tsdb.core.block;

import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SampleCursor;
import io.tsdb.core.SeriesSet;
import io.tsdb.core.testing.MemStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Reads through kept chunk tails ({@link ChunkTails}) against the same reads decoding whole chunks (a store without
 * kept tails) and against the samples as written: random short ranges near and inside chunk ends (instant-query
 * windows), each read twice (the first keeps tails, the second reads them), by next and by seek; deleted intervals
 * added after tails were kept; blocks released.
 */
class ChunkTailsTest {
    static final long H = Compactor.HOUR_MS;
    static final List<Matcher> ALL = List.of(Matcher.re("__name__", ".+"));
    @TempDir Path dir;


    private static void write(BlockStore store, MemStorage mem, long a, long z) throws Exception {
        try (Querier q = mem.querier(a, z)) {
            store.write(q.select(List.of()), a, z);
        }
    }

    /** Series with long runs (chunks of hundreds to thousands of samples), half at a regular interval, stale markers. */
    private static MemStorage data(long seed, int nSeries, long span) {
        Random r = new Random(seed);
        MemStorage mem = BlockTestData.randomStorage(seed, nSeries, 0, span);
        for (int s = 0; s < nSeries; s++) {
            Labels l = Labels.of("__name__", "long_" + (s % 3), "instance", "i" + s);
            long step = 1000L * (1 + r.nextInt(30));
            double v = r.nextInt(100);
            boolean regular = s % 2 == 0; // kept with computed timestamps; the others with their own
            for (long t = r.nextInt(5000); t <= span; t += !regular && r.nextInt(8) == 0 ? 1 + r.nextInt((int) (2 * step)) : step) {
                v += r.nextInt(10) == 0 ? r.nextGaussian() : r.nextInt(3) - 1;
                mem.add(l, t, r.nextInt(200) == 0 ? io.tsdb.core.StaleNaN.VALUE : v);
            }
        }
        return mem;
    }

    /** Reads every series in [a, z] by next() or by seeks, as a list of "labels t bits" lines. */
    private static String read(Querier q, Random r) {
        StringBuilder sb = new StringBuilder();
        SeriesSet ss = q.select(ALL);
        while (ss.next()) {
            SampleCursor c = ss.cursor();
            sb.append(ss.labels()).append('\n');
            boolean has = r.nextBoolean() ? c.next() : c.seek(Long.MIN_VALUE);
            while (has) {
                sb.append(c.timestamp()).append(' ').append(Double.doubleToRawLongBits(c.value())).append('\n');
                has = r.nextInt(4) == 0 ? c.seek(c.timestamp() + 1 + r.nextInt(20_000)) : c.next();
                if (has && r.nextInt(4) == 0) sb.append("seek\n");
            }
        }
        return sb.toString();
    }

    @Test void readsThroughKeptTailsMatchWholeChunkDecoding() throws Exception {
        ChunkTails tails;
        long span = 4 * H;
        MemStorage mem = data(7, 60, span);
        Random r = new Random(11);
        try (BlockStore store = BlockStore.open(dir.resolve("a"))) {
            write(store, mem, 0, 2 * H - 1);
            write(store, mem, 2 * H, span);
            for (int round = 0; round < 300; round++) {
                long e = r.nextInt(10) < 7 ? span - r.nextInt(30 * 60_000) : r.nextLong(span + H);
                long a = e - 1 - r.nextInt(r.nextBoolean() ? 10 * 60_000 : 40 * 60_000);
                for (int pass = 0; pass < 2; pass++) {
                    long seed = r.nextLong();
                    String expected, actual;
                    try (Querier q = mem.querier(a, e)) { expected = read(q, new Random(seed)); }
                    try (Querier q = store.querier(a, e)) { actual = read(q, new Random(seed)); }
                    assertEquals(expected, actual, "range " + a + ".." + e + " pass " + pass);
                    try (Querier em = mem.querier(a, e); Querier q = store.querier(a, e)) {
                        BlockTestData.assertSameSeries(em, q, ALL);
                    }
                }
            }
            assertTrue(store.tails().size() > 0, "some reads kept chunk tails");
            tails = store.tails();
        }
        assertEquals(0, tails.size(), "closing the store released its blocks' tails");
    }

    @Test void deletedIntervalsAddedAfterTailsWereKeptStayDeleted() throws Exception {
        long span = 2 * H;
        MemStorage mem = data(3, 40, span);
        MemStorage expected = new MemStorage();
        long delA = span - 20 * 60_000, delZ = span - 3 * 60_000;
        try (Querier q = mem.querier(Long.MIN_VALUE, Long.MAX_VALUE)) {
            SeriesSet ss = q.select(ALL);
            while (ss.next()) {
                boolean del = ss.labels().get("__name__").equals("long_1");
                SampleCursor c = ss.cursor();
                while (c.next()) if (!del || c.timestamp() < delA || c.timestamp() > delZ) expected.add(ss.labels(), c.timestamp(), c.value());
            }
        }
        try (BlockStore store = BlockStore.open(dir.resolve("b"))) {
            write(store, mem, 0, span);
            long[][] ranges = {{span - 5 * 60_000, span}, {span - 10 * 60_000, span - 60_000}, {span - 4 * 60_000 + 1, span - 2 * 60_000}};
            for (long[] g : ranges) {
                try (Querier em = mem.querier(g[0], g[1]); Querier q = store.querier(g[0], g[1])) {
                    BlockTestData.assertSameSeries(em, q, ALL);
                }
            }
            assertTrue(store.tails().size() > 0);
            store.deleteSeries(List.of(List.of(Matcher.eq("__name__", "long_1"))), delA, delZ);
            for (long[] g : ranges) {
                try (Querier em = expected.querier(g[0], g[1]); Querier q = store.querier(g[0], g[1])) {
                    BlockTestData.assertSameSeries(em, q, ALL);
                }
            }
        }
    }

    @Test void eachStoreKeepsItsOwnTails() throws Exception {
        long span = 2 * H;
        MemStorage mem = data(5, 20, span);
        try (BlockStore a = BlockStore.open(dir.resolve("x")); BlockStore b = BlockStore.open(dir.resolve("y"))) {
            write(a, mem, 0, span);
            write(b, mem, 0, span);
            for (int m = 1; m <= 20; m++) {
                try (Querier em = mem.querier(span - m * 60_000L, span); Querier q = a.querier(span - m * 60_000L, span)) {
                    BlockTestData.assertSameSeries(em, q, ALL);
                }
            }
            assertTrue(a.tails().size() > 0, "reads of the end of a's chunks kept tails");
            assertEquals(0, b.tails().size(), "another store's reads keep nothing here");
        }
    }
}
