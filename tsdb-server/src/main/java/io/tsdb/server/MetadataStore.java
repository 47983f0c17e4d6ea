package io.tsdb.server;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Metric metadata seen at ingest (# HELP / # TYPE / # UNIT lines, OTLP descriptions, remote-write metadata),
 * served by /api/v1/metadata. Keeps the latest entry per (metric, type, help, unit), a few per metric.
 */
public final class MetadataStore {
    /** type is one of counter, gauge, histogram, gaugehistogram, summary, info, stateset, unknown. */
    public record Entry(String type, String help, String unit) {}

    private static final int MAX_PER_METRIC = 10;
    private final ConcurrentHashMap<String, List<Entry>> byMetric = new ConcurrentHashMap<>();

    public void put(String metric, String type, String help, String unit) {
        Entry e = new Entry(type == null ? "unknown" : type, help == null ? "" : help, unit == null ? "" : unit);
        byMetric.compute(metric, (k, old) -> {
            if (old == null) return List.of(e);
            if (old.contains(e)) return old;
            java.util.ArrayList<Entry> l = new java.util.ArrayList<>(old);
            l.removeIf(x -> x.type().equals(e.type()) && (x.help().isEmpty() || e.help().isEmpty() || x.help().equals(e.help())) && x.unit().equals(e.unit()));
            l.add(e);
            while (l.size() > MAX_PER_METRIC) l.remove(0);
            return List.copyOf(l);
        });
    }

    /** All metadata, sorted by metric name. */
    public Map<String, List<Entry>> snapshot() { return new TreeMap<>(byMetric); }

    public List<Entry> get(String metric) { return byMetric.getOrDefault(metric, List.of()); }
}
