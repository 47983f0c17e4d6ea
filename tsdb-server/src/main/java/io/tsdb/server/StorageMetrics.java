package io.tsdb.server;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.tsdb.core.Storage;
import io.tsdb.core.StorageStats;

import java.util.function.Supplier;

/** Exposes {@link Storage#stats()} as gauges; one stats() call per scrape; nothing before storage is open. */
final class StorageMetrics implements MultiCollector {
    private final Supplier<Storage> storage;

    StorageMetrics(Supplier<Storage> storage) { this.storage = storage; }

    @Override
    public MetricSnapshots collect() {
        Storage s = storage.get();
        if (s == null) return MetricSnapshots.of();
        StorageStats st = s.stats();
        MetricSnapshots.Builder b = MetricSnapshots.builder();
        b.metricSnapshot(gauge("tsdb_active_series", "Series in the in-memory head.", st.activeSeries()));
        b.metricSnapshot(gauge("tsdb_head_samples", "Samples in the in-memory head.", st.headSamples()));
        if (st.headMinTime() != Long.MAX_VALUE && st.headMinTime() != Long.MIN_VALUE) {
            b.metricSnapshot(gauge("tsdb_head_min_time_seconds", "Oldest sample timestamp in the head.", st.headMinTime() / 1000.0));
        }
        if (st.headMaxTime() != Long.MIN_VALUE && st.headMaxTime() != Long.MAX_VALUE) {
            b.metricSnapshot(gauge("tsdb_head_max_time_seconds", "Newest sample timestamp in the head.", st.headMaxTime() / 1000.0));
        }
        b.metricSnapshot(gauge("tsdb_blocks", "Persisted blocks.", st.blocks()));
        b.metricSnapshot(gauge("tsdb_block_samples", "Samples in persisted blocks.", st.blockSamples()));
        b.metricSnapshot(gauge("tsdb_storage_disk_bytes", "Bytes of persisted blocks on disk.", st.diskBytes()));
        b.metricSnapshot(gauge("tsdb_wal_bytes", "Bytes of write-ahead log on disk.", st.walBytes()));
        return b.build();
    }

    private static GaugeSnapshot gauge(String name, String help, double value) {
        return GaugeSnapshot.builder().name(name).help(help)
                .dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(Labels.EMPTY).value(value).build())
                .build();
    }
}
