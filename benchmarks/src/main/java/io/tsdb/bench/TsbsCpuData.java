package io.tsdb.bench;

import io.tsdb.core.Labels;
import io.tsdb.core.SampleCursor;
import io.tsdb.core.SeriesSet;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * TSBS "cpu-only" shaped data, shared by the block benchmarks and the side-by-side harness: {@code hosts}
 * hosts, each with the ten TSBS host tags, and ten metrics {@code cpu_usage_user} ... {@code cpu_usage_guest_nice};
 * each series is an integer-valued random walk in 0..100 (Gaussian steps, clamped, rounded), one sample every
 * {@code intervalMs}. Deterministic for a given seed, so every run (and every database under test) receives
 * identical data. Values are generated on the fly ({@link #seriesSet()}, no allocation per sample) or per
 * series ({@link #values}); both give the same numbers.
 */
public final class TsbsCpuData {
    public static final String[] FIELDS = {"usage_user", "usage_system", "usage_idle", "usage_nice", "usage_iowait",
            "usage_irq", "usage_softirq", "usage_steal", "usage_guest", "usage_guest_nice"};
    static final String[] REGIONS = {"us-east-1", "us-west-1", "us-west-2", "eu-west-1", "eu-central-1",
            "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "sa-east-1"};
    static final String[] OS = {"Ubuntu16.10", "Ubuntu16.04LTS", "Ubuntu15.10"};
    static final String[] ARCH = {"x64", "x86"};
    static final String[] TEAM = {"SF", "NYC", "LON", "CHI"};
    static final String[] ENV = {"production", "staging", "test"};

    public final int hosts;
    public final long startMs;
    public final long intervalMs;
    /** Samples per series. */
    public final int points;
    /** [host][field] -> label pairs sorted by name: name0, value0, ... ({@code __name__} first). */
    public final String[][][] labels;
    private final long[][] seeds;          // [host][field] -> seed of the series' walk
    private final Labels[] sorted;         // all series in label order
    private final long[] sortedSeeds;      // per sorted series

    public TsbsCpuData(int hosts, long startMs, long intervalMs, int points, long seed) {
        this.hosts = hosts;
        this.startMs = startMs;
        this.intervalMs = intervalMs;
        this.points = points;
        this.labels = new String[hosts][FIELDS.length][];
        this.seeds = new long[hosts][FIELDS.length];
        Random r = new Random(seed);
        List<Labels> all = new ArrayList<>(hosts * FIELDS.length);
        for (int h = 0; h < hosts; h++) {
            String region = REGIONS[r.nextInt(REGIONS.length)];
            String datacenter = region + (char) ('a' + r.nextInt(3));
            String rack = Integer.toString(r.nextInt(100));
            String os = OS[r.nextInt(OS.length)];
            String arch = ARCH[r.nextInt(ARCH.length)];
            String team = TEAM[r.nextInt(TEAM.length)];
            String service = Integer.toString(r.nextInt(20));
            String version = Integer.toString(r.nextInt(2));
            String env = ENV[r.nextInt(ENV.length)];
            String[] tags = {   // sorted by name
                    "arch", arch, "datacenter", datacenter, "hostname", "host_" + h, "os", os, "rack", rack,
                    "region", region, "service", service, "service_environment", env, "service_version", version,
                    "team", team};
            for (int f = 0; f < FIELDS.length; f++) {
                String[] kv = new String[2 + tags.length];
                kv[0] = Labels.METRIC_NAME;
                kv[1] = "cpu_" + FIELDS[f];
                System.arraycopy(tags, 0, kv, 2, tags.length);
                labels[h][f] = kv;
                Labels l = Labels.of(kv);
                seeds[h][f] = seed * 31 + l.hashCode();
                all.add(l);
            }
        }
        all.sort(null);
        sorted = all.toArray(new Labels[0]);
        sortedSeeds = new long[sorted.length];
        for (int i = 0; i < sorted.length; i++) sortedSeeds[i] = seed * 31 + sorted[i].hashCode();
    }

    public int seriesCount() { return hosts * FIELDS.length; }

    public long sampleCount() { return (long) seriesCount() * points; }

    /** Timestamp of the last sample. */
    public long endMs() { return startMs + (long) (points - 1) * intervalMs; }

    /** The values of one series, all points (the same numbers {@link #seriesSet()} yields for it). */
    public double[] values(int host, int field) {
        WalkCursor c = new WalkCursor();
        c.reset(seeds[host][field]);
        double[] v = new double[points];
        for (int i = 0; c.next(); i++) v[i] = c.value();
        return v;
    }

    /** Hosts owned by sender {@code k} of {@code senders} (disjoint, covering all). */
    public List<Integer> hostsOf(int k, int senders) {
        List<Integer> out = new ArrayList<>();
        for (int h = k; h < hosts; h += senders) out.add(h);
        return out;
    }

    /** All series in label order, all samples. */
    public SeriesSet seriesSet() {
        return new SeriesSet() {
            int s = -1;
            final WalkCursor cursor = new WalkCursor();
            @Override public boolean next() { return ++s < sorted.length; }
            @Override public Labels labels() { return sorted[s]; }
            @Override public SampleCursor cursor() { cursor.reset(sortedSeeds[s]); return cursor; }
        };
    }

    /** Deterministic integer random walk; no allocation per sample. */
    private final class WalkCursor implements SampleCursor {
        private final Random r = new Random();
        private int i;
        private double x, v;

        void reset(long seed) {
            r.setSeed(seed);
            x = r.nextDouble() * 100;
            i = -1;
        }

        @Override public boolean next() {
            if (++i >= points) return false;
            x = Math.max(0, Math.min(100, x + r.nextGaussian()));
            v = Math.rint(x);
            return true;
        }

        @Override public boolean seek(long t) {
            if (i < 0 && !next()) return false;
            while (timestamp() < t) if (!next()) return false;
            return true;
        }

        @Override public long timestamp() { return startMs + i * intervalMs; }
        @Override public double value() { return v; }
    }
}
