package io.tsdb.bench.block;

import io.tsdb.bench.TsbsCpuData;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SampleCursor;
import io.tsdb.core.SeriesSet;
import io.tsdb.core.block.Block;
import io.tsdb.core.block.BlockChunkCodec;
import io.tsdb.core.block.BlockMeta;
import io.tsdb.core.block.BlockWriter;
import io.tsdb.core.block.ChunkCodecs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Bytes per sample of an on-disk block (index + chunks + meta.json) for TSBS cpu-only shaped data.
 *
 * <pre>
 * mvn -q -B -DskipTests package -pl benchmarks -am
 * java -cp benchmarks/target/benchmarks.jar io.tsdb.bench.block.BlockSizeBench [hosts=1000] [hours=12]
 *      [intervalSec=10] [chunk=1024] [codec=2] [dir=/tmp/...] [verify=true]
 * </pre>
 * Also reports write time and, with verify=true, a full decode of every sample (checked against the
 * generator) and its speed; timings are indicative only (not JMH).
 */
public final class BlockSizeBench {
    public static void main(String[] args) throws Exception {
        int hosts = 1000, hours = 12, intervalSec = 10, chunk = BlockWriter.DEFAULT_MAX_SAMPLES_PER_CHUNK, codecId = ChunkCodecs.defaultCodec().id();
        boolean verify = true;
        Path dir = null;
        for (String a : args) {
            String[] kv = a.replaceFirst("^--", "").split("=", 2);
            if (kv.length != 2) throw new IllegalArgumentException("expected key=value, got " + a);
            switch (kv[0]) {
                case "hosts" -> hosts = Integer.parseInt(kv[1]);
                case "hours" -> hours = Integer.parseInt(kv[1]);
                case "intervalSec" -> intervalSec = Integer.parseInt(kv[1]);
                case "chunk" -> chunk = Integer.parseInt(kv[1]);
                case "codec" -> codecId = Integer.parseInt(kv[1]);
                case "dir" -> dir = Path.of(kv[1]);
                case "verify" -> verify = Boolean.parseBoolean(kv[1]);
                default -> throw new IllegalArgumentException("unknown option " + kv[0]);
            }
        }
        BlockChunkCodec codec = ChunkCodecs.byId(codecId);
        if (codec == null) throw new IllegalArgumentException("unknown codec id " + codecId);
        boolean tmp = dir == null;
        if (tmp) dir = Files.createTempDirectory("block-size-bench");
        int perSeries = (int) (hours * 3600L / intervalSec);
        TsbsCpuData data = new TsbsCpuData(hosts, 1_700_000_000_000L, intervalSec * 1000L, perSeries, 42);
        long t0 = System.nanoTime();
        BlockMeta meta = new BlockWriter(dir).codec(codec).maxSamplesPerChunk(chunk).write(data.seriesSet(), data.startMs, data.endMs());
        long writeNs = System.nanoTime() - t0;
        Path b = dir.resolve(meta.ulid());
        long index = Files.size(b.resolve("index")), metaBytes = Files.size(b.resolve(BlockMeta.FILE)), chunks;
        try (Stream<Path> s = Files.list(b.resolve("chunks"))) {
            chunks = s.mapToLong(p -> { try { return Files.size(p); } catch (Exception e) { throw new RuntimeException(e); } }).sum();
        }
        long total = index + chunks + metaBytes;
        System.out.printf("TSBS cpu-only: %d hosts, %d series, %d samples (%d h @ %d s), codec %s, <= %d samples/chunk, %d chunks%n",
                hosts, meta.numSeries(), meta.numSamples(), hours, intervalSec, codec.name(), chunk, meta.numChunks());
        System.out.printf("index %,d B (%.4f B/sample), chunks %,d B (%.4f B/sample), meta %,d B%n",
                index, (double) index / meta.numSamples(), chunks, (double) chunks / meta.numSamples(), metaBytes);
        System.out.printf("TOTAL %,d B = %.4f bytes/sample  (write %.1f s)%n", total, (double) total / meta.numSamples(), writeNs / 1e9);
        if (meta.numSamples() != data.sampleCount()) throw new IllegalStateException("sample count mismatch: " + meta.numSamples());
        if (verify) {
            long n = 0;
            double sum = 0, expSum = 0;
            t0 = System.nanoTime();
            try (Block blk = Block.open(b); Querier q = blk.querier(data.startMs, data.endMs())) {
                SeriesSet s = q.select(List.of(Matcher.re("__name__", "cpu_.*")));
                while (s.next()) {
                    SampleCursor c = s.cursor();
                    while (c.next()) { sum += c.value(); n++; }
                }
            }
            long readNs = System.nanoTime() - t0;
            SeriesSet e = data.seriesSet();
            while (e.next()) { SampleCursor c = e.cursor(); while (c.next()) expSum += c.value(); }
            if (n != data.sampleCount() || sum != expSum) throw new IllegalStateException("read back " + n + " samples, sum " + sum + " expected " + expSum);
            System.out.printf("read back and verified %,d samples in %.2f s (%.1f ns/sample incl. selection)%n", n, readNs / 1e9, (double) readNs / n);
        }
        if (tmp) {
            try (Stream<Path> w = Files.walk(dir)) {
                w.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
