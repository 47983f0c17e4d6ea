package io.tsdb.core.block;

import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SampleCursor;
import io.tsdb.core.SeriesSet;
import io.tsdb.core.testing.MemStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/** Readers running while compaction replaces and deletes blocks always see every sample exactly once. */
class BlockStoreConcurrencyTest {
    static final long H = Compactor.HOUR_MS;
    @TempDir Path dir;

    @Test void readersSeeAllSamplesWhileCompactionRuns() throws Exception {
        int windows = 12;
        MemStorage mem = BlockTestData.randomStorage(21, 60, 0, windows * 2 * H - 1);
        long expected;
        try (Querier q = mem.querier(0, windows * 2 * H)) {
            expected = count(q);
        }
        try (BlockStore store = BlockStore.open(dir)) {
            for (int w = 0; w < windows; w++) {
                long a = w * 2 * H, z = a + 2 * H - 1;
                try (Querier q = mem.querier(a, z)) { store.write(q.select(List.of()), a, z); }
            }
            AtomicBoolean done = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            int[] reads = new int[1];
            Thread reader = new Thread(() -> {
                try {
                    while (!done.get() || reads[0] < 3) {
                        try (Querier q = store.querier(0, windows * 2 * H)) {
                            long n = count(q);
                            if (n != expected) throw new AssertionError("read " + n + " samples, expected " + expected);
                        }
                        reads[0]++;
                    }
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            reader.start();
            // compact step by step so that the reader interleaves with several swaps
            Compactor c = new Compactor(2 * H, 6 * H, 24 * H);
            int compactions = store.compact(c);
            done.set(true);
            reader.join();
            if (failure.get() != null) throw new AssertionError(failure.get());
            assertEquals(5, compactions);
            assertTrue(reads[0] >= 3);
            try (var list = Files.list(dir)) { assertEquals(1, list.count(), "all sources deleted once readers closed"); }
        }
    }

    static long count(Querier q) {
        long n = 0;
        SeriesSet s = q.select(List.of(Matcher.re("__name__", ".+")));
        while (s.next()) {
            SampleCursor c = s.cursor();
            while (c.next()) n++;
        }
        return n;
    }
}
