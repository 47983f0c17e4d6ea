package io.tsdb.core.head;

import io.tsdb.core.StaleNaN;
import io.tsdb.core.fs.FileLayer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** The compressed head storage must return exactly what the raw reference stores, for any range. */
class SeriesSamplesTest {
    @TempDir Path dir;

    /** Closed chunks off-heap, or in head chunk segment files (small ones, so that segments rotate and are deleted). */
    @ParameterizedTest(name = "files={0}")
    @ValueSource(booleans = {false, true})
    void chunkedMatchesRawOnRandomSeriesAndRanges(boolean inFiles) throws IOException {
        Random rnd = new Random(1);
        HeadChunkFiles files = inFiles ? HeadChunkFiles.open(FileLayer.SYSTEM, dir.resolve("chunks_head"), 64 << 10) : null;
        ChunkMemory mem = new ChunkMemory(files);
        OffHeapArena rawArena = new OffHeapArena(256);
        for (int round = 0; round < 40; round++) {
            ChunkedSamples c = new ChunkedSamples(mem);
            RawSamples r = new RawSamples(rawArena);
            int n = rnd.nextInt(3000);
            long t = rnd.nextLong() >> 20;
            double v = 50;
            int kind = round % 4;
            for (int i = 0; i < n; i++) {
                t += kind == 3 ? 1 + rnd.nextInt(100_000) : 10_000 + rnd.nextInt(3) - 1;
                v = switch (kind) {
                    case 0 -> Math.max(0, Math.min(100, v + rnd.nextInt(3) - 1));     // integer random walk
                    case 1 -> v + rnd.nextGaussian();                                   // float random walk
                    case 2 -> i % 97 == 0 ? StaleNaN.VALUE : 42.5;                       // constant with stale markers
                    default -> rnd.nextInt(10) == 0 ? Double.NaN : rnd.nextDouble() * 1e6; // noisy
                };
                c.append(t, v);
                r.append(t, v);
            }
            assertEquals(r.count(), c.count());
            assertEquals(r.minTime(), c.minTime());
            assertEquals(r.maxTime(), c.maxTime());
            SampleBuffer a = new SampleBuffer(4), b = new SampleBuffer(4);
            for (int q = 0; q < 20; q++) {
                long lo = n == 0 ? 0 : r.minTime() + (long) (rnd.nextDouble() * (r.maxTime() - r.minTime()));
                long hi = q == 0 ? Long.MAX_VALUE : lo + rnd.nextInt(5_000_000);
                if (q == 0) lo = Long.MIN_VALUE;
                a.clear(); b.clear();
                r.read(lo, hi, a);
                c.read(lo, hi, b);
                assertEquals(a.n, b.n, "round " + round + " range " + lo + ".." + hi);
                for (int i = 0; i < a.n; i++) {
                    assertEquals(a.t[i], b.t[i]);
                    assertEquals(Double.doubleToRawLongBits(a.v[i]), Double.doubleToRawLongBits(b.v[i]));
                }
            }
            if (n > 1000) assertTrue(c.chunks() > 1, "chunks cut");
            c.clear();
            r.clear();
            assertEquals(0, c.count());
            assertEquals(Long.MIN_VALUE, c.maxTime());
        }
        assertEquals(0, mem.bytesInUse(), "all chunk memory returned");
        if (inFiles) {
            assertEquals(0, files.liveBytes(), "every chunk in the files freed");
            assertTrue(files.segments() <= 1, "freed segments deleted: " + files.segments());
            files.close();
        }
    }

    @Test void integerSeriesCompressWellInTheHead() {
        ChunkMemory mem = new ChunkMemory();
        ChunkedSamples c = new ChunkedSamples(mem);
        Random rnd = new Random(3);
        double v = 50;
        for (int i = 0; i < 720; i++) {   // 2 h at 10 s
            v = Math.max(0, Math.min(100, v + rnd.nextInt(3) - 1));
            c.append(1_700_000_000_000L + i * 10_000L, v);
        }
        assertTrue(c.memoryBytes() < 1024, "head bytes for 720 samples: " + c.memoryBytes());
    }

    /**
     * A chunk's first sample sits in a small block (a series sent once holds 48 bytes off-heap, not 256); the second
     * moves the chunk to an open block, the first block goes back, and every sample reads back in order, with the
     * largest encodings (a 64-bit delta of delta and full XOR values) right after the move.
     */
    @Test void firstSampleTakesASmallBlockAndTheChunkMovesAtTheSecond() {
        ChunkMemory mem = new ChunkMemory();
        ChunkedSamples c = new ChunkedSamples(mem);
        c.append(1_000, 1.5);
        assertEquals(ChunkMemory.FIRST_CHUNK_BYTES, mem.bytesInUse());
        assertEquals(1, c.count());
        long[] ts = {1_000, 1_000 + (1L << 40), 1_000 + (1L << 41) + 7, 1_000 + (1L << 41) + 8};
        double[] vs = {1.5, -3.7e300, Double.longBitsToDouble(0x7ff8_0000_0000_0001L), 1e-300};
        for (int i = 1; i < ts.length; i++) c.append(ts[i], vs[i]);
        assertEquals(ChunkMemory.OPEN_CHUNK_BYTES, mem.bytesInUse(), "moved to an open block, the first block freed");
        SampleBuffer out = new SampleBuffer();
        c.read(Long.MIN_VALUE, Long.MAX_VALUE, out);
        assertEquals(ts.length, out.n);
        for (int i = 0; i < ts.length; i++) {
            assertEquals(ts[i], out.t[i]);
            assertEquals(Double.doubleToRawLongBits(vs[i]), Double.doubleToRawLongBits(out.v[i]));
        }
        c.clear();
        assertEquals(0, mem.bytesInUse());
    }

    @Test void laterChunksStartInTheOpenBlock() {
        ChunkMemory mem = new ChunkMemory();
        ChunkedSamples c = new ChunkedSamples(mem);
        long t = 1_000;
        boolean moved = false;
        for (int i = 0; i < 2000; i++, t += 10_000) {
            c.append(t, i % 7 == 0 ? i * 1.5 : i);   // 2,000 samples: many chunks, each cut when the open block fills
            long small = mem.firstArena().bytesInUse();
            if (i == 0) assertEquals(ChunkMemory.FIRST_CHUNK_BYTES, small, "the series' first sample: the small block");
            if (small == 0) moved = true;
            else assertFalse(moved, "sample " + i + ": a later chunk started in the small block");
        }
        assertTrue(moved);
        SampleBuffer out = new SampleBuffer();
        c.read(Long.MIN_VALUE, Long.MAX_VALUE, out);
        assertEquals(2000, out.n);
        assertTrue(c.memoryBytes() > 0);
    }
}
