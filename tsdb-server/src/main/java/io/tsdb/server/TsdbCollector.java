package io.tsdb.server;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.tsdb.core.AppendStatus;
import io.tsdb.core.Storage;
import io.tsdb.core.db.Tsdb;
import io.tsdb.core.db.TsdbMetrics;

import java.util.function.Supplier;

/** Counters and gauges specific to tsdb-core's {@link Tsdb} (samples by outcome, WAL, head memory). */
final class TsdbCollector implements MultiCollector {
    private final Supplier<Storage> storage;

    TsdbCollector(Supplier<Storage> storage) { this.storage = storage; }

    @Override
    public MetricSnapshots collect() {
        if (!(storage.get() instanceof Tsdb db)) return MetricSnapshots.of();
        TsdbMetrics m = db.counters();
        MetricSnapshots.Builder b = MetricSnapshots.builder();
        b.metricSnapshot(counter("tsdb_storage_samples_appended", "Samples committed to storage (including out-of-order ones).", m.samplesAppended()));
        b.metricSnapshot(counter("tsdb_storage_samples_duplicate", "Samples identical to a stored one (same timestamp and value), not stored again.", m.samplesDuplicate()));
        b.metricSnapshot(counter("tsdb_storage_samples_out_of_order", "Samples stored out of order (within the out-of-order window).", m.samplesOutOfOrder()));
        CounterSnapshot.Builder rejected = CounterSnapshot.builder().name("tsdb_storage_samples_rejected")
                .help("Samples rejected by storage, by reason.");
        for (AppendStatus s : AppendStatus.values()) {
            if (s.accepted()) continue;
            rejected.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
                    .labels(Labels.of("reason", s.reason)).value(m.samplesRejected(s)).build());
        }
        b.metricSnapshot(rejected.build());
        b.metricSnapshot(counter("tsdb_storage_commits", "Appender commits.", m.commits()));
        b.metricSnapshot(counter("tsdb_storage_series_created", "Series created (new to the registry) since start.", m.seriesCreated()));
        b.metricSnapshot(counter("tsdb_storage_series_removed", "Series removed from the head since start (went quiet: no samples since the last flush).", db.seriesRemoved()));
        CounterSnapshot.Builder flushes = CounterSnapshot.builder().name("tsdb_head_flushes")
                .help("Head flushes to a block since start, by reason: span (the head spanned the block duration), churn (cut early: "
                        + "many series went quiet), wal (after a failed WAL fsync), other (admin API, shutdown).");
        for (var e : new java.util.TreeMap<>(db.flushesByReason()).entrySet()) {
            flushes.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().labels(Labels.of("reason", e.getKey())).value(e.getValue()).build());
        }
        b.metricSnapshot(flushes.build());
        b.metricSnapshot(counter("tsdb_storage_series_revived", "Series that came back into the head from the registry (same id) since start.", db.seriesRevived()));
        b.metricSnapshot(gauge("tsdb_head_series", "Series in the head (active series, counted by --storage.max-active-series).", db.activeSeries()));
        b.metricSnapshot(gauge("tsdb_registry_series", "Series in the series registry (with data in a block or in the head).", db.registrySeries()));
        b.metricSnapshot(counter("tsdb_wal_fsyncs", "WAL fsync calls.", db.walFsyncs()));
        b.metricSnapshot(counter("tsdb_wal_written_bytes", "Bytes written to the WAL since start.", db.walBytesWritten()));
        b.metricSnapshot(gauge("tsdb_wal_segment", "Current WAL segment number.", db.walSegment()));
        b.metricSnapshot(gauge("tsdb_wal_replay_samples", "Samples replayed from the WAL at start-up.", db.walReplaySamples()));
        b.metricSnapshot(gauge("tsdb_wal_corruptions", "Damaged regions found in the WAL at start-up (skipped or truncated).", db.walCorruptions()));
        b.metricSnapshot(gauge("tsdb_wal_truncated_bytes", "Bytes dropped from corrupt or torn WAL segment tails at start-up.", db.walTruncatedBytes()));
        b.metricSnapshot(gauge("tsdb_wal_skipped_bytes", "Bytes of damaged WAL records skipped at start-up between valid records (the records after them were replayed).", db.walSkippedBytes()));
        b.metricSnapshot(counter("tsdb_wal_write_errors", "WAL record writes that failed (e.g. no space left on device); each failed write was undone or its segment sealed.", db.walWriteErrors()));
        b.metricSnapshot(counter("tsdb_wal_fsync_errors", "WAL fsyncs that failed; each sealed its segment and failed the writes it covered.", db.walFsyncErrors()));
        b.metricSnapshot(counter("tsdb_wal_restored_writes", "Failed WAL writes undone by truncating the segment back to its last whole record.", db.walRestoredWrites()));
        b.metricSnapshot(counter("tsdb_wal_sealed_segments", "WAL segments sealed as suspect after a storage error.", db.walSealedSegments()));
        b.metricSnapshot(counter("tsdb_wal_lost_bytes", "Bytes of not yet acknowledged WAL records dropped with a suspect segment (their writes were answered as failed).", db.walLostBytes()));
        b.metricSnapshot(gauge("tsdb_storage_writes_refused", "1 while storage refuses writes (the WAL has no usable segment after a storage error and is retrying), else 0.", db.writeRefusal() == null ? 0 : 1));
        b.metricSnapshot(gauge("tsdb_head_chunks", "Chunks in the in-memory head.", db.headChunks()));
        b.metricSnapshot(gauge("tsdb_head_memory_bytes", "Approximate memory of head samples (off-heap chunks and per-series overhead).", db.headMemoryBytes()));
        b.metricSnapshot(gauge("tsdb_head_offheap_reserved_bytes", "Off-heap memory reserved for head chunks.", db.headOffHeapReservedBytes()));
        b.metricSnapshot(gauge("tsdb_head_chunk_file_bytes", "Bytes of closed head chunks held in memory-mapped segment files (chunks_head/).", db.headChunkFileBytes()));
        b.metricSnapshot(counter("tsdb_head_chunk_file_write_failures", "Closed head chunks that could not be written to a segment file (e.g. no space left) and were kept in memory.", db.headChunkFileWriteFailures()));
        return b.build();
    }

    private static CounterSnapshot counter(String name, String help, double v) {
        return CounterSnapshot.builder().name(name).help(help)
                .dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().labels(Labels.EMPTY).value(v).build()).build();
    }

    private static GaugeSnapshot gauge(String name, String help, double v) {
        return GaugeSnapshot.builder().name(name).help(help)
                .dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(Labels.EMPTY).value(v).build()).build();
    }
}
