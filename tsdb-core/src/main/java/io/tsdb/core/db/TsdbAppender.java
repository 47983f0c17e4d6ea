package io.tsdb.core.db;

import io.tsdb.core.AppendStatus;
import io.tsdb.core.Appender;
import io.tsdb.core.Labels;
import io.tsdb.core.SeriesRef;
import io.tsdb.core.head.Head;
import io.tsdb.core.head.HeadSeries;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.histogram.Histogram;
import io.tsdb.core.histogram.HistogramValidator;
import io.tsdb.core.histogram.InvalidHistogramException;
import io.tsdb.core.wal.HistogramSamplesCodec;
import io.tsdb.core.wal.SamplesCodec;
import io.tsdb.core.wal.WalFormat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Stages samples in primitive arrays; commit writes one WAL record per batch, syncs, then applies to the head.
 * The arrays and the WAL encoding buffer ({@link Staging}) are borrowed from the database's pool at the first
 * append and given back at commit or rollback, so a request does not allocate (and grow, by copying) arrays
 * sized for its batch, nor a direct buffer freed only by the garbage collector.
 *
 * <p>Native histograms are staged in the same sequence (their order relative to float samples is kept: the commit
 * logs runs of float samples and runs of histograms as separate records in staging order), copied into holders of
 * the staging memory that are reused by later requests. They are validated ({@link HistogramValidator}) before
 * anything else.
 */
final class TsdbAppender implements Appender {
    private static final AppendStatus[] STATUSES = AppendStatus.values();
    private static final int SERIES_REMOVED = AppendStatus.SERIES_REMOVED.ordinal();

    /** Reusable staging memory of one appender at a time. */
    static final class Staging {
        HeadSeries[] series = new HeadSeries[64];
        long[] ts = new long[64];
        double[] vs = new double[64];
        int[] ids = new int[64];
        /** Per staged sample, its outcome at commit ({@link Head#insertCommitted}). */
        int[] outcomes = new int[64];
        ByteBuffer buf;
        /**
         * Per staged sample (allocated at the first histogram): the integer histogram staged there, or null; a
         * float histogram staged there is in {@link #fhs}; a float sample has neither. The holders stay in
         * {@link #holdI}/{@link #holdF} for reuse.
         */
        Histogram[] hs;
        FloatHistogram[] fhs;
        Histogram[] holdI;
        FloatHistogram[] holdF;

        int capacity() { return ts.length; }
    }

    private final Tsdb db;
    /** Borrowed at the first append after creation, commit or rollback; null when nothing is staged. */
    private Staging stage;
    private int n;
    private String lastError;
    /**
     * The series of the previous append, by label-set identity: ingest hands the same {@link Labels} instance
     * for all samples of a series in a request, so this skips the head's hash lookup and full label compare
     * for every sample but the first (a series that left the head meanwhile is caught by {@link Head#check},
     * as for a caller's {@link SeriesRef}). Reset on commit and rollback.
     */
    private Labels prevLabels;
    private HeadSeries prevSeries;
    /** The series of the last append ({@link #lastRef()}), null when it was rejected before one was found. */
    private HeadSeries lastSeries;
    /** Whether the last append's series was made by this batch ({@link #lastCreated()}). */
    private boolean lastCreated;
    /** Whether {@link #removals} was read for the current batch (reset on commit and rollback). */
    private boolean resolvedAny;
    /** {@link Head#removals()} before the first series of this batch was resolved. */
    private long removals;
    /**
     * The timestamp of the previous append when {@link Head#check} found it newer than every sample of
     * {@link #prevSeries} and it was staged, else {@code Long.MAX_VALUE}: a newer sample of the same label-set
     * instance is then in order too and is staged without taking the series' lock. Only another writer of the
     * same series can make it otherwise before the commit, which decides under the lock, as it does when that
     * writer commits between any append's check and its commit.
     */
    private long prevInOrderT = Long.MAX_VALUE;
    /** Set when an append failed for a storage error: commit then throws it and stores nothing. */
    private IOException storageError;
    /** Histogram samples staged in this batch. */
    private int histograms;
    /**
     * The server clock plus the future tolerance when last read in this batch ({@code Long.MIN_VALUE} before the
     * first read): a sample at or before it is not too far in the future. Reset on commit and rollback.
     */
    private long futureLimit = Long.MIN_VALUE;

    TsdbAppender(Tsdb db) { this.db = db; }

    @Override public Labels canonical(Labels labels) {
        HeadSeries s = labels == prevLabels ? prevSeries : db.head().get(labels);
        return s != null ? s.labels : labels;
    }

    @Override public AppendStatus append(Labels labels, long timestampMs, double value) {
        return append(null, labels, timestampMs, value);
    }

    @Override public SeriesRef lastRef() { return lastSeries; }

    @Override public boolean lastCreated() { return lastCreated; }

    /**
     * The series is the previous append's (same label-set instance), else {@code ref} when it is this head's
     * live series for these labels ({@link Head#holds}: one probe of the id table, no hashing of the labels),
     * else looked up by labels, else created or brought back from the registry. {@link Head#check} then tells,
     * under the series' lock, whether it left the head since it was resolved (however long ago a caller's
     * reference was handed out): if so it is found again (same id) and checked again. A series that leaves
     * the head after that check is caught at commit: {@link #removals} was read before this batch resolved
     * anything, and the commit re-resolves the staged series when it changed ({@link FlushCycle}).
     */
    @Override public AppendStatus append(SeriesRef ref, Labels labels, long timestampMs, double value) {
        return add(ref, labels, timestampMs, value, null, null);
    }

    @Override public AppendStatus appendHistogram(Labels labels, long timestampMs, Histogram h) {
        return appendHistogram(null, labels, timestampMs, h);
    }

    @Override public AppendStatus appendHistogram(SeriesRef ref, Labels labels, long timestampMs, Histogram h) {
        return addHistogram(ref, labels, timestampMs, h, null);
    }

    @Override public AppendStatus appendFloatHistogram(Labels labels, long timestampMs, FloatHistogram h) {
        return appendFloatHistogram(null, labels, timestampMs, h);
    }

    @Override public AppendStatus appendFloatHistogram(SeriesRef ref, Labels labels, long timestampMs, FloatHistogram h) {
        return addHistogram(ref, labels, timestampMs, null, h);
    }

    /** Validates and stages a histogram: exactly one of h, f non-null. */
    private AppendStatus addHistogram(SeriesRef ref, Labels labels, long timestampMs, Histogram h, FloatHistogram f) {
        lastSeries = null;
        try {
            if (h != null) HistogramValidator.validate(h); else HistogramValidator.validate(f);
        } catch (InvalidHistogramException e) {
            return invalid(labels, timestampMs, e);
        }
        return add(ref, labels, timestampMs, 0, h, f);
    }

    private AppendStatus invalid(Labels labels, long timestampMs, InvalidHistogramException e) {
        return reject(AppendStatus.INVALID_HISTOGRAM, "native histogram of " + labels + " at " + timestampMs + " ms is invalid ("
                + e.rule().id + "): " + e.getMessage());
    }

    /** Stages a float sample (h and f null) or a histogram (exactly one of h, f non-null, already validated). */
    private AppendStatus add(SeriesRef ref, Labels labels, long timestampMs, double value, Histogram h, FloatHistogram f) {
        boolean isHist = h != null || f != null;
        lastSeries = null;
        if (labels != prevLabels) lastCreated = false;   // the further samples of a series made by this batch keep it
        if (db.isClosed()) return reject(AppendStatus.STORAGE_CLOSED, "storage is closed");
        // the clock is read when a sample is newer than the limit last computed (its first sample, then rarely): a
        // read costs about 30 ns of CPU on this project's VMs (kvm-clock), 1.3 s over the harness's 43M samples, and
        // the clock moves forward, so a sample within an earlier limit is within the current one
        long limit = futureLimit;
        if (timestampMs > limit) limit = futureLimit = db.now() + db.futureToleranceMs();
        if (labels == prevLabels && timestampMs > prevInOrderT && timestampMs <= limit) {
            // the next sample of a run in time order: newer than the previous one, which was newer than the series'
            // samples in the head when it was checked (the commit decides again under the series' lock)
            lastSeries = prevSeries;
            prevInOrderT = timestampMs;
            return isHist ? stageHistogram(prevSeries, timestampMs, h, f) : stage(prevSeries, timestampMs, value);
        }
        Head head = db.head();
        if (!resolvedAny) {   // before resolving anything
            removals = head.removals();
            resolvedAny = true;
        }
        HeadSeries s;
        if (labels == prevLabels) s = prevSeries;
        else if (ref instanceof HeadSeries rs && head.holds(rs) && (rs.labels == labels || rs.labels.equals(labels))) s = rs;
        else s = head.get(labels);
        int code;
        while (true) {
            if (s == null) {
                SeriesCatalog.Lookup r = db.catalog().getOrCreate(labels);
                if (r instanceof SeriesCatalog.Rejected rej) return reject(rej.status(), rej.message());
                if (r instanceof SeriesCatalog.Failed failed) {
                    if (storageError == null) storageError = failed.error();
                    return reject(AppendStatus.STORAGE_ERROR, failed.error().getMessage());
                }
                s = ((SeriesCatalog.Found) r).series();
                lastCreated = true;
            }
            code = isHist ? head.checkHistogram(s, timestampMs, h, f) : head.check(s, timestampMs, value);
            if (code != SERIES_REMOVED) break;
            s = head.get(labels);   // a flush took it out of the head since it was resolved: find or bring it back
        }
        prevLabels = labels;
        prevSeries = s;
        prevInOrderT = Long.MAX_VALUE;
        lastSeries = s;
        if (timestampMs > limit) {
            return reject(AppendStatus.TOO_FAR_IN_FUTURE, "sample of " + s.labels + " at " + timestampMs
                    + " ms is more than " + db.futureToleranceMs() + " ms ahead of the server clock (" + (limit - db.futureToleranceMs()) + ")");
        }
        if (code == Head.IN_ORDER) {
            prevInOrderT = timestampMs;
            return isHist ? stageHistogram(s, timestampMs, h, f) : stage(s, timestampMs, value);
        }
        AppendStatus st = STATUSES[code];
        switch (st) {
            case OK -> {
                return isHist ? stageHistogram(s, timestampMs, h, f) : stage(s, timestampMs, value);
            }
            case DUPLICATE_SAME_VALUE -> {
                db.metrics().status(st);
                return st;
            }
            case TOO_OLD -> {
                return reject(st, "sample of " + s.labels + " at " + timestampMs + " ms is older than the out-of-order window ("
                        + db.head().oooWindowMs() + " ms) behind the series' newest sample at " + s.maxTime() + " ms");
            }
            case OUT_OF_ORDER -> {
                return reject(st, "sample of " + s.labels + " at " + timestampMs + " ms is older than the series' newest sample at "
                        + s.maxTime() + " ms and out-of-order ingestion is disabled");
            }
            case DUPLICATE_DIFFERENT_VALUE -> {
                return reject(st, "sample of " + s.labels + " at " + timestampMs + " ms already exists with a different value");
            }
            default -> {
                return reject(st, "sample of " + s.labels + " rejected: " + st.reason);
            }
        }
    }

    private AppendStatus stage(HeadSeries s, long timestampMs, double value) {
        if (stage == null) stage = db.takeStaging();
        if (n == stage.ts.length) grow();
        stage.series[n] = s;
        stage.ts[n] = timestampMs;
        stage.vs[n] = value;
        n++;
        return AppendStatus.OK;
    }

    /** Stages a copy of a histogram (in a holder of the staging memory, reused by later batches). */
    private AppendStatus stageHistogram(HeadSeries s, long timestampMs, Histogram h, FloatHistogram f) {
        if (stage == null) stage = db.takeStaging();
        if (n == stage.ts.length) grow();
        Staging st = stage;
        if (st.hs == null || st.hs.length < st.ts.length) {
            int cap = st.ts.length;
            st.hs = st.hs == null ? new Histogram[cap] : Arrays.copyOf(st.hs, cap);
            st.fhs = st.fhs == null ? new FloatHistogram[cap] : Arrays.copyOf(st.fhs, cap);
            st.holdI = st.holdI == null ? new Histogram[cap] : Arrays.copyOf(st.holdI, cap);
            st.holdF = st.holdF == null ? new FloatHistogram[cap] : Arrays.copyOf(st.holdF, cap);
        }
        if (h != null) {
            Histogram x = st.holdI[n];
            if (x == null) x = st.holdI[n] = new Histogram();
            st.hs[n] = x.copyFrom(h);
        } else {
            FloatHistogram x = st.holdF[n];
            if (x == null) x = st.holdF[n] = new FloatHistogram();
            st.fhs[n] = x.copyFrom(f);
        }
        st.series[n] = s;
        st.ts[n] = timestampMs;
        st.vs[n] = 0;
        n++;
        histograms++;
        return AppendStatus.OK;
    }

    private AppendStatus reject(AppendStatus st, String message) {
        lastError = message;
        db.metrics().status(st);
        return st;
    }

    private void grow() {
        int cap = stage.ts.length * 2;
        stage.series = Arrays.copyOf(stage.series, cap);
        stage.ts = Arrays.copyOf(stage.ts, cap);
        stage.vs = Arrays.copyOf(stage.vs, cap);
        if (stage.hs != null) {
            stage.hs = Arrays.copyOf(stage.hs, cap);
            stage.fhs = Arrays.copyOf(stage.fhs, cap);
            stage.holdI = Arrays.copyOf(stage.holdI, cap);
            stage.holdF = Arrays.copyOf(stage.holdF, cap);
        }
    }

    @Override public String lastError() { return lastError; }

    @Override public int pending() { return n; }

    @Override public void commit() throws IOException {
        IOException failed = storageError;
        if (failed != null) {
            clear();
            throw new IOException(failed.getMessage(), failed);
        }
        if (n == 0) return;
        try {
            db.commit(this);
        } finally {
            clear();
        }
    }

    /** Encodes staged samples from {@code from} (at most one record's worth) into the reusable buffer. */
    ByteBuffer encode(int from, int count) {
        int need = WalFormat.RECORD_HEADER_BYTES + 1 + SamplesCodec.maxBodyBytes(count);
        if (stage.buf == null || stage.buf.capacity() < need) {
            stage.buf = ByteBuffer.allocateDirect(Math.max(need, 4096)).order(ByteOrder.LITTLE_ENDIAN);
        }
        ByteBuffer b = stage.buf;
        b.clear();
        b.position(WalFormat.RECORD_HEADER_BYTES);
        b.put(WalFormat.TYPE_SAMPLES_VARINT);
        if (stage.ids.length < stage.series.length) stage.ids = new int[stage.series.length];
        int[] ids = stage.ids;
        HeadSeries[] series = stage.series;
        for (int i = from, end = from + count; i < end; i++) ids[i] = series[i].id;
        SamplesCodec.encode(b, ids, stage.ts, stage.vs, from, count);
        WalFormat.seal(b);
        return b;
    }

    /**
     * Encodes the staged histogram samples [from, from+count) (all histograms) as one HISTOGRAM SAMPLES record into
     * the reusable buffer.
     */
    ByteBuffer encodeHistograms(int from, int count) {
        long need = WalFormat.RECORD_HEADER_BYTES + 1 + 12;
        for (int i = from, end = from + count; i < end; i++) {
            need += stage.hs[i] != null ? HistogramSamplesCodec.maxSampleBytes(stage.hs[i]) : HistogramSamplesCodec.maxSampleBytes(stage.fhs[i]);
        }
        if (stage.buf == null || stage.buf.capacity() < need) {
            stage.buf = ByteBuffer.allocateDirect((int) Math.max(need, 4096)).order(ByteOrder.LITTLE_ENDIAN);
        }
        ByteBuffer b = stage.buf;
        b.clear();
        b.position(WalFormat.RECORD_HEADER_BYTES);
        b.put(WalFormat.TYPE_HISTOGRAM_SAMPLES);
        long base = stage.ts[from];
        HistogramSamplesCodec.putHeader(b, count, base);
        for (int i = from, end = from + count; i < end; i++) {
            int id = stage.series[i].id;
            if (stage.hs[i] != null) HistogramSamplesCodec.putSample(b, base, id, stage.ts[i], stage.hs[i]);
            else HistogramSamplesCodec.putSample(b, base, id, stage.ts[i], stage.fhs[i]);
        }
        WalFormat.seal(b);
        return b;
    }

    /** Whether staged sample i is a histogram. */
    boolean isHistogram(int i) { return histograms > 0 && (stage.hs[i] != null || stage.fhs[i] != null); }

    /** Whether the batch holds histogram samples. */
    boolean hasHistograms() { return histograms > 0; }

    /** Bytes the WAL record of histogram sample i takes at most. */
    int histogramBytes(int i) {
        return stage.hs[i] != null ? HistogramSamplesCodec.maxSampleBytes(stage.hs[i]) : HistogramSamplesCodec.maxSampleBytes(stage.fhs[i]);
    }

    Histogram[] histogramsStaged() { return stage.hs; }
    FloatHistogram[] floatHistogramsStaged() { return stage.fhs; }

    int size() { return n; }
    long removals() { return removals; }
    HeadSeries series(int i) { return stage.series[i]; }
    long[] timestamps() { return stage.ts; }
    double[] values() { return stage.vs; }
    /** An array for the staged samples' outcomes at commit (at least {@link #size()} long). */
    int[] outcomes() {
        if (stage.outcomes.length < stage.ts.length) stage.outcomes = new int[stage.ts.length];
        return stage.outcomes;
    }
    void setSeries(int i, HeadSeries s) { stage.series[i] = s; }
    long timestamp(int i) { return stage.ts[i]; }
    double value(int i) { return stage.vs[i]; }

    private void clear() {
        storageError = null;
        futureLimit = Long.MIN_VALUE;
        prevLabels = null;
        prevSeries = null;
        prevInOrderT = Long.MAX_VALUE;
        lastSeries = null;
        lastCreated = false;
        resolvedAny = false;
        Staging s = stage;
        stage = null;
        if (s != null) {
            // plain loops, not Arrays.fill: the JDK's Object[] fill is shared with every caller, and its changing profile
            // (array class, length) deoptimised the compiled commit path 8 times in the harness's first seconds
            HeadSeries[] ss = s.series;
            for (int i = 0; i < n; i++) ss[i] = null;
            if (histograms > 0) {
                Histogram[] hs = s.hs;
                FloatHistogram[] fhs = s.fhs;
                for (int i = 0; i < n; i++) { hs[i] = null; fhs[i] = null; }
            }
            db.returnStaging(s);
        }
        n = 0;
        histograms = 0;
    }

    @Override public void rollback() { clear(); }
}
