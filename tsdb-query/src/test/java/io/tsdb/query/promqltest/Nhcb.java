package io.tsdb.query.promqltest;

import io.tsdb.core.Labels;
import io.tsdb.core.StaleNaN;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.testing.MemStorage;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code load_with_nhcb}: besides the classic series, loads each classic histogram ({@code x_bucket{le=..}},
 * {@code x_count}, {@code x_sum}) as a native histogram with custom buckets (schema -53) named {@code x} with the
 * other labels: per timestamp, the finite {@code le} bounds become the custom bounds, cumulative bucket counts become
 * per-bucket counts, the count comes from {@code x_count} (else the +Inf bucket), the sum from {@code x_sum} (else 0).
 */
final class Nhcb {
    private Nhcb() {}

    private static final class Group {
        final TreeMap<Double, List<SeriesDesc.Val>> buckets = new TreeMap<>();
        List<SeriesDesc.Val> count, sum;
    }

    static void convert(Script.Load l, MemStorage storage) {
        Map<Labels, Group> groups = new LinkedHashMap<>();
        for (SeriesDesc.Parsed s : l.series()) {
            String name = s.labels().metricName();
            if (name == null) continue;
            String base;
            String kind;
            if (name.endsWith("_bucket")) { base = name.substring(0, name.length() - 7); kind = "bucket"; }
            else if (name.endsWith("_count")) { base = name.substring(0, name.length() - 6); kind = "count"; }
            else if (name.endsWith("_sum")) { base = name.substring(0, name.length() - 4); kind = "sum"; }
            else continue;
            Labels key = s.labels().toBuilder().set(Labels.METRIC_NAME, base).del("le").build();
            Group g = groups.computeIfAbsent(key, k -> new Group());
            switch (kind) {
                case "bucket" -> {
                    String le = s.labels().get("le");
                    if (le == null) continue;
                    double bound;
                    try {
                        bound = SeriesDesc.number(le);
                    } catch (RuntimeException e) {
                        continue;
                    }
                    g.buckets.putIfAbsent(bound, s.values());
                }
                case "count" -> g.count = s.values();
                default -> g.sum = s.values();
            }
        }
        for (Map.Entry<Labels, Group> e : groups.entrySet()) {
            Group g = e.getValue();
            if (g.buckets.isEmpty()) continue;
            int n = 0;
            for (List<SeriesDesc.Val> v : g.buckets.values()) n = Math.max(n, v.size());
            List<Double> finite = new ArrayList<>();
            for (double b : g.buckets.keySet()) if (b != Double.POSITIVE_INFINITY) finite.add(b);
            double[] custom = new double[finite.size()];
            for (int i = 0; i < custom.length; i++) custom[i] = finite.get(i);
            outer:
            for (int i = 0; i < n; i++) {
                FloatHistogram h = new FloatHistogram();
                h.schema = -53;
                h.customValues = custom;
                double prev = 0;
                int idx = 0;
                boolean hasInf = false;
                double inf = 0;
                h.positiveSpans.add(0, 0);
                for (Map.Entry<Double, List<SeriesDesc.Val>> b : g.buckets.entrySet()) {
                    SeriesDesc.Val v = i < b.getValue().size() ? b.getValue().get(i) : SeriesDesc.Val.OMITTED;
                    if (v.omitted() || v.histogram()) continue outer;
                    if (StaleNaN.is(v.value())) {
                        h.setStale();
                        storage.addHistogram(e.getKey(), i * l.intervalMs(), h);
                        continue outer;
                    }
                    if (b.getKey() == Double.POSITIVE_INFINITY) { hasInf = true; inf = v.value(); }
                    h.addPositive(v.value() - prev);
                    h.positiveSpans.extendLast(1);
                    prev = v.value();
                    idx++;
                }
                h.count = hasInf ? inf : prev;
                if (g.count != null && i < g.count.size() && !g.count.get(i).omitted() && !g.count.get(i).histogram()) {
                    h.count = g.count.get(i).value();
                }
                if (g.sum != null && i < g.sum.size() && !g.sum.get(i).omitted() && !g.sum.get(i).histogram()) {
                    h.sum = g.sum.get(i).value();
                }
                storage.addHistogram(e.getKey(), i * l.intervalMs(), h);
            }
        }
    }
}
