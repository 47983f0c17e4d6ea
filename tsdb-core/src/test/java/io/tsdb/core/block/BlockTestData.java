package io.tsdb.core.block;

import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SampleCursor;
import io.tsdb.core.SeriesSet;
import io.tsdb.core.StaleNaN;
import io.tsdb.core.testing.MemStorage;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Deterministic random test data and helpers to compare queriers. */
final class BlockTestData {
    static final String[] JOBS = {"api", "db", "web", "batch"};
    static final String[] ZONES = {"eu-1", "us-1", "us-2", "ap-3", "eu-2"};
    static final String[] METRICS = {"http_requests_total", "cpu_usage", "mem_bytes", "up"};

    private BlockTestData() {}

    /** Fills {@code mem} with {@code nSeries} random series in [t0, t0 + span]. */
    static MemStorage randomStorage(long seed, int nSeries, long t0, long span) {
        Random r = new Random(seed);
        MemStorage mem = new MemStorage();
        for (int s = 0; s < nSeries; s++) {
            List<String> kv = new ArrayList<>(List.of(
                    "__name__", METRICS[r.nextInt(METRICS.length)],
                    "instance", "host-" + r.nextInt(nSeries),
                    "job", JOBS[r.nextInt(JOBS.length)]));
            if (r.nextBoolean()) { kv.add("zone"); kv.add(ZONES[r.nextInt(ZONES.length)]); }
            if (r.nextInt(5) == 0) { kv.add("path"); kv.add("/p/" + r.nextInt(7) + (r.nextBoolean() ? "" : "/x")); }
            if (r.nextInt(9) == 0) { kv.add("odd"); kv.add("ünïcode \"q\" " + r.nextInt(3)); }
            Labels labels = Labels.of(kv.toArray(new String[0]));
            int kind = r.nextInt(5);
            int n = 1 + r.nextInt(r.nextInt(10) == 0 ? 3000 : 300);
            long t = t0 + r.nextInt(1000);
            long step = 1 + r.nextInt(30_000);
            double v = r.nextInt(100);
            for (int i = 0; i < n && t <= t0 + span; i++) {
                double val = switch (kind) {
                    case 0 -> v += r.nextInt(3) - 1;                     // integer random walk
                    case 1 -> v += r.nextGaussian();                     // float random walk
                    case 2 -> r.nextInt(20) == 0 ? StaleNaN.VALUE : r.nextInt(10) == 0 ? Double.NaN : v;
                    case 3 -> switch (r.nextInt(6)) {                    // special values
                        case 0 -> Double.POSITIVE_INFINITY; case 1 -> Double.NEGATIVE_INFINITY;
                        case 2 -> -0.0; case 3 -> Double.MAX_VALUE; case 4 -> 1e300 * r.nextGaussian();
                        default -> (double) (r.nextLong() >> r.nextInt(64)); };
                    default -> v += r.nextInt(1000);                     // counter
                };
                mem.add(labels, t, val);
                t += r.nextInt(4) == 0 ? 1 + r.nextInt(3 * (int) step) : step;
            }
        }
        return mem;
    }

    /** A list-backed SeriesSet (series must be sorted); for writer edge cases. */
    static SeriesSet seriesSet(List<Labels> labels, List<long[]> ts, List<double[]> vs) {
        return seriesSet(labels, ts, vs, null);
    }

    /** As {@link #seriesSet(List, List, List)} with storage-wide series ids (null: unknown, -1). */
    static SeriesSet seriesSet(List<Labels> labels, List<long[]> ts, List<double[]> vs, int[] ids) {
        return new SeriesSet() {
            int s = -1;
            @Override public boolean next() { return ++s < labels.size(); }
            @Override public Labels labels() { return labels.get(s); }
            @Override public int seriesId() { return ids == null ? -1 : ids[s]; }
            @Override public SampleCursor cursor() {
                long[] t = ts.get(s);
                double[] v = vs.get(s);
                return new SampleCursor() {
                    int i = -1;
                    @Override public boolean next() { return ++i < t.length; }
                    @Override public boolean seek(long x) {
                        if (i < 0) i = 0;
                        while (i < t.length && t[i] < x) i++;
                        return i < t.length;
                    }
                    @Override public long timestamp() { return t[i]; }
                    @Override public double value() { return v[i]; }
                };
            }
        };
    }

    /** Asserts both queriers return identical series and bit-identical samples. */
    static long assertSameSeries(Querier expected, Querier actual, List<Matcher> ms) {
        SeriesSet e = expected.select(ms), a = actual.select(ms);
        long samples = 0;
        while (e.next()) {
            assertTrue(a.next(), "missing series " + e.labels());
            assertEquals(e.labels(), a.labels());
            SampleCursor ec = e.cursor(), ac = a.cursor();
            while (ec.next()) {
                assertTrue(ac.next(), "missing sample in " + e.labels() + " at " + ec.timestamp());
                assertEquals(ec.timestamp(), ac.timestamp(), "timestamp in " + e.labels());
                assertEquals(Double.doubleToRawLongBits(ec.value()), Double.doubleToRawLongBits(ac.value()),
                        "value bits in " + e.labels() + " at " + ec.timestamp() + ": " + ec.value() + " vs " + ac.value());
                samples++;
            }
            assertFalse(ac.next(), "extra sample in " + e.labels());
        }
        assertFalse(a.next(), () -> "extra series " + a.labels());
        return samples;
    }
}
