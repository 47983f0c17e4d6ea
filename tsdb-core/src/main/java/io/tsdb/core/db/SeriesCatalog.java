package io.tsdb.core.db;

import io.tsdb.core.AppendStatus;
import io.tsdb.core.Labels;
import io.tsdb.core.head.Head;
import io.tsdb.core.head.HeadSeries;
import io.tsdb.core.index.LabelIndex;
import io.tsdb.core.registry.LabelValidator;
import io.tsdb.core.registry.Limits;
import io.tsdb.core.registry.LabelsCodec;
import io.tsdb.core.registry.RegistryKey;
import io.tsdb.core.registry.SeriesRegistry;
import io.tsdb.core.wal.Wal;
import io.tsdb.core.wal.WalFormat;
import org.agrona.collections.Object2IntHashMap;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.LongAdder;

/**
 * Where series enter and leave the head: lookup of a label set, creation of a new series (validated, limited,
 * logged to the WAL, registered, indexed), revival of a series that went quiet (found in the registry, same id),
 * and removal of idle series after a flush (series garbage collection).
 *
 * <p>Invariants: a series is in the head if and only if it is in the head's postings of the {@link LabelIndex}
 * and counted in {@link #activeByMetric}; its WAL SERIES record precedes, in the log, every sample record
 * written after it entered the head (so replay resolves every id); its id is registered before it is used and
 * never reassigned to another label set.
 *
 * <p>Locking: this object's monitor (the <em>creation lock</em>) serialises creation, revival, removal and the
 * registry's rewrite swaps (see {@link SeriesRegistry#retainOnly}). Callers may hold the commit lock
 * (read for commits, write for flushes) before it, never after; under it this class takes the WAL's, the
 * registry's, the label index's and the head's own locks, which take no other.
 */
final class SeriesCatalog {
    private final Head head;
    private final LabelIndex index;
    private final SeriesRegistry registry;
    private final Wal wal;
    private final LabelValidator validator;
    private final Limits limits;
    private final TsdbMetrics metrics;
    /** Active series per metric name (guarded by this). */
    private final Object2IntHashMap<String> activeByMetric = new Object2IntHashMap<>(0);
    private final LongAdder revived = new LongAdder();
    private final LongAdder removed = new LongAdder();
    private int nextId;
    private volatile boolean closed;
    /** See {@link #recordBuffer} (guarded by this). */
    private ByteBuffer recordBuf;

    /** The outcome of {@link #getOrCreate}: the series, or why none may be created. */
    sealed interface Lookup permits Found, Rejected, Failed {}

    record Found(HeadSeries series) implements Lookup {}

    record Rejected(AppendStatus status, String message) implements Lookup {}

    /** The series could not be logged to the WAL ({@link AppendStatus#STORAGE_ERROR}): the appender's commit fails with it. */
    record Failed(IOException error) implements Lookup {}

    SeriesCatalog(Head head, LabelIndex index, SeriesRegistry registry, Wal wal, LabelValidator validator, Limits limits,
                  TsdbMetrics metrics, int nextId) {
        this.head = head;
        this.index = index;
        this.registry = registry;
        this.wal = wal;
        this.validator = validator;
        this.limits = limits;
        this.metrics = metrics;
        this.nextId = nextId;
        head.forEach(s -> activeByMetric.merge(metricOf(s.labels), 1, Integer::sum));   // series replayed from the WAL
    }

    private static String metricOf(Labels l) {
        String m = l.metricName();
        return m == null ? "" : m;
    }

    /** The head series for a label set: found, revived from the registry, or created; or a rejection. */
    Lookup getOrCreate(Labels labels) {
        HeadSeries s = head.get(labels);
        if (s != null) return new Found(s);
        LabelValidator.Rejection r = validator.validate(labels);
        if (r != null) return new Rejected(r.status(), r.message());
        // encoded and hashed before the lock: the registry's key, and the WAL record's labels
        RegistryKey key = registry.keyOf(labels);
        byte[] encoded = LabelsCodec.encode(labels);
        synchronized (this) {
            s = head.get(labels);
            if (s != null) return new Found(s);
            if (closed) return new Rejected(AppendStatus.STORAGE_CLOSED, "storage is closed");
            String metric = metricOf(labels);
            long max = limits.maxSeries();
            if (max > 0 && head.seriesCount() >= max)
                return new Rejected(AppendStatus.SERIES_LIMIT, "cannot add series " + labels + " of metric " + metric
                        + ": the limit max_active_series=" + max + " is reached (" + head.seriesCount() + " active series)");
            long perMetric = limits.maxSeriesPerMetric();
            if (perMetric > 0) {
                int n = activeByMetric.getValue(metric);
                if (n >= perMetric)
                    return new Rejected(AppendStatus.SERIES_PER_METRIC_LIMIT, "cannot add series " + labels + ": metric " + metric
                            + " has " + n + " active series, the limit max_active_series_per_metric=" + perMetric + " is reached");
            }
            // registered first: a new registry tier may be needed, and a full disk must refuse the series before
            // anything is logged (the tier's blocks are allocated when it is created, so no registry write can meet
            // a full disk later). Should logging fail below, the registration stays: the id is taken, and the label
            // set comes back with it (like a series that went quiet). A label set registered before (it went quiet)
            // keeps its id.
            int id;
            try {
                id = registry.getOrRegister(key, nextId);
            } catch (IOException e) {
                return new Failed(new IOException("cannot register new series " + labels + ": " + e.getMessage(), e));
            }
            boolean known = id != nextId;
            if (!known) {
                nextId++;
                metrics.seriesCreatedInc();
            }
            try {
                s = enter(id, labels, encoded);
            } catch (UncheckedIOException e) {
                return new Failed(e.getCause());
            }
            if (known) revived.increment();
            return new Found(s);
        }
    }

    /**
     * The head series replacing {@code gone}, which left the head (went quiet) after a writer resolved it:
     * the same labels and id, back in the head. Limits do not apply (the writer was admitted before).
     */
    synchronized HeadSeries revive(HeadSeries gone) {
        HeadSeries s = head.get(gone.labels);
        if (s != null) return s;
        if (closed) throw new IllegalStateException("storage is closed");
        revived.increment();
        return enter(gone.id, gone.labels, LabelsCodec.encode(gone.labels));
    }

    /** Logs the series, indexes it and puts it in the head; {@code encoded}: its labels' encoding. Caller holds this monitor. */
    private HeadSeries enter(int id, Labels labels, byte[] encoded) {
        Labels interned = index.add(id, labels);
        try {
            wal.writeDefinition(seriesRecord(id, encoded, recordBuffer(encoded.length)));
        } catch (IOException e) {
            index.remove(id, interned);
            throw new UncheckedIOException(new IOException("cannot log series " + labels + " to the WAL: " + e.getMessage(), e));
        }
        HeadSeries s = head.create(id, interned);
        activeByMetric.merge(metricOf(interned), 1, Integer::sum);
        return s;
    }

    /**
     * Removes the series that hold no samples in memory (none since the last flush, none frozen) from the
     * head and its postings; their data is in blocks and the registry keeps their id. The caller holds the
     * commit lock for writing (no commit is in flight). Returns how many were removed.
     */
    synchronized int removeIdle() { return removeIdle(Long.MAX_VALUE); }

    /** As {@link #removeIdle()}, only for series whose newest sample is older than {@code before}. */
    synchronized int removeIdle(long before) {
        int n = head.removeIdle(before, s -> {
            index.remove(s.id, s.labels);
            String m = metricOf(s.labels);
            int left = activeByMetric.getValue(m) - 1;
            if (left <= 0) activeByMetric.removeKey(m);
            else activeByMetric.put(m, left);
        });
        removed.add(n);
        return n;
    }

    /** Runs {@code step} holding the creation lock (see {@link SeriesRegistry#retainOnly}). */
    void underCreationLock(Runnable step) {
        synchronized (this) {
            step.run();
        }
    }

    synchronized void close() { closed = true; }

    synchronized int nextId() { return nextId; }

    /** Series that came back into the head from the registry (same id) since open. */
    long revivedCount() { return revived.sum(); }

    /** Series removed from the head (went quiet) since open. */
    long removedCount() { return removed.sum(); }

    /** Active series of one metric. */
    synchronized int activeSeries(String metric) { return activeByMetric.getValue(metric); }

    private static int recordBytes(int encodedLength) { return WalFormat.RECORD_HEADER_BYTES + 1 + 4 + 8 + encodedLength; }

    /**
     * A direct buffer for one SERIES record, reused (guarded by this monitor): the WAL's channel writes it as it is,
     * where a heap buffer was copied into a temporary direct one, after being allocated for each new series.
     */
    private ByteBuffer recordBuffer(int encodedLength) {
        int need = recordBytes(encodedLength);
        ByteBuffer b = recordBuf;
        if (b == null || b.capacity() < need) b = recordBuf = ByteBuffer.allocateDirect(Math.max(need, 1024)).order(ByteOrder.LITTLE_ENDIAN);
        return b.clear();
    }

    /** Writes the SERIES record of one series, whose labels encode to {@code encoded}, into {@code b} (cleared) and seals it. */
    private static ByteBuffer seriesRecord(int id, byte[] encoded, ByteBuffer b) {
        b.position(WalFormat.RECORD_HEADER_BYTES);
        b.put(WalFormat.TYPE_SERIES).putInt(1).putInt(id).putInt(encoded.length).put(encoded);
        WalFormat.seal(b);
        return b;
    }
}
