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

    /** Metadata of the default tenant. */
    public void put(String metric, String type, String help, String unit) { put(null, metric, type, help, unit); }

    /**
     * Metadata of a tenant ({@code tenant}: the value of its tenant label, null or empty for the default tenant):
     * each tenant has its own, as each has its own series.
     */
    public void put(String tenant, String metric, String type, String help, String unit) {
        String key = tenant == null || tenant.isEmpty() ? metric : tenant + '\u0000' + metric;
        Entry e = new Entry(type == null ? "unknown" : type, help == null ? "" : help, unit == null ? "" : unit);
        byMetric.compute(key, (k, old) -> {
            if (old == null) return List.of(e);
            if (old.contains(e)) return old;
            java.util.ArrayList<Entry> l = new java.util.ArrayList<>(old);
            l.removeIf(x -> x.type().equals(e.type()) && (x.help().isEmpty() || e.help().isEmpty() || x.help().equals(e.help())) && x.unit().equals(e.unit()));
            l.add(e);
            while (l.size() > MAX_PER_METRIC) l.remove(0);
            return List.copyOf(l);
        });
    }

    /** All metadata of the default tenant, sorted by metric name. */
    public Map<String, List<Entry>> snapshot() { return snapshot(null); }

    /** All metadata of a tenant (its tenant label value; null or empty: the default tenant), sorted by metric name. */
    public Map<String, List<Entry>> snapshot(String tenant) {
        TreeMap<String, List<Entry>> out = new TreeMap<>();
        String prefix = tenant == null || tenant.isEmpty() ? null : tenant + '\u0000';
        for (var e : byMetric.entrySet()) {
            String k = e.getKey();
            int nul = k.indexOf('\u0000');
            if (prefix == null ? nul < 0 : k.startsWith(prefix)) out.put(prefix == null ? k : k.substring(prefix.length()), e.getValue());
        }
        return out;
    }

    public List<Entry> get(String metric) { return byMetric.getOrDefault(metric, List.of()); }
}
