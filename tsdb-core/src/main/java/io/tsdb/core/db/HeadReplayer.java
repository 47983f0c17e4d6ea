package io.tsdb.core.db;

import io.tsdb.core.AppendStatus;
import io.tsdb.core.Labels;
import io.tsdb.core.head.Head;
import io.tsdb.core.head.HeadSeries;
import io.tsdb.core.index.LabelIndex;
import io.tsdb.core.registry.SeriesRegistry;
import io.tsdb.core.wal.WalFormat;
import io.tsdb.core.wal.WalReplayHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * Applies WAL records to the head, which starts empty: the log's SERIES records (each segment starts with a
 * checkpoint of the head's series, and every series entering the head is logged) create the head series;
 * series missing from the registry (e.g. after an OS crash lost its last mapped pages) are registered again, once the
 * replay and the registry's open are both done ({@link #registerMissing}: the two run at once, on two threads).
 * Samples are buffered (up to {@link #BUFFER} of them) and applied grouped by series with a stable counting
 * sort, so that each series' state is touched once per group instead of once per sample (replay is bound by
 * cache misses on per-series state otherwise). Native histogram samples are applied as they come; one of a series
 * with float samples buffered applies the buffer first, so every series sees its samples in log order.
 */
final class HeadReplayer implements WalReplayHandler {
    private static final Logger log = LoggerFactory.getLogger(HeadReplayer.class);
    static final int BUFFER = 1 << 20;

    private final Head head;
    private final LabelIndex index;
    /** Series the replay created in the head, to check against the registry once it is open ({@link #registerMissing}). */
    private final java.util.List<Labels> createdLabels = new java.util.ArrayList<>();
    private int[] createdIds = new int[256];
    private final Map<Integer, HeadSeries> alias = new HashMap<>();
    private int nextId;
    private long unknown;
    private int[] ids = new int[1024];
    private long[] ts = new long[1024];
    private long[] vs = new long[1024];
    private int n;
    private int maxBufferedId = -1;
    private int markN, markMaxId = -1;   // buffer state before the current compact record (bufferSamples)
    private int[] counts = new int[0];
    /** Ids with buffered float samples: a histogram of one of them applies the buffer first (log order per series). */
    private final java.util.BitSet bufferedIds = new java.util.BitSet();
    private int[] order = new int[0];

    HeadReplayer(Head head, LabelIndex index) {
        this.head = head;
        this.index = index;
    }

    /**
     * Registers the series the replay created that the registry lacks ({@link SeriesRegistry#needsRegistration}: none
     * after a clean close); called once both are done, before the storage takes writes.
     * @throws java.io.UncheckedIOException when one cannot be registered (no space for a new tier)
     */
    void registerMissing(SeriesRegistry registry) {
        for (int i = 0; i < createdLabels.size(); i++) {
            Labels labels = createdLabels.get(i);
            int id = createdIds[i];
            if (!registry.needsRegistration(labels, id)) continue;
            try {
                registry.put(labels, id);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("cannot register series " + labels + " found in the WAL: " + e.getMessage(), e);
            }
        }
        createdLabels.clear();
        createdIds = new int[0];
    }

    int nextId() { return nextId; }

    synchronized long unknownSeriesSamples() { return unknown; }

    @Override public void series(int id, Labels labels) {
        HeadSeries byId = head.byId(id);
        if (byId != null) {
            if (!byId.labels.equals(labels)) log.warn("WAL series record {} = {} conflicts with registry {}", id, labels, byId.labels);
            return;
        }
        HeadSeries existing = head.get(labels);
        if (existing != null) {
            alias.put(id, existing);
            return;
        }
        head.create(id, index.add(id, labels));
        if (createdLabels.size() == createdIds.length) createdIds = java.util.Arrays.copyOf(createdIds, 2 * createdIds.length);
        createdIds[createdLabels.size()] = id;
        createdLabels.add(labels);
        if (id >= nextId) nextId = id + 1;
    }

    @Override public void samples(ByteBuffer b, int off, int count) {
        for (int i = 0, p = off; i < count; i++, p += WalFormat.SAMPLE_BYTES) {
            if (n == ids.length) {
                if (n >= BUFFER) apply();
                else grow();
            }
            int id = b.getInt(p);
            ids[n] = id;
            ts[n] = b.getLong(p + 4);
            vs[n] = b.getLong(p + 12);
            if (id > maxBufferedId) maxBufferedId = id;
            if (id >= 0) bufferedIds.set(id);
            n++;
        }
    }

    @Override public void sample(int id, long t, long bits) {
        if (n == ids.length) {
            if (n >= BUFFER) apply();
            else grow();
        }
        ids[n] = id;
        ts[n] = t;
        vs[n] = bits;
        if (id > maxBufferedId) maxBufferedId = id;
        if (id >= 0) bufferedIds.set(id);
        n++;
    }

    /** Makes room for the whole record up front, so that no apply() runs before it is known to be well formed. */
    @Override public boolean bufferSamples(int count) {
        if (count < 0 || count > BUFFER) return false;
        if (n + count > BUFFER) apply();
        markN = n;
        markMaxId = maxBufferedId;
        return true;
    }

    @Override public void discardSamples() {
        n = markN;
        maxBufferedId = markMaxId;
    }

    private void grow() {
        int cap = Math.min(BUFFER, ids.length * 2);
        ids = java.util.Arrays.copyOf(ids, cap);
        ts = java.util.Arrays.copyOf(ts, cap);
        vs = java.util.Arrays.copyOf(vs, cap);
    }

    /**
     * A histogram sample is applied at once, after the float samples buffered before it (so each series sees its
     * samples in log order, as at commit).
     */
    @Override public void histogram(int id, long t, io.tsdb.core.histogram.Histogram h) { applyHistogram(id, t, h, null); }

    @Override public void floatHistogram(int id, long t, io.tsdb.core.histogram.FloatHistogram h) { applyHistogram(id, t, null, h); }

    private void applyHistogram(int id, long t, io.tsdb.core.histogram.Histogram h, io.tsdb.core.histogram.FloatHistogram f) {
        if (id >= 0 && bufferedIds.get(id)) apply();
        HeadSeries s = resolve(id);
        if (s == null) {
            synchronized (this) { unknown++; }
            return;
        }
        AppendStatus st;
        synchronized (s) {
            st = head.insertHistogramLocked(s, t, h, f, true);
        }
        if (st == AppendStatus.OK) head.addStats(1, t, t);
    }

    @Override public void seriesState(ByteBuffer b, int off, int count) {
        apply();   // a state record raises the newest timestamp: earlier samples must be in first
        for (int i = 0, p = off; i < count; i++, p += WalFormat.SAMPLE_BYTES) {
            HeadSeries s = resolve(b.getInt(p));
            if (s != null) head.restoreNewest(s, b.getLong(p + 4), b.getLong(p + 12));
        }
    }

    @Override public void tombstones(ByteBuffer b, int off, int count) {
        apply();   // the deletion covers the samples logged before it, not the ones after
        for (int i = 0, p = off; i < count; i++, p += WalFormat.SAMPLE_BYTES) {
            HeadSeries s = resolve(b.getInt(p));
            if (s != null) head.deleteRange(s, b.getLong(p + 4), b.getLong(p + 12));
        }
    }

    @Override public void finish() { apply(); }

    private HeadSeries resolve(int id) {
        HeadSeries s = head.byId(id);
        return s != null ? s : alias.get(id);
    }

    /** Applies the buffered samples grouped by series id, keeping log order within a series. */
    private void apply() {
        if (n == 0) return;
        if (maxBufferedId < 0) { n = 0; return; }
        int k = maxBufferedId + 1;
        if (counts.length < k + 1) counts = new int[k + 1];
        else java.util.Arrays.fill(counts, 0, k + 1, 0);
        if (order.length < n) order = new int[Math.max(n, 1024)];
        for (int i = 0; i < n; i++) if (ids[i] >= 0) counts[ids[i] + 1]++;
        for (int i = 1; i <= k; i++) counts[i] += counts[i - 1];
        int valid = 0;
        for (int i = 0; i < n; i++) {
            int id = ids[i];
            if (id < 0) { synchronized (this) { unknown++; } continue; }
            order[counts[id]++] = i;
            valid++;
        }
        // split at a series boundary near the middle and apply both halves in parallel
        int mid = valid / 2;
        while (mid > 0 && mid < valid && ids[order[mid]] == ids[order[mid - 1]]) mid++;
        if (valid >= 100_000 && mid < valid && Runtime.getRuntime().availableProcessors() > 1) {
            final int m = mid, v = valid;
            java.util.concurrent.CompletableFuture<Void> other = java.util.concurrent.CompletableFuture.runAsync(() -> applyRange(m, v));
            applyRange(0, m);
            other.join();
        } else {
            applyRange(0, valid);
        }
        n = 0;
        maxBufferedId = -1;
        bufferedIds.clear();
    }

    /** Applies order[from, to) (grouped by series); thread-safe against a concurrent call on a disjoint range. */
    private void applyRange(int from, int to) {
        long stored = 0, mint = Long.MAX_VALUE, maxt = Long.MIN_VALUE, missing = 0;
        int j = from;
        while (j < to) {
            int id = ids[order[j]];
            HeadSeries s = resolve(id);
            if (s == null) {
                do { missing++; j++; } while (j < to && ids[order[j]] == id);
                continue;
            }
            synchronized (s) {   // one lock per run of the series' samples, not one per sample
                do {
                    int i = order[j];
                    long t = ts[i];
                    if (head.insertLocked(s, t, Double.longBitsToDouble(vs[i]), true) == AppendStatus.OK) {
                        stored++;
                        if (t < mint) mint = t;
                        if (t > maxt) maxt = t;
                    }
                    j++;
                } while (j < to && ids[order[j]] == id);
            }
        }
        head.addStats(stored, mint, maxt);
        if (missing > 0) synchronized (this) { unknown += missing; }
    }
}
