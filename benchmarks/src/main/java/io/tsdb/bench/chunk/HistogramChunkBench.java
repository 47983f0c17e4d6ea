package io.tsdb.bench.chunk;

import io.tsdb.core.chunk.ChunkCursor;
import io.tsdb.core.chunk.HistogramChunkAppender;
import io.tsdb.core.chunk.HistogramChunkFormat;
import io.tsdb.core.chunk.HistogramChunkIterator;
import io.tsdb.core.chunk.XorChunkAppender;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.histogram.Histogram;
import io.tsdb.core.histogram.Schemas;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Histogram chunk append and decode cost per histogram sample (ns/op = ns per sample), against float samples in
 * the same run. {@link #SAMPLES} scrapes of a client-style native histogram (log-normal latencies, schema 3, zero
 * threshold 2^-128; {@code perScrape} observations per scrape, so buckets fill in over time and chunks get
 * re-encoded when a bucket appears) in chunks of 120 samples; with {@code seed} each chunk starts from the previous
 * chunk's layout. {@code kind}: {@code int} and {@code float} are the two histogram chunk encodings; {@code xor} is
 * the float baseline: each histogram's count as a float counter sample at the same timestamp, in the head's XOR
 * chunk ({@link XorChunkAppender}) of the same 120 samples, read back with the {@link ChunkCursor} the querier uses
 * ({@code seed} does not apply to it). The loops are the same for all three kinds: append = reset a chunk and
 * append its samples one by one; decode = walk every chunk sample by sample into a reused holder.
 *
 * <pre>java --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED -jar benchmarks/target/benchmarks.jar HistogramChunkBench -p perScrape=10 -p seed=false -f 1 -wi 3 -i 5 -w 1s -r 1s</pre>
 * The set-up prints the average number of buckets per sample and bytes per sample.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", "-Dagrona.disable.bounds.checks=false"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class HistogramChunkBench {
    public static final int SAMPLES = 1200;
    public static final int PER_CHUNK = 120;

    @Param({"int", "float", "xor"})
    public String kind;

    @Param({"10", "100"})
    public int perScrape;

    /** Whether each chunk starts from the previous chunk's layout (HistogramChunkAppender.seedLayout), as a head would. */
    @Param({"false", "true"})
    public boolean seed;

    private Histogram[] hs;
    private FloatHistogram[] fs;
    private long[] ts;
    private UnsafeBuffer[] chunks;
    private final HistogramChunkAppender[] appenders = {new HistogramChunkAppender(), new HistogramChunkAppender()};
    private HistogramChunkAppender appender;
    private final HistogramChunkIterator iterator = new HistogramChunkIterator();
    private final ExpandableArrayBuffer buf = new ExpandableArrayBuffer(64 * 1024);
    private final XorChunkAppender xorAppender = new XorChunkAppender();
    private final ChunkCursor cursor = new ChunkCursor();
    private double[] counts;
    private boolean xor;
    private final Histogram outH = new Histogram();
    private final FloatHistogram outF = new FloatHistogram();
    private byte enc;

    @Setup(Level.Trial)
    public void setup() {
        xor = kind.equals("xor");
        enc = kind.equals("int") ? HistogramChunkFormat.ENC_HISTOGRAM : HistogramChunkFormat.ENC_FLOAT_HISTOGRAM;
        hs = latencyScrapes(1, perScrape, SAMPLES);
        fs = new FloatHistogram[SAMPLES];
        ts = new long[SAMPLES];
        counts = new double[SAMPLES];
        long buckets = 0;
        for (int i = 0; i < SAMPLES; i++) {
            buckets += hs[i].positiveCount;
            fs[i] = hs[i].toFloat(new FloatHistogram());
            counts[i] = hs[i].count;
            ts[i] = 1_700_000_000_000L + 15_000L * i;
        }
        int n = SAMPLES / PER_CHUNK;
        chunks = new UnsafeBuffer[n];
        long bytes = 0;
        for (int c = 0; c < n; c++) {
            byte[] b = new byte[appendChunk(c)];
            buf.getBytes(0, b);
            chunks[c] = new UnsafeBuffer(b);
            bytes += b.length;
        }
        if (xor) System.out.printf("%nxor floats (the histograms' counts), %d observations/scrape: %.2f bytes/sample%n",
                perScrape, bytes / (double) SAMPLES);
        else System.out.printf("%n%s histograms, %d observations/scrape: %.1f buckets/sample, %.2f bytes/sample%n",
                kind, perScrape, buckets / (double) SAMPLES, bytes / (double) SAMPLES);
    }

    /**
     * {@code n} scrapes of a client-style native histogram: log-normal latencies around 50 ms, schema 3, zero
     * threshold 2^-128, {@code perScrape} observations per scrape accumulated (a counter histogram whose buckets fill
     * in over time). Deterministic per seed. Shared by the storage-level histogram benchmarks.
     */
    public static Histogram[] latencyScrapes(long seed, int perScrape, int n) {
        Random rnd = new Random(seed);
        TreeMap<Integer, Long> pos = new TreeMap<>();
        long count = 0, zc = 0;
        double sum = 0, zt = Math.scalb(1.0, -128);
        Histogram[] out = new Histogram[n];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < perScrape; k++) {
                double v = 0.05 * Math.exp(rnd.nextGaussian());
                count++;
                sum += v;
                pos.merge(Schemas.bucketIndexOf(v, 3), 1L, Long::sum);
            }
            Histogram h = new Histogram();
            h.schema = 3;
            h.zeroThreshold = zt;
            h.zeroCount = zc;
            h.count = count;
            h.sum = sum;
            Integer last = null;
            long prev = 0;
            for (var e : pos.entrySet()) {
                int idx = e.getKey();
                if (last == null) h.positiveSpans.add(idx, 1);
                else if (idx == last + 1) h.positiveSpans.extendLast(1);
                else h.positiveSpans.add(idx - last - 1, 1);
                h.addPositiveDelta(e.getValue() - prev);
                prev = e.getValue();
                last = idx;
            }
            out[i] = h;
        }
        return out;
    }

    private int appendChunk(int c) {
        if (xor) {
            XorChunkAppender a = xorAppender.reset(buf, 0);
            boolean ok = true;
            for (int i = c * PER_CHUNK, end = i + PER_CHUNK; i < end; i++) ok &= a.append(ts[i], counts[i]);
            if (!ok) throw new IllegalStateException("xor chunk full");
            return a.sizeInBytes();
        }
        appender = appenders[c & 1];
        appender.reset(buf, 0, enc);
        if (seed && c > 0) appender.seedLayout(appenders[(c + 1) & 1]);
        int r = 0;
        for (int i = c * PER_CHUNK, end = i + PER_CHUNK; i < end; i++) {
            r |= enc == HistogramChunkFormat.ENC_HISTOGRAM ? appender.append(ts[i], hs[i]) : appender.append(ts[i], fs[i]);
        }
        if (r != HistogramChunkFormat.APPENDED) throw new IllegalStateException("unexpected cut " + r);
        return appender.sizeInBytes();
    }

    @Benchmark
    @OperationsPerInvocation(SAMPLES)
    public int append() {
        int bytes = 0;
        for (int c = 0; c < chunks.length; c++) bytes += appendChunk(c);
        return bytes;
    }

    @Benchmark
    @OperationsPerInvocation(SAMPLES)
    public void decode(Blackhole bh) {
        if (xor) {
            for (UnsafeBuffer chunk : chunks) {
                ChunkCursor cur = cursor.reset(chunk, 0, chunk.capacity());
                while (cur.next()) bh.consume(cur.value());
            }
            return;
        }
        for (UnsafeBuffer chunk : chunks) {
            iterator.reset(chunk, 0, chunk.capacity());
            while (iterator.next()) {
                if (enc == HistogramChunkFormat.ENC_HISTOGRAM) bh.consume(iterator.histogram(outH).count);
                else bh.consume(iterator.floatHistogram(outF).count);
            }
        }
    }
}
