package io.tsdb.server.ingest;

import io.tsdb.core.AppendStatus;
import io.tsdb.core.Appender;
import io.tsdb.core.Labels;
import io.tsdb.core.Querier;
import io.tsdb.core.SeriesRef;
import io.tsdb.core.Storage;
import io.tsdb.core.StorageStats;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.histogram.Histogram;
import io.tsdb.core.histogram.HistogramValidator;
import io.tsdb.core.histogram.InvalidHistogramException;
import io.tsdb.core.testing.MemStorage;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A storage for ingest tests: float samples go to a {@link MemStorage}; native histograms are validated as a
 * storage must, staged, and on commit kept as copies in {@link #histograms} (rollback drops them), so tests can
 * see exactly what the ingest path handed over and that nothing of a refused request is kept.
 */
final class HistogramRecordingStorage implements Storage {
    record Stored(Labels labels, long ts, Histogram h, FloatHistogram fh) {
        @Override public String toString() { return labels + " " + ts + "=" + (h != null ? h : fh); }
    }

    final MemStorage floats = new MemStorage();
    /** False: histograms get the Appender interface's default answer (a storage that keeps none). */
    private final boolean keepsHistograms;

    HistogramRecordingStorage() { this(true); }

    HistogramRecordingStorage(boolean keepsHistograms) { this.keepsHistograms = keepsHistograms; }
    final List<Stored> histograms = Collections.synchronizedList(new ArrayList<>());

    @Override public Appender appender() {
        Appender inner = floats.appender();
        return new Appender() {
            final List<Stored> staged = new ArrayList<>();
            String error;

            @Override public AppendStatus append(Labels labels, long ts, double v) { return inner.append(labels, ts, v); }
            @Override public AppendStatus append(SeriesRef ref, Labels labels, long ts, double v) { return inner.append(ref, labels, ts, v); }
            @Override public SeriesRef lastRef() { return inner.lastRef(); }

            @Override public AppendStatus appendHistogram(Labels labels, long ts, Histogram h) {
                if (!keepsHistograms) return Appender.super.appendHistogram(labels, ts, h);
                try { HistogramValidator.validate(h); } catch (InvalidHistogramException e) { error = e.getMessage(); return AppendStatus.INVALID_HISTOGRAM; }
                staged.add(new Stored(labels, ts, new Histogram().copyFrom(h), null));
                return AppendStatus.OK;
            }

            @Override public AppendStatus appendFloatHistogram(Labels labels, long ts, FloatHistogram h) {
                if (!keepsHistograms) return Appender.super.appendFloatHistogram(labels, ts, h);
                try { HistogramValidator.validate(h); } catch (InvalidHistogramException e) { error = e.getMessage(); return AppendStatus.INVALID_HISTOGRAM; }
                staged.add(new Stored(labels, ts, null, new FloatHistogram().copyFrom(h)));
                return AppendStatus.OK;
            }

            @Override public String lastError() { return error != null ? error : inner.lastError(); }
            @Override public int pending() { return inner.pending() + staged.size(); }
            @Override public void commit() throws IOException { inner.commit(); histograms.addAll(staged); staged.clear(); }
            @Override public void rollback() { inner.rollback(); staged.clear(); }
        };
    }

    @Override public Querier querier(long mint, long maxt) { return floats.querier(mint, maxt); }
    @Override public StorageStats stats() { return floats.stats(); }
    @Override public void flush() throws IOException { floats.flush(); }
    @Override public void close() throws IOException { floats.close(); }
}
