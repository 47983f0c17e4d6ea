package io.tsdb.server.ingest.otlp;

import io.tsdb.core.Labels;
import io.tsdb.core.StaleNaN;
import io.tsdb.server.MetadataStore;
import io.tsdb.server.ingest.IngestBatch;
import io.tsdb.server.ingest.LabelRules;
import io.tsdb.server.ingest.LabelSetBuilder;

import java.util.Arrays;

/**
 * Turns decoded OTLP data points into Prometheus samples (shared by the protobuf and JSON decoders):
 * gauges and sums as one series (monotonic cumulative sums as counters with {@code _total}); histograms as
 * cumulative {@code _bucket{le}} series plus {@code _sum} and {@code _count}; summaries as
 * {@code {quantile}} series plus {@code _sum} and {@code _count}. Resource {@code service.namespace}/
 * {@code service.name} become {@code job}, {@code service.instance.id} becomes {@code instance}. Delta
 * temporality and exponential histograms are rejected per point with a counted reason.
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
        if (kind == EXP_HISTOGRAM) {
            rejectReason = "exponential_histogram_unsupported";
            reject = "metric \"" + name + "\": exponential histograms are not supported; configure the exporter to use explicit-bucket histograms";
        } else if ((kind == SUM || kind == HISTOGRAM) && temporality == DELTA) {
            rejectReason = "delta_temporality";
            reject = "metric \"" + name + "\": delta temporality is not supported; configure the exporter for cumulative temporality "
                    + "(e.g. OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=cumulative)";
        } else if ((kind == SUM || kind == HISTOGRAM) && temporality != CUMULATIVE) {
            rejectReason = "invalid_temporality";
            reject = "metric \"" + name + "\": aggregation temporality " + temporality + " is not valid for a " + (kind == SUM ? "sum" : "histogram");
        } else if (promName.isEmpty()) {
            rejectReason = "invalid_metric_name";
            reject = "metric name \"" + name + "\" has no valid characters";
        } else if (metadata != null && kind != 0) {
            String type = switch (kind) {
                case GAUGE -> "gauge";
                case SUM -> monotonic ? "counter" : "gauge";
                case HISTOGRAM -> "histogram";
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

    /** Data points of an exponential histogram or other unsupported kind: counted and rejected. */
    public void unsupportedPoint() { rejected(1); }
}
