package io.tsdb.bench.harness;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * TSBS "cpu-only" shaped data: {@code hosts} hosts, each with the ten TSBS host tags, and ten metrics
 * {@code cpu_usage_user} ... {@code cpu_usage_guest_nice}; values are integer-valued random walks clamped to
 * 0..100; one sample every {@code intervalMs}. Deterministic for a given seed, so every database under test
 * receives identical data.
 */
final class TsbsCpuData {
    static final String[] FIELDS = {"usage_user", "usage_system", "usage_idle", "usage_nice", "usage_iowait",
            "usage_irq", "usage_softirq", "usage_steal", "usage_guest", "usage_guest_nice"};
    static final String[] REGIONS = {"us-east-1", "us-west-1", "us-west-2", "eu-west-1", "eu-central-1",
            "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "sa-east-1"};
    static final String[] OS = {"Ubuntu16.10", "Ubuntu16.04LTS", "Ubuntu15.10"};
    static final String[] ARCH = {"x64", "x86"};
    static final String[] TEAM = {"SF", "NYC", "LON", "CHI"};
    static final String[] ENV = {"production", "staging", "test"};

    final int hosts;
    final long startMs;
    final long intervalMs;
    final int points;
    /** [host][field] -> sorted label pairs name0, value0, ... (metric name first as __name__). */
    final String[][][] labels;
    private final long seed;

    TsbsCpuData(int hosts, long startMs, long intervalMs, int points, long seed) {
        this.hosts = hosts;
        this.startMs = startMs;
        this.intervalMs = intervalMs;
        this.points = points;
        this.seed = seed;
        this.labels = new String[hosts][FIELDS.length][];
        SplittableRandom r = new SplittableRandom(seed);
        for (int h = 0; h < hosts; h++) {
            String region = REGIONS[r.nextInt(REGIONS.length)];
            String[] tags = {
                    "arch", ARCH[r.nextInt(ARCH.length)],
                    "datacenter", region + (char) ('a' + r.nextInt(3)),
                    "hostname", "host_" + h,
                    "os", OS[r.nextInt(OS.length)],
                    "rack", Integer.toString(r.nextInt(100)),
                    "region", region,
                    "service", Integer.toString(r.nextInt(20)),
                    "service_environment", ENV[r.nextInt(ENV.length)],
                    "service_version", Integer.toString(r.nextInt(2)),
                    "team", TEAM[r.nextInt(TEAM.length)],
            };
            for (int f = 0; f < FIELDS.length; f++) {
                String[] kv = new String[2 + tags.length];
                kv[0] = "__name__";
                kv[1] = "cpu_" + FIELDS[f];
                System.arraycopy(tags, 0, kv, 2, tags.length);
                labels[h][f] = kv;
            }
        }
    }

    int seriesCount() { return hosts * FIELDS.length; }

    long totalSamples() { return (long) seriesCount() * points; }

    long endMs() { return startMs + (long) (points - 1) * intervalMs; }

    /** The random-walk values of one series, all points (deterministic per host and field). */
    double[] values(int host, int field) {
        SplittableRandom r = new SplittableRandom(seed * 1_000_003L + host * 31L + field);
        double[] v = new double[points];
        long x = r.nextInt(101);
        for (int i = 0; i < points; i++) {
            x += r.nextInt(3) - 1;
            if (x < 0) x = 0;
            if (x > 100) x = 100;
            v[i] = x;
        }
        return v;
    }

    /** Hosts owned by sender {@code k} of {@code senders} (disjoint, covering all). */
    List<Integer> hostsOf(int k, int senders) {
        List<Integer> out = new ArrayList<>();
        for (int h = k; h < hosts; h += senders) out.add(h);
        return out;
    }
}
