package io.tsdb.server.fallback;

import io.tsdb.core.*;

import java.util.*;

/**
 * STOP-GAP ONLY: an on-heap, non-persistent {@link Storage} used by the server while tsdb-core has no
 * production storage engine. Everything is lost on restart and there are no limits; the server logs a
 * warning when it runs on this. Replaced by tsdb-core's storage as soon as it exists.
 */
public final class VolatileMemoryStorage implements Storage {
    private final TreeMap<Labels, Series> series = new TreeMap<>();

    private static final class Series {
        long[] t = new long[8];
        double[] v = new double[8];
        int n;

        void put(long ts, double val) {
            int i = Arrays.binarySearch(t, 0, n, ts);
            if (i >= 0) { v[i] = val; return; }
            i = -i - 1;
            if (n == t.length) { t = Arrays.copyOf(t, n * 2); v = Arrays.copyOf(v, n * 2); }
            System.arraycopy(t, i, t, i + 1, n - i);
            System.arraycopy(v, i, v, i + 1, n - i);
            t[i] = ts; v[i] = val; n++;
        }

        Series copy() {
            Series s = new Series();
            s.t = Arrays.copyOf(t, n);
            s.v = Arrays.copyOf(v, n);
            s.n = n;
            return s;
        }
    }

    @Override public Appender appender() {
        return new Appender() {
            final List<Labels> labels = new ArrayList<>();
            long[] ts = new long[16];
            double[] vs = new double[16];
            String lastError;

            @Override public AppendStatus append(Labels l, long t, double v) {
                if (l.metricName() == null) {
                    lastError = "series " + l + " has no metric name";
                    return AppendStatus.INVALID_METRIC_NAME;
                }
                int n = labels.size();
                if (n == ts.length) { ts = Arrays.copyOf(ts, n * 2); vs = Arrays.copyOf(vs, n * 2); }
                labels.add(l);
                ts[n] = t;
                vs[n] = v;
                return AppendStatus.OK;
            }
            @Override public String lastError() { return lastError; }
            @Override public int pending() { return labels.size(); }
            @Override public void commit() {
                synchronized (VolatileMemoryStorage.this) {
                    for (int i = 0; i < labels.size(); i++) {
                        series.computeIfAbsent(labels.get(i), k -> new Series()).put(ts[i], vs[i]);
                    }
                }
                labels.clear();
            }
            @Override public void rollback() { labels.clear(); }
        };
    }

    @Override public synchronized Querier querier(long mint, long maxt) {
        List<Map.Entry<Labels, Series>> snapshot = new ArrayList<>(series.size());
        for (var e : series.entrySet()) snapshot.add(Map.entry(e.getKey(), e.getValue().copy()));
        return new Querier() {
            List<Map.Entry<Labels, Series>> matching(List<Matcher> ms) {
                List<Map.Entry<Labels, Series>> out = new ArrayList<>();
                outer:
                for (var e : snapshot) {
                    for (Matcher m : ms) if (!m.matches(e.getKey())) continue outer;
                    out.add(e);
                }
                return out;
            }
            @Override public SeriesSet select(List<Matcher> ms) {
                Iterator<Map.Entry<Labels, Series>> it = matching(ms).iterator();
                return new SeriesSet() {
                    Map.Entry<Labels, Series> cur;
                    @Override public boolean next() {
                        while (it.hasNext()) {
                            cur = it.next();
                            Series s = cur.getValue();
                            int lo = lower(s, mint);
                            if (lo < s.n && s.t[lo] <= maxt) return true;
                        }
                        return false;
                    }
                    @Override public Labels labels() { return cur.getKey(); }
                    @Override public SampleCursor cursor() {
                        Series s = cur.getValue();
                        int start = lower(s, mint);
                        return new SampleCursor() {
                            int i = start - 1;
                            @Override public boolean next() { i++; return i < s.n && s.t[i] <= maxt; }
                            @Override public boolean seek(long t) {
                                if (i < start) i = start;
                                while (i < s.n && s.t[i] < t) i++;
                                return i < s.n && s.t[i] <= maxt;
                            }
                            @Override public long timestamp() { return s.t[i]; }
                            @Override public double value() { return s.v[i]; }
                        };
                    }
                };
            }
            @Override public long seriesCount(List<Matcher> ms) { return matching(ms).size(); }
            @Override public long sampleEstimate(List<Matcher> ms) {
                long n = 0;
                for (var e : matching(ms)) n += e.getValue().n;
                return n;
            }
            @Override public List<String> labelNames(List<Matcher> ms) {
                TreeSet<String> names = new TreeSet<>();
                for (var e : matching(ms)) for (int i = 0; i < e.getKey().size(); i++) names.add(e.getKey().name(i));
                return new ArrayList<>(names);
            }
            @Override public List<String> labelValues(String name, List<Matcher> ms) {
                TreeSet<String> vals = new TreeSet<>();
                for (var e : matching(ms)) { String v = e.getKey().get(name); if (v != null) vals.add(v); }
                return new ArrayList<>(vals);
            }
            @Override public void close() {}
        };
    }

    private static int lower(Series s, long t) {
        int i = Arrays.binarySearch(s.t, 0, s.n, t);
        return i >= 0 ? i : -i - 1;
    }

    @Override public synchronized StorageStats stats() {
        long samples = 0, min = Long.MAX_VALUE, max = Long.MIN_VALUE;
        for (Series s : series.values()) {
            samples += s.n;
            if (s.n > 0) { min = Math.min(min, s.t[0]); max = Math.max(max, s.t[s.n - 1]); }
        }
        return new StorageStats(series.size(), samples, min, max, 0, 0, 0, 0);
    }

    @Override public void flush() {}

    @Override public void close() {}
}
