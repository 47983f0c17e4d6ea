package io.tsdb.core.testing;

import io.tsdb.core.*;
import io.tsdb.core.histogram.FloatHistogram;

import java.util.*;

/**
 * A simple, obviously-correct on-heap {@link Storage} for tests of the layers above tsdb-core
 * (query engine conformance, HTTP handlers). Samples are kept per series in timestamp order;
 * appending at an existing timestamp overwrites. A sample is a float or a native histogram (kept as a float
 * histogram; cursors report {@link SampleCursor#FLOAT_HISTOGRAM}, and give a histogram stored with an unknown
 * counter-reset hint after another histogram the hint a TSDB reads back: not reset when it grew from that previous
 * sample, unknown after a reset, which starts a new chunk). Not for production: no WAL, no limits.
 */
public final class MemStorage implements Storage {
    private final TreeMap<Labels, Series> series = new TreeMap<>();

    private static final class Series {
        long[] t = new long[8];
        double[] v = new double[8];
        /** Null while the series has no histogram sample; h[i] != null: sample i is that histogram. */
        FloatHistogram[] h;
        int n;

        synchronized void put(long ts, double val, FloatHistogram hist) {
            int i = Arrays.binarySearch(t, 0, n, ts);
            if (hist != null && h == null) h = new FloatHistogram[t.length];
            if (i >= 0) {
                v[i] = val;
                if (h != null) h[i] = hist;
                return;
            }
            i = -i - 1;
            if (n == t.length) {
                t = Arrays.copyOf(t, n * 2);
                v = Arrays.copyOf(v, n * 2);
                if (h != null) h = Arrays.copyOf(h, n * 2);
            }
            System.arraycopy(t, i, t, i + 1, n - i);
            System.arraycopy(v, i, v, i + 1, n - i);
            if (h != null) System.arraycopy(h, i, h, i + 1, n - i);
            t[i] = ts; v[i] = val; n++;
            if (h != null) h[i] = hist;
        }
    }

    public synchronized void add(Labels labels, long t, double v) {
        series.computeIfAbsent(labels, k -> new Series()).put(t, v, null);
    }

    /** Adds (or overwrites with) a native histogram sample; the storage keeps a copy. */
    public synchronized void addHistogram(Labels labels, long t, FloatHistogram h) {
        series.computeIfAbsent(labels, k -> new Series()).put(t, Double.NaN, new FloatHistogram().copyFrom(h));
    }

    public synchronized void clear() { series.clear(); }

    @Override public Appender appender() {
        return new Appender() {
            final List<Object[]> staged = new ArrayList<>();
            @Override public AppendStatus append(Labels labels, long ts, double val) {
                if (labels.metricName() == null) return AppendStatus.INVALID_METRIC_NAME;
                staged.add(new Object[]{labels, ts, val});
                return AppendStatus.OK;
            }
            String error;
            @Override public AppendStatus appendHistogram(Labels labels, long ts, io.tsdb.core.histogram.Histogram h) {
                return appendFloatHistogram(labels, ts, h.toFloat(new FloatHistogram()));
            }
            @Override public AppendStatus appendFloatHistogram(Labels labels, long ts, FloatHistogram h) {
                if (labels.metricName() == null) return AppendStatus.INVALID_METRIC_NAME;
                if (!h.isStale()) {
                    try {
                        io.tsdb.core.histogram.HistogramValidator.validate(h);
                    } catch (io.tsdb.core.histogram.InvalidHistogramException e) {
                        error = labels + ": " + e.getMessage();
                        return AppendStatus.INVALID_HISTOGRAM;
                    }
                }
                staged.add(new Object[]{labels, ts, new FloatHistogram().copyFrom(h)});
                return AppendStatus.OK;
            }
            @Override public String lastError() { return error; }
            @Override public int pending() { return staged.size(); }
            @Override public void commit() {
                for (Object[] s : staged) {
                    if (s[2] instanceof FloatHistogram h) addHistogram((Labels) s[0], (Long) s[1], h);
                    else add((Labels) s[0], (Long) s[1], (Double) s[2]);
                }
                staged.clear();
            }
            @Override public void rollback() { staged.clear(); }
        };
    }

    @Override public synchronized Querier querier(long mint, long maxt) {
        List<Map.Entry<Labels, Series>> snapshot = new ArrayList<>(series.entrySet());
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
                            @Override public boolean seek(long ts) {
                                if (i < start) i = start;
                                while (i < s.n && s.t[i] < ts) i++;
                                return i < s.n && s.t[i] <= maxt;
                            }
                            @Override public long timestamp() { return s.t[i]; }
                            @Override public double value() {
                                if (s.h != null && s.h[i] != null) throw new IllegalStateException("the current sample is a histogram");
                                return s.v[i];
                            }
                            @Override public int sampleType() {
                                return s.h != null && s.h[i] != null ? FLOAT_HISTOGRAM : FLOAT;
                            }
                            final io.tsdb.core.histogram.CounterResets resets = new io.tsdb.core.histogram.CounterResets();
                            @Override public FloatHistogram floatHistogram(FloatHistogram into) {
                                if (s.h == null || s.h[i] == null) throw new IllegalStateException("the current sample is a float");
                                into.copyFrom(s.h[i]);
                                // as a TSDB reads them back: a sample after a histogram says whether it reset the counter
                                FloatHistogram prev = i > 0 ? s.h[i - 1] : null;
                                if (into.hint == io.tsdb.core.histogram.CounterResetHint.UNKNOWN && prev != null && !prev.isStale() && !into.isStale()) {
                                    // a detected reset starts a new chunk, whose first sample reads back with an unknown hint
                                    into.hint = resets.detect(into, prev) ? io.tsdb.core.histogram.CounterResetHint.UNKNOWN
                                            : io.tsdb.core.histogram.CounterResetHint.NOT_COUNTER_RESET;
                                }
                                return into;
                            }
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
        long samples = 0;
        for (Series s : series.values()) samples += s.n;
        return new StorageStats(series.size(), samples, Long.MIN_VALUE, Long.MAX_VALUE, 0, 0, 0, 0);
    }

    @Override public void flush() {}

    @Override public void close() {}
}
