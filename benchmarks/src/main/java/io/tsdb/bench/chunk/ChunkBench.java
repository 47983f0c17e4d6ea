package io.tsdb.bench.chunk;

import io.tsdb.core.chunk.ChunkCursor;
import io.tsdb.core.chunk.ChunkDecoder;
import io.tsdb.core.chunk.ChunkEncoder;
import io.tsdb.core.chunk.XorChunkAppender;
import java.util.Arrays;
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
 * Chunk encode/decode cost per sample. Each invocation processes {@link #SAMPLES} samples of one
 * pattern cut into chunks of {@code chunkSize}, so the reported ns/op is ns/sample.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar ChunkBench -f 1 -wi 2 -i 3</pre>
 * The set-up prints bytes per sample of each pattern (columnar and head encodings) to the fork's output.
 * Agrona 2 needs {@code --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED}; the fork gets it below.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", "-Dagrona.disable.bounds.checks=false"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class ChunkBench {
    public static final int SAMPLES = 7200;

    @Param({"constant", "intWalk", "floatWalk", "counter", "jitteredTs"})
    public String pattern;

    @Param({"720"})
    public int chunkSize;

    private long[][] ts;
    private double[][] vs;
    private UnsafeBuffer[] columnar;
    private UnsafeBuffer[] head;
    private final ChunkEncoder encoder = new ChunkEncoder();
    private final ChunkDecoder decoder = new ChunkDecoder();
    private final ChunkCursor cursor = new ChunkCursor();
    private final XorChunkAppender appender = new XorChunkAppender();
    private final ExpandableArrayBuffer headBuf = new ExpandableArrayBuffer(16 * 1024);
    private long[] outTs;
    private double[] outVs;

    @Setup(Level.Trial)
    public void setup() {
        long[] allTs = Patterns.timestamps(pattern, SAMPLES, 1);
        double[] allVs = Patterns.values(pattern, SAMPLES, 1);
        int chunks = (SAMPLES + chunkSize - 1) / chunkSize;
        ts = new long[chunks][];
        vs = new double[chunks][];
        columnar = new UnsafeBuffer[chunks];
        head = new UnsafeBuffer[chunks];
        for (int c = 0; c < chunks; c++) {
            int from = c * chunkSize, to = Math.min(SAMPLES, from + chunkSize);
            ts[c] = Arrays.copyOfRange(allTs, from, to);
            vs[c] = Arrays.copyOfRange(allVs, from, to);
            int len = encoder.encode(ts[c], vs[c], to - from);
            columnar[c] = new UnsafeBuffer(Arrays.copyOf(encoder.array(), len));
            appender.reset(headBuf, 0);
            for (int i = 0; i < ts[c].length; i++) appender.append(ts[c][i], vs[c][i]);
            byte[] h = new byte[appender.sizeInBytes()];
            headBuf.getBytes(0, h);
            head[c] = new UnsafeBuffer(h);
        }
        long colBytes = 0, headBytes = 0;
        for (int c = 0; c < chunks; c++) { colBytes += columnar[c].capacity(); headBytes += head[c].capacity(); }
        System.out.printf("%n[bytes/sample] pattern=%s chunkSize=%d columnar=%.3f head-xor=%.3f%n",
            pattern, chunkSize, (double) colBytes / SAMPLES, (double) headBytes / SAMPLES);
        outTs = new long[chunkSize];
        outVs = new double[chunkSize];
    }

    /** Closed-chunk encoding (columnar, codec chosen per chunk) from arrays. */
    @Benchmark
    @OperationsPerInvocation(SAMPLES)
    public int encodeColumnar() {
        int total = 0;
        for (int c = 0; c < ts.length; c++) total += encoder.encode(ts[c], vs[c], ts[c].length);
        return total;
    }

    /** Head appends (streaming XOR), one sample at a time. */
    @Benchmark
    @OperationsPerInvocation(SAMPLES)
    public int appendHead() {
        int total = 0;
        for (int c = 0; c < ts.length; c++) {
            XorChunkAppender a = appender.reset(headBuf, 0);
            long[] t = ts[c];
            double[] v = vs[c];
            for (int i = 0; i < t.length; i++) a.append(t[i], v[i]);
            total += a.sizeInBytes();
        }
        return total;
    }

    /** Bulk decode of closed chunks into arrays. */
    @Benchmark
    @OperationsPerInvocation(SAMPLES)
    public void decodeColumnar(Blackhole bh) {
        for (UnsafeBuffer b : columnar) {
            int n = decoder.decode(b, 0, b.capacity(), outTs, outVs);
            bh.consume(outTs[n - 1]);
            bh.consume(outVs[n - 1]);
        }
    }

    /** Bulk decode of head (XOR stream) chunks into arrays. */
    @Benchmark
    @OperationsPerInvocation(SAMPLES)
    public void decodeHead(Blackhole bh) {
        for (UnsafeBuffer b : head) {
            int n = decoder.decode(b, 0, b.capacity(), outTs, outVs);
            bh.consume(outTs[n - 1]);
            bh.consume(outVs[n - 1]);
        }
    }

    /** Decode through the SampleCursor and sum, the way a simple reader would. */
    @Benchmark
    @OperationsPerInvocation(SAMPLES)
    public double cursorColumnar() {
        double sum = 0;
        long tsum = 0;
        for (UnsafeBuffer b : columnar) {
            ChunkCursor cur = cursor.reset(b, 0, b.capacity());
            while (cur.next()) { tsum += cur.timestamp(); sum += cur.value(); }
        }
        return sum + tsum;
    }
}
