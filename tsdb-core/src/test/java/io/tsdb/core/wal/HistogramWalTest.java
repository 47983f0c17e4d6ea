package io.tsdb.core.wal;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tsdb.core.Labels;
import io.tsdb.core.StaleNaN;
import io.tsdb.core.histogram.CounterResetHint;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.histogram.Histogram;
import io.tsdb.core.histogram.Schemas;

class HistogramWalTest {
    @TempDir Path dir;

    static Histogram randomInt(Random rnd) {
        Histogram h = new Histogram();
        h.hint = CounterResetHint.ofCode(rnd.nextInt(4));
        boolean custom = rnd.nextInt(4) == 0;
        h.schema = custom ? Schemas.CUSTOM_BUCKETS : rnd.nextInt(13) - 4;
        h.zeroThreshold = custom ? 0 : rnd.nextDouble();
        h.zeroCount = custom ? 0 : rnd.nextInt(100);
        long total = h.zeroCount;
        for (int side = 0; side < (custom ? 1 : 2); side++) {
            int spans = rnd.nextInt(4);
            long abs = 0;
            for (int s = 0; s < spans; s++) {
                int len = rnd.nextInt(5);
                (side == 0 ? h.positiveSpans : h.negativeSpans).add(s == 0 ? rnd.nextInt(40) - 20 : rnd.nextInt(5), len);
                for (int k = 0; k < len; k++) {
                    long c = rnd.nextInt(1000);
                    if (side == 0) h.addPositiveDelta(c - abs); else h.addNegativeDelta(c - abs);
                    abs = c;
                    total += c;
                }
            }
        }
        if (custom) {
            double[] b = new double[(int) h.positiveSpans.bucketCount() + 3 + rnd.nextInt(3)];
            for (int i = 0; i < b.length; i++) b[i] = i * 0.25 + 0.1;
            h.customValues = b;
        }
        h.count = total + (rnd.nextInt(5) == 0 ? 3 : 0);
        h.sum = rnd.nextInt(10) == 0 ? StaleNaN.VALUE : rnd.nextGaussian() * 100;
        return h;
    }

    static ByteBuffer record(long baseT, int[] ids, long[] ts, Object[] hs) {
        int size = WalFormat.RECORD_HEADER_BYTES + 1 + 12;
        for (Object o : hs) size += o instanceof Histogram h ? HistogramSamplesCodec.maxSampleBytes(h) : HistogramSamplesCodec.maxSampleBytes((FloatHistogram) o);
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.position(WalFormat.RECORD_HEADER_BYTES);
        b.put(WalFormat.TYPE_HISTOGRAM_SAMPLES);
        HistogramSamplesCodec.putHeader(b, hs.length, baseT);
        for (int i = 0; i < hs.length; i++) {
            if (hs[i] instanceof Histogram h) HistogramSamplesCodec.putSample(b, baseT, ids[i], ts[i], h);
            else HistogramSamplesCodec.putSample(b, baseT, ids[i], ts[i], (FloatHistogram) hs[i]);
        }
        WalFormat.seal(b);
        return b;
    }

    /** Collects replayed histograms (copies: the holders are reused). */
    static final class Collect implements WalReplayHandler {
        final List<Object[]> got = new ArrayList<>();
        @Override public void series(int id, Labels labels) {}
        @Override public void samples(ByteBuffer buf, int offset, int count) { fail(); }
        @Override public void sample(int id, long t, long valueBits) { fail(); }
        @Override public void seriesState(ByteBuffer buf, int offset, int count) { fail(); }
        @Override public void tombstones(ByteBuffer buf, int offset, int count) { fail(); }
        @Override public void histogram(int id, long t, Histogram h) { got.add(new Object[] {id, t, new Histogram().copyFrom(h)}); }
        @Override public void floatHistogram(int id, long t, FloatHistogram h) { got.add(new Object[] {id, t, new FloatHistogram().copyFrom(h)}); }
    }

    private static void assertSame(Object expected, Object actual) {
        if (expected instanceof Histogram e) {
            Histogram a = assertInstanceOf(Histogram.class, actual);
            assertTrue(e.sameData(a), e + " vs " + a);
            assertEquals(e.hint, a.hint);
        } else {
            FloatHistogram e = (FloatHistogram) expected, a = assertInstanceOf(FloatHistogram.class, actual);
            assertTrue(e.sameData(a), e + " vs " + a);
            assertEquals(e.hint, a.hint);
        }
    }

    @Test
    void codecRoundTripsIntegerAndFloatHistogramsBitExactly() {
        Random rnd = new Random(1);
        int n = 400;
        int[] ids = new int[n];
        long[] ts = new long[n];
        Object[] hs = new Object[n];
        for (int i = 0; i < n; i++) {
            ids[i] = i % 5 == 0 ? Integer.MAX_VALUE - i : rnd.nextInt(1_000_000);
            ts[i] = 1_700_000_000_000L + rnd.nextInt(100_000) - 50_000;
            Histogram h = randomInt(rnd);
            hs[i] = i % 3 == 0 ? h.toFloat(new FloatHistogram()).mul(0.1) : h;
        }
        ByteBuffer r = record(ts[0], ids, ts, hs);
        int bodyStart = WalFormat.RECORD_HEADER_BYTES + 1, end = r.limit();
        Collect c = new Collect();
        HistogramSamplesCodec.Sink sink = new HistogramSamplesCodec.Sink() {
            @Override public void histogram(int id, long t, Histogram h) { c.histogram(id, t, h); }
            @Override public void floatHistogram(int id, long t, FloatHistogram h) { c.floatHistogram(id, t, h); }
        };
        HistogramSamplesCodec.Reader reader = new HistogramSamplesCodec.Reader();
        assertEquals(n, reader.decode(r, bodyStart, end, sink));
        for (int i = 0; i < n; i++) {
            assertEquals(ids[i], c.got.get(i)[0]);
            assertEquals(ts[i], c.got.get(i)[1]);
            assertSame(hs[i], c.got.get(i)[2]);
        }
        // truncated or padded bodies are rejected
        for (int cut = bodyStart; cut < end; cut += 7) {
            int e = cut;
            assertThrows(IllegalArgumentException.class, () -> reader.decode(r, bodyStart, e, null), "cut at " + cut);
        }
        ByteBuffer padded = ByteBuffer.allocate(end + 1).order(ByteOrder.LITTLE_ENDIAN).put(r.duplicate().position(0).limit(end));
        assertThrows(IllegalArgumentException.class, () -> reader.decode(padded, bodyStart, end + 1, null));
    }

    @Test
    void replayDeliversHistogramsAndSkipsADamagedRecordWhole() throws IOException {
        Random rnd = new Random(2);
        List<Object> written = new ArrayList<>();
        long segmentPosOfSecond;
        try (Wal w = Wal.open(dir, FsyncPolicy.ALWAYS, 1 << 20, 60_000, new Collect())) {
            for (int rec = 0; rec < 3; rec++) {
                int n = 20;
                int[] ids = new int[n];
                long[] ts = new long[n];
                Object[] hs = new Object[n];
                for (int i = 0; i < n; i++) {
                    ids[i] = rec * 100 + i;
                    ts[i] = 1000L * (rec * n + i);
                    Histogram h = randomInt(rnd);
                    hs[i] = i % 2 == 0 ? h : h.toFloat(new FloatHistogram());
                    if (rec != 1) written.add(hs[i]);
                }
                w.write(record(ts[0], ids, ts, hs));
            }
            w.syncAll();
        }
        Collect c = new Collect();
        try (Wal w = Wal.open(dir, FsyncPolicy.ALWAYS, 1 << 20, 60_000, c)) {
            assertEquals(60, c.got.size());
        }
        // damage the middle record: replay skips it whole and keeps the one after it
        Path seg;
        try (var files = Files.list(dir)) {
            seg = files.filter(p -> WalFormat.parseSegmentName(p.getFileName().toString()) >= 0).sorted().findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(seg);
        int firstRecordLen = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getInt(WalFormat.SEGMENT_HEADER_BYTES + WalFormat.RECORD_LENGTH_OFFSET);
        segmentPosOfSecond = WalFormat.SEGMENT_HEADER_BYTES + WalFormat.RECORD_HEADER_BYTES + firstRecordLen;
        int victim = (int) segmentPosOfSecond + WalFormat.RECORD_HEADER_BYTES + 40;
        bytes[victim] ^= 0x10;
        Files.write(seg, bytes);
        Collect after = new Collect();
        try (Wal w = Wal.open(dir, FsyncPolicy.ALWAYS, 1 << 20, 60_000, after)) {
            assertEquals(1, w.replayResult().corruptions());
        }
        assertEquals(40, after.got.size());
        for (int i = 0; i < 40; i++) assertSame(written.get(i), after.got.get(i)[2]);
    }

    @Test
    void aReplayHandlerThatCannotStoreHistogramsFailsLoudly() throws IOException {
        try (Wal w = Wal.open(dir, FsyncPolicy.ALWAYS, 1 << 20, 60_000, new Collect())) {
            w.write(record(0, new int[] {1}, new long[] {0}, new Object[] {randomInt(new Random(3))}));
            w.syncAll();
        }
        WalReplayHandler floatsOnly = new WalReplayHandler() {
            @Override public void series(int id, Labels labels) {}
            @Override public void samples(ByteBuffer buf, int offset, int count) {}
            @Override public void sample(int id, long t, long valueBits) {}
            @Override public void seriesState(ByteBuffer buf, int offset, int count) {}
            @Override public void tombstones(ByteBuffer buf, int offset, int count) {}
        };
        assertThrows(UnsupportedOperationException.class, () -> Wal.open(dir, FsyncPolicy.ALWAYS, 1 << 20, 60_000, floatsOnly).close());
    }
}
