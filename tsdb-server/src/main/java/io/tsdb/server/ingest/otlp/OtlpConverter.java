package io.tsdb.server.ingest.otlp;

import io.tsdb.core.Labels;
import io.tsdb.core.StaleNaN;
import io.tsdb.core.histogram.Histogram;
import io.tsdb.core.histogram.HistogramValidator;
import io.tsdb.core.histogram.InvalidHistogramException;
import io.tsdb.core.histogram.Schemas;
import io.tsdb.server.MetadataStore;
import io.tsdb.server.ingest.IngestBatch;
import io.tsdb.server.ingest.LabelRules;
import io.tsdb.server.ingest.LabelSetBuilder;

import java.util.Arrays;

/**
 * Turns decoded OTLP data points into Prometheus samples (shared by the protobuf and JSON decoders):
 * gauges and sums as one series (monotonic cumulative sums as counters with {@code _total}); histograms as
 * cumulative {@code _bucket{le}} series plus {@code _sum} and {@code _count}; summaries as
 * {@code {quantile}} series plus {@code _sum} and {@code _count}; exponential histograms as native histograms.
 * Resource {@code service.namespace}/{@code service.name} become {@code job}, {@code service.instance.id} becomes
 * {@code instance}. Delta temporality is rejected per point with a counted reason.
 */
public final class OtlpConverter {
    public static final int GAUGE = 5, SUM = 7, HISTOGRAM = 9, EXP_HISTOGRAM = 10, SUMMARY = 11;
    public static final int TEMPORALITY_UNSPECIFIED = 0, DELTA = 1, CUMULATIVE = 2;
    static final int FLAG_NO_RECORDED_VALUE = 1;

    private final LabelSetBuilder lb;
    private final MetadataStore metadata;
    private IngestBatch batch;
    private long nowMs;
    private String serviceName, serviceNamespace, serviceInstance;
    // current metric
    private String rawName, promName, reject, rejectReason;
    private int kind;
    private long metricPoints;
    // current point attributes
    private String[] attrK = new String[16], attrV = new String[16];
    private int nAttr;
    private final Histogram hist = new Histogram();

    public OtlpConverter(LabelRules rules, MetadataStore metadata) {
        this.lb = new LabelSetBuilder(rules);
        this.metadata = metadata;
    }

    public void begin(IngestBatch batch, long nowMs) { this.batch = batch; this.nowMs = nowMs; }

    public void startResource() { serviceName = serviceNamespace = serviceInstance = null; }

    public void resourceAttribute(String key, String value) {
        switch (key) {
            case "service.name" -> serviceName = value;
            case "service.namespace" -> serviceNamespace = value;
            case "service.instance.id" -> serviceInstance = value;
            default -> { }
        }
    }

    /** Starts a metric; {@code kind} is the Metric oneof field number (GAUGE, SUM, ...). */
    public void startMetric(String name, String description, String unit, int kind, int temporality, boolean monotonic) {
        this.rawName = name;
        this.kind = kind;
        this.reject = null;
        this.rejectReason = null;
        boolean counter = kind == SUM && monotonic;
        boolean gauge = kind == GAUGE || (kind == SUM && !monotonic);
        promName = OtlpNames.metricName(name == null ? "" : name, unit, counter, gauge);
        if ((kind == SUM || kind == HISTOGRAM || kind == EXP_HISTOGRAM) && temporality == DELTA) {
            rejectReason = "delta_temporality";
            reject = "metric \"" + name + "\": delta temporality is not supported; configure the exporter for cumulative temporality "
                    + "(e.g. OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=cumulative)";
        } else if ((kind == SUM || kind == HISTOGRAM || kind == EXP_HISTOGRAM) && temporality != CUMULATIVE) {
            rejectReason = "invalid_temporality";
            reject = "metric \"" + name + "\": aggregation temporality " + temporality + " is not valid for a "
                    + (kind == SUM ? "sum" : kind == HISTOGRAM ? "histogram" : "exponential histogram");
        } else if (promName.isEmpty()) {
            rejectReason = "invalid_metric_name";
            reject = "metric name \"" + name + "\" has no valid characters";
        } else if (metadata != null && kind != 0) {
            String type = switch (kind) {
                case GAUGE -> "gauge";
                case SUM -> monotonic ? "counter" : "gauge";
                case HISTOGRAM, EXP_HISTOGRAM -> "histogram";
                case SUMMARY -> "summary";
                default -> "unknown";
            };
            metadata.put(batch.metadataTenant(), promName, type, description == null ? "" : description, OtlpNames.unitWord(unit));
        }
    }

    public void clearAttributes() { nAttr = 0; }

    public void attribute(String key, String value) {
        if (nAttr == attrK.length) { attrK = Arrays.copyOf(attrK, nAttr * 2); attrV = Arrays.copyOf(attrV, nAttr * 2); }
        attrK[nAttr] = key;
        attrV[nAttr++] = value;
    }

    private boolean rejected(int samples) {
        if (reject == null) return false;
        batch.reject(rejectReason, reject, samples);
        return true;
    }

    private long ts(long timeUnixNano) { return timeUnixNano == 0 ? nowMs : Math.floorDiv(timeUnixNano, 1_000_000L); }

    /** Base labels for the current point; false (rejected) when invalid. */
    private boolean base(String name) {
        lb.reset();
        for (int i = 0; i < nAttr; i++) {
            String k = OtlpNames.labelName(attrK[i]);
            if (k.isEmpty()) continue;
            String have = lb.get(k);
            if (have != null) lb.set(k, have + ";" + attrV[i]); // sanitized keys collide: join values
            else lb.add(k, attrV[i]);
        }
        String job = serviceName == null ? null : serviceNamespace == null || serviceNamespace.isEmpty() ? serviceName : serviceNamespace + "/" + serviceName;
        if (job != null) lb.set("job", job);
        if (serviceInstance != null) lb.set("instance", serviceInstance);
        lb.set(Labels.METRIC_NAME, name);
        return true;
    }

    private void emit(long ts, double v) {
        Labels l = lb.build();
        if (l == null) { batch.reject(lb.reason().reason, lb.message() + " (OTLP metric \"" + rawName + "\")"); return; }
        batch.append(l, ts, v);
    }

    public void number(long timeUnixNano, double value, int flags) {
        if (rejected(1)) return;
        base(promName);
        emit(ts(timeUnixNano), (flags & FLAG_NO_RECORDED_VALUE) != 0 ? StaleNaN.VALUE : value);
    }

    public void histogram(long timeUnixNano, long count, double sum, boolean hasSum, double[] bounds, int nBounds,
                          long[] counts, int nCounts, int flags) {
        if (rejected(nBounds + 2 + (hasSum ? 1 : 0))) return;
        if (nCounts != 0 && nCounts != nBounds + 1) {
            batch.reject("invalid_histogram", "metric \"" + rawName + "\": " + nCounts + " bucket counts for " + nBounds
                    + " explicit bounds (expected " + (nBounds + 1) + ")", nBounds + 2);
            return;
        }
        long t = ts(timeUnixNano);
        boolean stale = (flags & FLAG_NO_RECORDED_VALUE) != 0;
        base(promName + "_bucket");
        long cum = 0;
        for (int i = 0; i < nBounds && nCounts > 0; i++) {
            cum += counts[i];
            lb.set("le", OtlpNames.formatFloat(bounds[i]));
            emit(t, stale ? StaleNaN.VALUE : cum);
        }
        lb.set("le", "+Inf");
        emit(t, stale ? StaleNaN.VALUE : count);
        base(promName + "_count");
        emit(t, stale ? StaleNaN.VALUE : count);
        if (hasSum) {
            base(promName + "_sum");
            emit(t, stale ? StaleNaN.VALUE : sum);
        }
    }

    /**
     * An exponential histogram point as one native histogram sample of the metric's name (no suffix), as the
     * Prometheus OTLP translator does: OTLP bucket {@code offset + i} covers (base^(offset+i), base^(offset+i+1)], the
     * native bucket with the same upper bound has index offset+i+1; a scale above 8 is reduced to 8 by merging
     * 2^(scale-8) neighbouring buckets; a scale below -4 cannot be stored and the point is rejected. The zero bucket
     * keeps the OTLP zero count with Prometheus's default threshold (1e-128); "no recorded value" is a stale marker.
     */
    public void exponentialHistogram(long timeUnixNano, long count, double sum, boolean hasSum, int scale, long zeroCount,
                                     int posOffset, long[] pos, int nPos, int negOffset, long[] neg, int nNeg, int flags) {
        if (rejected(1)) return;
        base(promName);
        Labels l = lb.build();
        if (l == null) { batch.reject(lb.reason().reason, lb.message() + " (OTLP metric \"" + rawName + "\")"); return; }
        long t = ts(timeUnixNano);
        if (scale < Schemas.EXPONENTIAL_MIN) {
            batch.reject("invalid_histogram", "series " + l + ": exponential histogram at timestamp " + t + " has scale " + scale
                    + ", below -4, the coarsest scale native histograms store; it cannot be stored without losing its buckets");
            return;
        }
        if ((long) posOffset + nPos > Integer.MAX_VALUE - 1 || (long) negOffset + nNeg > Integer.MAX_VALUE - 1) {
            batch.reject("invalid_histogram", "series " + l + ": exponential histogram at timestamp " + t + " has bucket offsets beyond 2^31");
            return;
        }
        Histogram h = hist.clear();
        if ((flags & FLAG_NO_RECORDED_VALUE) != 0) {
            h.setStale();
        } else {
            int reduce = Math.max(0, scale - Schemas.EXPONENTIAL_MAX);
            h.schema = scale - reduce;
            h.count = count;
            h.sum = hasSum ? sum : 0;
            h.zeroCount = zeroCount;
            h.zeroThreshold = DEFAULT_ZERO_THRESHOLD;
            layout(h, true, posOffset, pos, nPos, reduce);
            layout(h, false, negOffset, neg, nNeg, reduce);
            try {
                HistogramValidator.validate(h);
            } catch (InvalidHistogramException e) {
                batch.reject("invalid_histogram", "series " + l + ": exponential histogram at timestamp " + t + " (scale " + scale
                        + ") breaks rule " + e.rule().id + ": " + e.getMessage());
                return;
            }
        }
        batch.appendHistogram(l, t, h);
    }

    /** Prometheus's zero threshold for histograms converted from OTLP (the OTLP threshold is not carried over, as upstream). */
    static final double DEFAULT_ZERO_THRESHOLD = 1e-128;

    /**
     * Spans and deltas of one side from dense OTLP counts starting at OTLP index {@code offset}, merging 2^reduce
     * buckets into one. Empty buckets are left out, except runs of at most two between populated ones (which keep a
     * span going, as Prometheus lays histograms out).
     */
    private static void layout(Histogram h, boolean positive, int offset, long[] counts, int n, int reduce) {
        io.tsdb.core.histogram.Spans spans = positive ? h.positiveSpans : h.negativeSpans;
        long prev = 0;
        int last = 0;
        boolean any = false;
        int i = 0;
        while (i < n) {
            int idx = ((offset + i) >> reduce) + 1;
            long c = 0;
            while (i < n && ((offset + i) >> reduce) + 1 == idx) c += counts[i++];
            if (c == 0) continue;
            if (!any) {
                spans.add(idx, 0);
                any = true;
            } else {
                int gap = idx - last - 1;
                if (gap > 2) spans.add(gap, 0);
                else for (int g = 0; g < gap; g++) { delta(h, positive, -prev); prev = 0; spans.extendLast(1); }
            }
            delta(h, positive, c - prev);
            spans.extendLast(1);
            prev = c;
            last = idx;
        }
    }

    private static void delta(Histogram h, boolean positive, long d) {
        if (positive) h.addPositiveDelta(d); else h.addNegativeDelta(d);
    }

    public void summary(long timeUnixNano, long count, double sum, double[] quantiles, double[] values, int n, int flags) {
        if (rejected(n + 2)) return;
        long t = ts(timeUnixNano);
        boolean stale = (flags & FLAG_NO_RECORDED_VALUE) != 0;
        base(promName);
        for (int i = 0; i < n; i++) {
            lb.set("quantile", OtlpNames.formatFloat(quantiles[i]));
            emit(t, stale ? StaleNaN.VALUE : values[i]);
        }
        base(promName + "_count");
        emit(t, stale ? StaleNaN.VALUE : count);
        base(promName + "_sum");
        emit(t, stale ? StaleNaN.VALUE : sum);
    }

    /** Data points of an unsupported kind: counted and rejected. */
    public void unsupportedPoint() { rejected(1); }
}
