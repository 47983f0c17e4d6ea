package io.tsdb.core.block;

import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SampleCursor;
import io.tsdb.core.SeriesSet;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * A {@link Querier} over several queriers (e.g. blocks, oldest first, then the head). Series with equal
 * labels are merged into one; their samples are merged by timestamp and, on equal timestamps, the sample of
 * the later querier in the list wins. Output stays sorted by labels. Closing closes every source.
 */
public final class MergeQuerier implements Querier {
    private final List<Querier> sources;

    /** @param sources queriers in priority order: later ones win on equal timestamps */
    public MergeQuerier(List<? extends Querier> sources) { this.sources = List.copyOf(sources); }

    /** Merges without wrapping when there is a single source. */
    public static Querier of(List<? extends Querier> sources) {
        return sources.size() == 1 ? sources.get(0) : new MergeQuerier(sources);
    }

    @Override public SeriesSet select(List<Matcher> matchers) {
        if (sources.size() == 1) return sources.get(0).select(matchers);
        SeriesSet[] sets = new SeriesSet[sources.size()];
        for (int i = 0; i < sets.length; i++) sets[i] = sources.get(i).select(matchers);
        return new MergeSeriesSet(sets);
    }

    /** Each source filters its own series (a series has the same labels in every source, so the same answer). */
    @Override public SeriesSet select(List<Matcher> matchers, java.util.function.Predicate<Labels> filter) {
        if (sources.size() == 1) return sources.get(0).select(matchers, filter);
        SeriesSet[] sets = new SeriesSet[sources.size()];
        for (int i = 0; i < sets.length; i++) sets[i] = sources.get(i).select(matchers, filter);
        return new MergeSeriesSet(sets);
    }

    /**
     * A source that lists its series with samples in the range, sorted by labels, without reading samples
     * (used to count distinct series across sources; cursors of that set are not read).
     */
    public interface LabelsOnly {
        SeriesSet selectLabels(List<Matcher> matchers);
    }

    /**
     * Distinct series with samples in the range: the sources' counts (each honours the range) when at most
     * one source has any; otherwise series present in several sources are counted once by merging their
     * label-sorted series, without reading samples from sources that implement {@link LabelsOnly}.
     */
    @Override public long seriesCount(List<Matcher> matchers) {
        if (sources.size() == 1) return sources.get(0).seriesCount(matchers);
        List<Querier> nonEmpty = new ArrayList<>(sources.size());
        long count = 0;
        for (Querier q : sources) {
            long c = q.seriesCount(matchers);
            if (c > 0) { nonEmpty.add(q); count = c; }
        }
        if (nonEmpty.size() <= 1) return count;
        SeriesSet[] sets = new SeriesSet[nonEmpty.size()];
        for (int i = 0; i < sets.length; i++) {
            Querier q = nonEmpty.get(i);
            sets[i] = q instanceof LabelsOnly l ? l.selectLabels(matchers) : q.select(matchers);
        }
        MergeSeriesSet m = new MergeSeriesSet(sets);
        long n = 0;
        while (m.nextLabels()) n++;
        return n;
    }

    /** Sum of the sources' bounds (a series in several sources counted in each). */
    @Override public long seriesUpperBound(List<Matcher> matchers) {
        long n = 0;
        for (Querier q : sources) n += q.seriesUpperBound(matchers);
        return n;
    }

    /** Sum of the sources' estimates (samples overlapping in time across sources are counted twice). */
    @Override public long sampleEstimate(List<Matcher> matchers) {
        long n = 0;
        for (Querier q : sources) n += q.sampleEstimate(matchers);
        return n;
    }

    @Override public List<String> labelNames(List<Matcher> matchers) {
        TreeSet<String> s = new TreeSet<>();
        for (Querier q : sources) s.addAll(q.labelNames(matchers));
        return new ArrayList<>(s);
    }

    @Override public List<String> labelValues(String name, List<Matcher> matchers) {
        TreeSet<String> s = new TreeSet<>();
        for (Querier q : sources) s.addAll(q.labelValues(name, matchers));
        return new ArrayList<>(s);
    }

    @Override public void close() {
        RuntimeException first = null;
        for (Querier q : sources) {
            try { q.close(); } catch (RuntimeException e) { if (first == null) first = e; else first.addSuppressed(e); }
        }
        if (first != null) throw first;
    }

    /** k-way merge of sorted series sets. */
    static final class MergeSeriesSet implements SeriesSet {
        private final SeriesSet[] sets;
        private final boolean[] has;     // sets[i] is positioned on a series not yet emitted
        private final boolean[] cur;     // sets[i] contributes to the current output series
        private final SampleCursor[] cursors;
        private final MergeCursor merge;
        private boolean started;
        private Labels labels;
        private int contributors, single;

        MergeSeriesSet(SeriesSet[] sets) {
            this.sets = sets;
            this.has = new boolean[sets.length];
            this.cur = new boolean[sets.length];
            this.cursors = new SampleCursor[sets.length];
            this.merge = new MergeCursor(sets.length);
        }

        boolean nextLabels() {
            if (!started) {
                for (int i = 0; i < sets.length; i++) has[i] = sets[i].next();
                started = true;
            } else {
                for (int i = 0; i < sets.length; i++) if (cur[i]) has[i] = sets[i].next();
            }
            Labels min = null;
            for (int i = 0; i < sets.length; i++) {
                if (!has[i]) continue;
                Labels l = sets[i].labels();
                if (min == null || l.compareTo(min) < 0) min = l;
            }
            contributors = 0;
            for (int i = 0; i < sets.length; i++) {
                cur[i] = has[i] && sets[i].labels().equals(min);
                if (cur[i]) { contributors++; single = i; }
            }
            labels = min;
            return min != null;
        }

        @Override public boolean next() { return nextLabels(); }

        @Override public Labels labels() { return labels; }

        /** The id of the newest source that knows it (sources are in merge priority order, oldest first). */
        @Override public int seriesId() {
            for (int i = sets.length - 1; i >= 0; i--) {
                if (!cur[i]) continue;
                int id = sets[i].seriesId();
                if (id >= 0) return id;
            }
            return -1;
        }

        @Override public SampleCursor cursor() {
            if (contributors == 1) return sets[single].cursor();
            int k = 0;
            for (int i = 0; i < sets.length; i++) if (cur[i]) cursors[k++] = sets[i].cursor();
            merge.reset(cursors, k);
            return merge;
        }
    }

    /**
     * Merges k cursors by timestamp; on equal timestamps the cursor with the highest index wins, and all
     * cursors at that timestamp advance together.
     */
    static final class MergeCursor implements SampleCursor {
        private final SampleCursor[] cs;
        private final boolean[] live;
        private int k;
        private boolean started;
        private long t;
        /** The cursor of the current sample (positioned on it until the next move). */
        private SampleCursor cur;
        private boolean done;

        MergeCursor(int capacity) {
            cs = new SampleCursor[capacity];
            live = new boolean[capacity];
        }

        void reset(SampleCursor[] cursors, int n) {
            System.arraycopy(cursors, 0, cs, 0, n);
            k = n;
            started = false;
            done = false;
        }

        private boolean pick() {
            int best = -1;
            long bt = Long.MAX_VALUE;
            for (int i = 0; i < k; i++) {
                if (!live[i]) continue;
                long ti = cs[i].timestamp();
                if (best < 0 || ti <= bt) { best = i; bt = ti; }
            }
            if (best < 0) { done = true; return false; }
            t = bt;
            cur = cs[best];
            return true;
        }

        @Override public boolean next() {
            if (done) return false;
            if (!started) {
                started = true;
                for (int i = 0; i < k; i++) live[i] = cs[i].next();
            } else {
                for (int i = 0; i < k; i++) if (live[i] && cs[i].timestamp() == t) live[i] = cs[i].next();
            }
            return pick();
        }

        @Override public boolean seek(long x) {
            if (done) return false;
            if (started && t >= x) return true;
            if (!started) {
                started = true;
                for (int i = 0; i < k; i++) live[i] = cs[i].seek(x);
            } else {
                for (int i = 0; i < k; i++) if (live[i] && cs[i].timestamp() < x) live[i] = cs[i].seek(x);
            }
            return pick();
        }

        /**
         * Copies a run of the current cursor's floats that lie before every other live cursor's current sample (so no
         * other source has a sample there to merge or to win a tie).
         */
        @Override public int readFloats(long maxt, long[] dt, double[] dv, int off, int max) {
            if (done || !started) return 0;
            long bound = maxt;
            for (int i = 0; i < k; i++) {
                if (!live[i] || cs[i] == cur) continue;
                long ti = cs[i].timestamp();
                if (ti <= t) return 0; // another source has this very timestamp
                bound = Math.min(bound, ti - 1);
            }
            int n = cur.readFloats(bound, dt, dv, off, max);
            if (n > 0) t = dt[off + n - 1];
            return n;
        }

        @Override public long timestamp() { return t; }

        @Override public double value() { return cur.value(); }

        @Override public int sampleType() { return cur.sampleType(); }

        @Override public io.tsdb.core.histogram.Histogram histogram(io.tsdb.core.histogram.Histogram into) { return cur.histogram(into); }

        @Override public io.tsdb.core.histogram.FloatHistogram floatHistogram(io.tsdb.core.histogram.FloatHistogram into) { return cur.floatHistogram(into); }
    }
}
