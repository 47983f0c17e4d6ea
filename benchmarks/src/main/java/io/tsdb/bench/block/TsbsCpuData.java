package io.tsdb.bench.block;

import io.tsdb.core.Labels;
import io.tsdb.core.SampleCursor;
import io.tsdb.core.SeriesSet;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * TSBS cpu-only shaped data, generated on the fly (never materialised): {@code hosts} hosts with the 10 TSBS
 * host tags, 10 metrics {@code cpu_usage_user ... cpu_usage_guest_nice}, each series an integer-valued random
 * walk in 0..100 (Gaussian steps, clamped, rounded) sampled every {@code intervalMs}. Fixed seeds.
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

    private final Labels[] labels;   // sorted
    private final long[] seeds;      // per sorted series
    private final long start, intervalMs;
    private final int samplesPerSeries;

    public TsbsCpuData(int hosts, long start, long intervalMs, int samplesPerSeries, long seed) {
        this.start = start;
        this.intervalMs = intervalMs;
        this.samplesPerSeries = samplesPerSeries;
        Random r = new Random(seed);
        List<Labels> all = new ArrayList<>();
        for (int h = 0; h < hosts; h++) {
            String region = REGIONS[r.nextInt(REGIONS.length)];
            String[] host = {
                    "hostname", "host_" + h, "region", region, "datacenter", region + (char) ('a' + r.nextInt(3)),
                    "rack", Integer.toString(r.nextInt(100)), "os", OS[r.nextInt(OS.length)], "arch", ARCH[r.nextInt(ARCH.length)],
                    "team", TEAM[r.nextInt(TEAM.length)], "service", Integer.toString(r.nextInt(20)),
                    "service_version", Integer.toString(r.nextInt(2)), "service_environment", ENV[r.nextInt(ENV.length)]};
            for (String f : FIELDS) {
                String[] kv = Arrays.copyOf(host, host.length + 2);
                kv[host.length] = Labels.METRIC_NAME;
                kv[host.length + 1] = "cpu_" + f;
                all.add(Labels.of(kv));
            }
        }
        all.sort(null);
        labels = all.toArray(new Labels[0]);
        seeds = new long[labels.length];
        for (int i = 0; i < seeds.length; i++) seeds[i] = seed * 31 + labels[i].hashCode();
    }

    public int seriesCount() { return labels.length; }
    public long sampleCount() { return (long) labels.length * samplesPerSeries; }
    public long start() { return start; }
    public long end() { return start + (samplesPerSeries - 1) * intervalMs; }

    /** All series in label order, samples in [from, to]. */
    public SeriesSet seriesSet() {
        return new SeriesSet() {
            int s = -1;
            final WalkCursor cursor = new WalkCursor();
            @Override public boolean next() { return ++s < labels.length; }
            @Override public Labels labels() { return labels[s]; }
            @Override public SampleCursor cursor() { cursor.reset(seeds[s]); return cursor; }
        };
    }

    /** Deterministic integer random walk; no allocation per sample. */
    final class WalkCursor implements SampleCursor {
        private final Random r = new Random();
        private int i;
        private double x, v;

        void reset(long seed) {
            r.setSeed(seed);
            x = r.nextDouble() * 100;
            i = -1;
        }

        @Override public boolean next() {
            if (++i >= samplesPerSeries) return false;
            x = Math.max(0, Math.min(100, x + r.nextGaussian()));
            v = Math.rint(x);
            return true;
        }

        @Override public boolean seek(long t) {
            if (i < 0 && !next()) return false;
            while (timestamp() < t) if (!next()) return false;
            return true;
        }

        @Override public long timestamp() { return start + i * intervalMs; }
        @Override public double value() { return v; }
    }
}
