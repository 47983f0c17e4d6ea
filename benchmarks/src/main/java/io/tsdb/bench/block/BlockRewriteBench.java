package io.tsdb.bench.block;

import io.tsdb.bench.TsbsCpuData;
import io.tsdb.core.Matcher;
import io.tsdb.core.RetentionRule;
import io.tsdb.core.block.BlockMeta;
import io.tsdb.core.block.BlockStore;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

/**
 * What deletions cost on blocks: delete_series (tombstones), clean_tombstones and a retention rule (both rewrite
 * the block) on one TSBS cpu-only shaped block.
 *
 * <pre>
 * mvn -q -B -DskipTests package -pl benchmarks -am
 * java -cp benchmarks/target/benchmarks.jar io.tsdb.bench.block.BlockRewriteBench [hosts=1000] [hours=2]
 *      [intervalSec=10] [fraction=10] [runs=3] [dir=/tmp/...]
 * </pre>
 * Each run uses a fresh block; the first runs include JIT warm-up.
 * {@code fraction}: one host in that many is deleted (then, in a fresh copy, expired by a retention rule). Reports
 * the wall time of each operation and the bytes the rewrite reads and writes; indicative only (not JMH).
 */
public final class BlockRewriteBench {
    public static void main(String[] args) throws Exception {
        int hosts = 1000, hours = 2, intervalSec = 10, fraction = 10, runs = 3;
        Path dir = null;
        for (String a : args) {
            String[] kv = a.replaceFirst("^--", "").split("=", 2);
            if (kv.length != 2) throw new IllegalArgumentException("expected key=value, got " + a);
            switch (kv[0]) {
                case "hosts" -> hosts = Integer.parseInt(kv[1]);
                case "hours" -> hours = Integer.parseInt(kv[1]);
                case "intervalSec" -> intervalSec = Integer.parseInt(kv[1]);
                case "fraction" -> fraction = Integer.parseInt(kv[1]);
                case "runs" -> runs = Integer.parseInt(kv[1]);
                case "dir" -> dir = Path.of(kv[1]);
                default -> throw new IllegalArgumentException("unknown option " + kv[0]);
            }
        }
        boolean tmp = dir == null;
        if (tmp) dir = Files.createTempDirectory("block-rewrite-bench");
        int perSeries = (int) (hours * 3600L / intervalSec);
        TsbsCpuData data = new TsbsCpuData(hosts, 1_700_000_000_000L, intervalSec * 1000L, perSeries, 42);
        // hosts whose number ends in 0 (fraction 10), in 00 (fraction 100), ...
        String suffix = "0".repeat(Math.max(1, (int) Math.round(Math.log10(fraction))));
        List<Matcher> sel = List.of(Matcher.re("hostname", "host_[0-9]*" + suffix));
        for (int run = 1; run <= runs; run++)
        for (String mode : List.of("delete_series + clean_tombstones", "retention rule")) {
            System.out.print("run " + run + ", ");
            Path d = dir.resolve(mode.startsWith("delete") ? "delete" : "rule").resolve("run" + run);
            try (BlockStore store = BlockStore.open(d)) {
                BlockMeta m = store.write(data.seriesSet(), data.startMs, data.endMs());
                long before = size(d);
                long t0 = System.nanoTime(), deleteNs = 0;
                int rewritten;
                if (mode.startsWith("delete")) {
                    long n = store.deleteSeries(List.of(sel), Long.MIN_VALUE, Long.MAX_VALUE);
                    deleteNs = System.nanoTime() - t0;
                    System.out.printf("%s: %,d series x %,d samples = %,d samples, block %,d B%n", mode, m.numSeries(),
                            perSeries, m.numSamples(), before);
                    System.out.printf("  delete_series: %,d series tombstoned in %.1f ms (tombstones file %,d B)%n", n, deleteNs / 1e6,
                            Files.size(d.resolve(m.ulid()).resolve("tombstones")));
                    t0 = System.nanoTime();
                    rewritten = store.cleanTombstones();
                } else {
                    System.out.printf("%s: same block, rule %s:1h applied 1 h after its end%n", mode, sel);
                    rewritten = store.applyRetentionRules(List.of(new RetentionRule("{hostname=~...}:1h", sel, Duration.ofHours(1))),
                            data.endMs() + 3_600_001L);
                }
                long rewriteNs = System.nanoTime() - t0;
                BlockMeta out = store.blocks().get(0).meta();
                long after = size(d);
                if (rewritten != 1) throw new IllegalStateException("expected one rewrite, got " + rewritten);
                System.out.printf("  rewrite: %,d -> %,d samples (%,d series left), %,d B read, %,d B written, %.2f s = %.1fM samples/s read, %.1f MB/s written%n",
                        m.numSamples(), out.numSamples(), out.numSeries(), before, after, rewriteNs / 1e9,
                        m.numSamples() / (rewriteNs / 1e9) / 1e6, after / (rewriteNs / 1e9) / 1e6);
            }
        }
        if (tmp) {
            try (Stream<Path> w = Files.walk(dir)) {
                w.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static long size(Path d) throws Exception {
        try (Stream<Path> s = Files.walk(d)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> {
                try { return Files.size(p); } catch (Exception e) { throw new RuntimeException(e); }
            }).sum();
        }
    }
}
