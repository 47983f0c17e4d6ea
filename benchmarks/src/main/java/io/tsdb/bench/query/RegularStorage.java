package io.tsdb.bench.query;

import io.tsdb.core.Appender;
import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SampleCursor;
import io.tsdb.core.SeriesSet;
import io.tsdb.core.Storage;
import io.tsdb.core.StorageStats;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * A minimal read-only in-memory {@link Storage} for query benchmarks: every series has samples at a
 * regular interval from 0, values in a plain array. Isolates the engine's cost from chunk decoding.
 */
public final class RegularStorage implements Storage {
    private final Labels[] labels;
    private final double[][] values;
    private final long intervalMs;

    public RegularStorage(Labels[] labels, double[][] values, long intervalMs) {
        this.labels = labels;
        this.values = values;
        this.intervalMs = intervalMs;
    }

    @Override public Appender appender() { throw new UnsupportedOperationException("read-only"); }

    @Override public StorageStats stats() { return new StorageStats(labels.length, 0, 0, 0, 0, 0, 0, 0); }

    @Override public void flush() { }

    @Override public void close() { }

    @Override public Querier querier(long mint, long maxt) {
        return new Querier() {
            List<Integer> matching(List<Matcher> ms) {
                List<Integer> out = new ArrayList<>();
                outer:
                for (int i = 0; i < labels.length; i++) {
                    for (Matcher m : ms) if (!m.matches(labels[i])) continue outer;
                    out.add(i);
                }
                return out;
            }

            int first() { return (int) Math.max(0, (mint + intervalMs - 1) / intervalMs); }

            int last(int n) { return (int) Math.min(n - 1, Math.floorDiv(maxt, intervalMs)); }

            @Override public SeriesSet select(List<Matcher> ms) {
                List<Integer> idx = matching(ms);
                return new SeriesSet() {
                    int k = -1;
                    final Cursor cursor = new Cursor();

                    @Override public boolean next() { return ++k < idx.size(); }

                    @Override public Labels labels() { return labels[idx.get(k)]; }

                    @Override public SampleCursor cursor() {
                        double[] v = values[idx.get(k)];
                        cursor.reset(v, first(), last(v.length));
                        return cursor;
                    }
                };
            }

            @Override public long seriesCount(List<Matcher> ms) { return matching(ms).size(); }

            @Override public long sampleEstimate(List<Matcher> ms) {
                long n = 0;
                for (int i : matching(ms)) n += Math.max(0, last(values[i].length) - first() + 1);
                return n;
            }

            @Override public List<String> labelNames(List<Matcher> ms) {
                TreeSet<String> s = new TreeSet<>();
                for (int i : matching(ms)) for (int j = 0; j < labels[i].size(); j++) s.add(labels[i].name(j));
                return new ArrayList<>(s);
            }

            @Override public List<String> labelValues(String name, List<Matcher> ms) {
                TreeSet<String> s = new TreeSet<>();
                for (int i : matching(ms)) { String v = labels[i].get(name); if (v != null) s.add(v); }
                return new ArrayList<>(s);
            }

            @Override public void close() { }
        };
    }

    private final class Cursor implements SampleCursor {
        double[] v;
        int i, end;

        void reset(double[] v, int from, int to) {
            this.v = v;
            this.i = from - 1;
            this.end = to;
        }

        @Override public boolean next() { return ++i <= end; }

        @Override public boolean seek(long t) {
            int target = (int) Math.max(i, (t + intervalMs - 1) / intervalMs);
            i = target;
            return i <= end;
        }

        @Override public long timestamp() { return i * intervalMs; }

        @Override public double value() { return v[i]; }
    }
}
