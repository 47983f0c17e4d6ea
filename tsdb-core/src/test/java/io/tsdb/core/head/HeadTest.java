package io.tsdb.core.head;

import io.tsdb.core.Labels;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/** The head's series table (open addressing by label hash) and per-series chunk storage in shared off-heap slabs. */
class HeadTest {
    private static Head newHead(ChunkMemory mem) { return new Head(() -> new ChunkedSamples(mem), 0); }

    private static Labels series(int i) {
        return Labels.of("__name__", "m" + (i % 7), "host", "h" + i, "dc", "dc" + (i % 3));
    }

    @Test void findsEverySeriesByEqualLabelsAcrossTableGrowth() {
        Head head = newHead(new ChunkMemory());
        int n = 5000;
        for (int i = 0; i < n; i++) {
            HeadSeries s = head.create(3 * i + 1, series(i));   // sparse ids
            assertSame(s, head.byId(3 * i + 1));
        }
        assertEquals(n, head.seriesCount());
        for (int i = 0; i < n; i++) {
            HeadSeries s = head.get(series(i));                  // a different but equal Labels instance
            assertNotNull(s, "series " + i);
            assertEquals(3 * i + 1, s.id);
            assertEquals(series(i), s.labels);
        }
        assertNull(head.get(series(n)));
        assertNull(head.get(Labels.of("__name__", "m0")));
        assertNull(head.byId(0));
        assertNull(head.byId(3 * n + 1));
        Set<Integer> seen = new HashSet<>();
        head.forEach(s -> assertTrue(seen.add(s.id), "visited twice: " + s.id));
        assertEquals(n, seen.size());
    }

    @Test void labelSetsWithEqualHashesAreDistinct() {
        // "Aa" and "BB" have the same String hash, so these label sets collide in the table
        Labels a = Labels.of("x", "Aa", "y", "BB"), b = Labels.of("x", "BB", "y", "Aa"), c = Labels.of("x", "AaAa", "y", "BBBB"),
                d = Labels.of("x", "BBBB", "y", "AaAa");
        assertEquals(a.hashCode(), b.hashCode());
        assertEquals(c.hashCode(), d.hashCode());
        Head head = newHead(new ChunkMemory());
        head.create(0, a);
        head.create(1, b);
        head.create(2, c);
        assertEquals(0, head.get(Labels.of("x", "Aa", "y", "BB")).id);
        assertEquals(1, head.get(Labels.of("x", "BB", "y", "Aa")).id);
        assertEquals(2, head.get(Labels.of("x", "AaAa", "y", "BBBB")).id);
        assertNull(head.get(d));
    }

    @Test void lookupsWhileSeriesAreCreatedNeverMissAnExistingSeries() throws Exception {
        Head head = newHead(new ChunkMemory());
        int n = 20_000;
        List<Labels> labels = new ArrayList<>();
        for (int i = 0; i < n; i++) labels.add(series(i));
        head.create(0, labels.get(0));
        AtomicReference<String> failure = new AtomicReference<>();
        Thread reader = new Thread(() -> {
            Random r = new Random(2);
            while (head.seriesCount() < n && failure.get() == null) {
                int created = head.seriesCount();          // ids 0..created-1 exist
                int i = r.nextInt(created);
                HeadSeries s = head.get(labels.get(i));
                if (s == null || s.id != i) failure.set("series " + i + " of " + created + " not found: " + s);
            }
        });
        reader.start();
        for (int i = 1; i < n; i++) head.create(i, labels.get(i));
        reader.join();
        assertNull(failure.get());
    }

    @Test void interleavedSeriesKeepTheirOwnSamplesInSharedSlabs() {
        ChunkMemory mem = new ChunkMemory();
        Head head = newHead(mem);
        int series = 300, samples = 1000;
        Random r = new Random(3);
        double[][] expected = new double[series][samples];
        for (int i = 0; i < series; i++) head.create(i, series(i));
        double[] walk = new double[series];
        for (int k = 0; k < samples; k++) {
            for (int i = 0; i < series; i++) {
                walk[i] = i % 2 == 0 ? Math.rint(Math.max(0, Math.min(100, walk[i] + r.nextGaussian()))) : r.nextDouble();
                expected[i][k] = walk[i];
                assertEquals(io.tsdb.core.AppendStatus.OK, head.insert(head.byId(i), 1_000L * k, walk[i], false));
            }
        }
        SampleBuffer out = new SampleBuffer(16);
        for (int i = 0; i < series; i++) {
            head.byId(i).read(Long.MIN_VALUE, Long.MAX_VALUE, out);
            assertEquals(samples, out.n);
            for (int k = 0; k < samples; k++) {
                assertEquals(1_000L * k, out.t[k]);
                assertEquals(expected[i][k], out.v[k], "series " + i + " sample " + k);
            }
        }
        assertEquals((long) series * samples, head.sampleCount());
        assertTrue(mem.bytesInUse() > 0 && mem.bytesInUse() <= mem.bytesReserved());
    }
}
