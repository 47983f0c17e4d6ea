package io.tsdb.server.rules.unittest;

import io.tsdb.core.AppendStatus;
import io.tsdb.core.Appender;
import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SampleCursor;
import io.tsdb.core.SeriesSet;
import io.tsdb.core.Storage;
import io.tsdb.core.StorageStats;
import io.tsdb.core.registry.LabelValidator;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The in-memory storage a rule unit test runs on (promtool runs each test group on a fresh temporary TSDB): series
 * in label order, samples in time order, any timestamp accepted (the tests span 1970 to 2262), a sample at an
 * existing timestamp replacing it. Single-threaded use; nothing is persisted.
 */
final class TestStorage implements Storage {
    private final TreeMap<Labels, Series> series = new TreeMap<>();

    private static final class Series {
        long[] t = new long[8];
        double[] v = new double[8];
        int n;

        void put(long ts, double val) {
            if (n > 0 && ts > t[n - 1]) {
                if (n == t.length) grow();
                t[n] = ts;
                v[n++] = val;
                return;
            }
            int i = Arrays.binarySearch(t, 0, n, ts);
            if (i >= 0) {
                v[i] = val;
                return;
            }
            i = -i - 1;
            if (n == t.length) grow();
            System.arraycopy(t, i, t, i + 1, n - i);
            System.arraycopy(v, i, v, i + 1, n - i);
            t[i] = ts;
            v[i] = val;
            n++;
        }

        private void grow() {
            t = Arrays.copyOf(t, n * 2);
            v = Arrays.copyOf(v, n * 2);
        }
    }

    void add(Labels l, long ts, double v) {
        series.computeIfAbsent(l, k -> new Series()).put(ts, v);
    }

    /** Every series and its samples in [mint, maxt] (the --debug dump). */
    Map<Labels, List<double[]>> dump(long mint, long maxt) {
        Map<Labels, List<double[]>> out = new TreeMap<>();
        for (Map.Entry<Labels, Series> e : series.entrySet()) {
            List<double[]> pts = new ArrayList<>();
            Series s = e.getValue();
            for (int i = 0; i < s.n; i++) if (s.t[i] >= mint && s.t[i] <= maxt) pts.add(new double[]{s.t[i], s.v[i]});
            if (!pts.isEmpty()) out.put(e.getKey(), pts);
        }
        return out;
    }

    @Override public Appender appender() {
        return new Appender() {
            final List<Object[]> staged = new ArrayList<>();
            String lastError;

            @Override public AppendStatus append(Labels labels, long ts, double val) {
                String name = labels.metricName();
                if (name == null || !LabelValidator.isValidMetricName(name)) {
                    lastError = "invalid metric name in " + labels;
                    return AppendStatus.INVALID_METRIC_NAME;
                }
                staged.add(new Object[]{labels, ts, val});
                return AppendStatus.OK;
            }

            @Override public String lastError() { return lastError; }

            @Override public int pending() { return staged.size(); }

            @Override public void commit() {
                for (Object[] s : staged) add((Labels) s[0], (Long) s[1], (Double) s[2]);
                staged.clear();
            }

            @Override public void rollback() { staged.clear(); }
        };
    }

    @Override public Querier querier(long mint, long maxt) {
        return new Querier() {
            private List<Map.Entry<Labels, Series>> matching(List<Matcher> ms) {
                List<Map.Entry<Labels, Series>> out = new ArrayList<>();
                outer:
                for (Map.Entry<Labels, Series> e : series.entrySet()) {
                    for (Matcher m : ms) if (!m.matches(e.getKey())) continue outer;
                    Series s = e.getValue();
                    int i = lowerBound(s, mint);
                    if (i < s.n && s.t[i] <= maxt) out.add(e);
                }
                return out;
            }

            @Override public SeriesSet select(List<Matcher> ms) {
                List<Map.Entry<Labels, Series>> m = matching(ms);
                return new SeriesSet() {
                    int i = -1;

                    @Override public boolean next() { return ++i < m.size(); }

                    @Override public Labels labels() { return m.get(i).getKey(); }

                    @Override public SampleCursor cursor() { return new Cursor(m.get(i).getValue(), mint, maxt); }
                };
            }

            @Override public long seriesCount(List<Matcher> ms) { return matching(ms).size(); }

            @Override public long sampleEstimate(List<Matcher> ms) {
                long n = 0;
                for (Map.Entry<Labels, Series> e : matching(ms)) n += e.getValue().n;
                return n;
            }

            @Override public List<String> labelNames(List<Matcher> ms) {
                TreeSet<String> out = new TreeSet<>();
                for (Map.Entry<Labels, Series> e : matching(ms)) {
                    for (int i = 0; i < e.getKey().size(); i++) out.add(e.getKey().name(i));
                }
                return new ArrayList<>(out);
            }

            @Override public List<String> labelValues(String name, List<Matcher> ms) {
                TreeSet<String> out = new TreeSet<>();
                for (Map.Entry<Labels, Series> e : matching(ms)) {
                    String v = e.getKey().get(name);
                    if (v != null) out.add(v);
                }
                return new ArrayList<>(out);
            }

            @Override public void close() { }
        };
    }

    private static int lowerBound(Series s, long t) {
        int lo = 0, hi = s.n;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (s.t[mid] < t) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    private static final class Cursor implements SampleCursor {
        private final Series s;
        private final long maxt;
        private int i;

        Cursor(Series s, long mint, long maxt) {
            this.s = s;
            this.maxt = maxt;
            this.i = lowerBound(s, mint) - 1;
        }

        @Override public boolean next() {
            if (i + 1 < s.n && s.t[i + 1] <= maxt) {
                i++;
                return true;
            }
            i = s.n;
            return false;
        }

        @Override public boolean seek(long t) {
            if (i >= 0 && i < s.n && s.t[i] >= t) return true;
            int j = Math.max(i + 1, lowerBound(s, t));
            if (j < s.n && s.t[j] <= maxt) {
                i = j;
                return true;
            }
            i = s.n;
            return false;
        }

        @Override public long timestamp() { return s.t[i]; }

        @Override public double value() { return s.v[i]; }
    }

    @Override public StorageStats stats() {
        throw new UnsupportedOperationException("no statistics for the unit-test storage");
    }

    @Override public void flush() { }

    @Override public void close() { }
}
