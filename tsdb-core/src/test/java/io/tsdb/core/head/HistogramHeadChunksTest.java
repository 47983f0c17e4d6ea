package io.tsdb.core.head;

import io.tsdb.core.AppendStatus;
import io.tsdb.core.Labels;
import io.tsdb.core.chunk.HistogramChunkFormat;
import io.tsdb.core.chunk.HistogramSeriesGen;
import io.tsdb.core.fs.FileLayer;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.histogram.Histogram;
import io.tsdb.core.histogram.HistogramEquality;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Closed histogram chunks of the head go to the chunks_head/ segment files with their encoding byte, and read back. */
class HistogramHeadChunksTest {
    @TempDir Path dir;

    @Test
    void closedHistogramChunksLiveInTheSegmentFilesAndReadBackExactly() throws Exception {
        Path d = dir.resolve(HeadChunkFormat.DIR);
        HeadChunkFiles files = HeadChunkFiles.open(FileLayer.SYSTEM, d);
        ChunkMemory mem = new ChunkMemory(files);
        Head head = new Head(() -> new ChunkedSamples(mem), 0, mem);
        HeadSeries ints = head.create(1, Labels.of("__name__", "ints"));
        HeadSeries floats = head.create(2, Labels.of("__name__", "floats"));
        HistogramSeriesGen g = HistogramSeriesGen.latency(1, 30);
        List<Histogram> wantI = new ArrayList<>();
        List<FloatHistogram> wantF = new ArrayList<>();
        long t0 = 1_700_000_000_000L;
        for (int i = 0; i < 500; i++) {
            g.step();
            Histogram h = g.current(new Histogram());
            FloatHistogram f = h.toFloat(new FloatHistogram());
            f.sum = i * 0.5;
            wantI.add(h);
            wantF.add(f);
            assertEquals(AppendStatus.OK, head.insert(ints, t0 + 15_000L * i, h, null));
            assertEquals(AppendStatus.OK, head.insert(floats, t0 + 15_000L * i, null, f));
        }
        assertTrue(files.liveBytes() > 0, "closed histogram chunks written to the segment files");
        assertTrue(ints.hist.chunks() >= 5, "500 samples in chunks of at most 120");
        // the segment file holds chunks that start with their encoding id
        byte[] seg = Files.readAllBytes(d.resolve(HeadChunkFormat.segmentName(1)));
        int at = HeadChunkFormat.HEADER_SIZE;
        assertTrue(seg[at] == HistogramChunkFormat.ENC_HISTOGRAM || seg[at] == HistogramChunkFormat.ENC_FLOAT_HISTOGRAM, "first chunk's encoding byte " + seg[at]);

        SampleBuffer b = new SampleBuffer();
        ints.read(Long.MIN_VALUE, Long.MAX_VALUE, b);
        assertEquals(0, b.n, "no float samples");
        assertEquals(500, b.hist.n);
        for (int i = 0; i < 500; i++) {
            assertEquals(t0 + 15_000L * i, b.hist.t[i]);
            assertTrue(HistogramEquality.same(wantI.get(i), b.hist.histogram(i)), "sample " + i);
        }
        floats.read(Long.MIN_VALUE, Long.MAX_VALUE, b);
        assertEquals(500, b.hist.n);
        for (int i = 0; i < 500; i++) assertTrue(HistogramEquality.same(wantF.get(i), b.hist.floatHistogram(i)), "sample " + i);

        // freezing and releasing frees the file space
        head.freezeAll();
        head.releaseFrozen();
        assertEquals(0, files.liveBytes());
        files.close();
    }
}
