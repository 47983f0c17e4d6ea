package io.tsdb.server.tenant;

import io.tsdb.core.AppendStatus;
import io.tsdb.core.Appender;
import io.tsdb.core.Labels;
import io.tsdb.core.SeriesRef;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.histogram.Histogram;

import java.io.IOException;
import java.util.function.IntSupplier;

/**
 * Writes the samples of one tenant: refuses a client label set that names the hidden tenant label or has more
 * label names than the tenant's limit, and stores the series with the tenant label added (none for the default
 * tenant, whose label sets pass through unchanged). Not thread-safe, like every appender.
 *
 * <p>Cost: the checks and the tenant's label set are computed once per label-set instance (consecutive samples of
 * a series reuse them). References it hands out ({@link #lastRef()}) carry the client's label set and the stored
 * one, so an ingest parser's cache of series by wire bytes spares the lookup for a tenant's series as it does for
 * the default tenant's; a reference of another tenant is ignored (the series is looked up by its labels).
 */
final class TenantAppender implements Appender {
    /** A reference to a tenant's series: the client's label set, the stored one and the storage's reference. */
    record TenantRef(String tenantValue, Labels labels, Labels stored, SeriesRef inner) implements SeriesRef {}

    private final Appender delegate;
    /** The tenant label's value, or null for the default tenant (no label). */
    private final String tenantValue;
    private final IntSupplier maxLabelNames;
    /** The tenant's series limits, or null. */
    private final SeriesGuard guard;
    private Labels lastIn, lastOut;
    private AppendStatus lastCheck = AppendStatus.OK;
    private String lastCheckError;
    private String error;
    private TenantRef lastTenantRef;
    /** The storage's reference for the sample being appended ({@link #prepare}), or null. */
    private SeriesRef inner;
    private boolean refValid;
    /**
     * The tenant's label-name limit and whether its series limits need checking, read at the first label set this
     * appender sees (an appender serves one request; a limits reload applies from the next one). Read per series
     * they were a lookup of the tenant's limits each, 8 % of the server's CPU under authenticated ingest.
     */
    private int maxLabels = -1;
    private byte guardActive = -1;

    TenantAppender(Appender delegate, String tenantValue, IntSupplier maxLabelNames, SeriesGuard guard) {
        this.guard = guard;
        this.delegate = delegate;
        this.tenantValue = tenantValue == null || tenantValue.isEmpty() ? null : tenantValue;
        this.maxLabelNames = maxLabelNames;
    }

    @Override public AppendStatus append(Labels labels, long timestampMs, double value) {
        return append(null, labels, timestampMs, value);
    }

    @Override public AppendStatus append(SeriesRef ref, Labels labels, long timestampMs, double value) {
        return add(ref, labels, timestampMs, value, null, null);
    }

    @Override public AppendStatus appendHistogram(Labels labels, long timestampMs, Histogram h) {
        return appendHistogram(null, labels, timestampMs, h);
    }

    @Override public AppendStatus appendHistogram(SeriesRef ref, Labels labels, long timestampMs, Histogram h) {
        return add(ref, labels, timestampMs, 0, h, null);
    }

    @Override public AppendStatus appendFloatHistogram(Labels labels, long timestampMs, FloatHistogram h) {
        return appendFloatHistogram(null, labels, timestampMs, h);
    }

    @Override public AppendStatus appendFloatHistogram(SeriesRef ref, Labels labels, long timestampMs, FloatHistogram h) {
        return add(ref, labels, timestampMs, 0, null, h);
    }

    /**
     * A float sample (h and f null) or a histogram (one of them non-null) after the tenant's checks, under the stored
     * label set. One path for the three kinds without a per-sample allocation: the kind is two null checks.
     */
    private AppendStatus add(SeriesRef ref, Labels labels, long timestampMs, double value, Histogram h, FloatHistogram f) {
        AppendStatus st = prepare(ref, labels);
        if (st != AppendStatus.OK) return st;
        st = h != null ? delegate.appendHistogram(inner, lastOut, timestampMs, h)
                : f != null ? delegate.appendFloatHistogram(inner, lastOut, timestampMs, f)
                : delegate.append(inner, lastOut, timestampMs, value);
        refValid = true;
        return st;
    }

    /**
     * The tenant's checks of a label set (cached per label-set instance) and the storage's reference for the
     * sample ({@link #inner}); OK when the sample may go to the storage under {@link #lastOut}.
     */
    private AppendStatus prepare(SeriesRef ref, Labels labels) {
        refValid = false;
        SeriesRef in;
        if (ref instanceof TenantRef tr) {
            // ours when it is of this tenant and these very labels (checked when it was handed out)
            if (tenantValue != null && tr.tenantValue().equals(tenantValue) && tr.labels() == labels) {
                lastIn = labels;
                lastOut = tr.stored();
                lastCheck = AppendStatus.OK;
                lastTenantRef = tr;
            }
            in = tr.inner();
        } else {
            in = ref;
        }
        inner = in;
        if (labels != lastIn) {
            lastIn = labels;
            lastTenantRef = null;
            lastCheck = check(labels);
            lastOut = lastCheck != AppendStatus.OK ? null
                    : tenantValue == null ? labels : labels.toBuilder().set(TenantScope.LABEL, tenantValue).build();
            if (guard != null && guardActive < 0) guardActive = (byte) (guard.active() ? 1 : 0);
            if (lastCheck == AppendStatus.OK && guardActive == 1) {
                Labels stored = lastOut;
                SeriesGuard.Refusal no = guard.check(labels, () -> in != null && in.labels().equals(stored)
                        || delegate.canonical(stored) != stored);
                if (no != null) {
                    lastCheck = no.status();
                    lastCheckError = no.message();
                }
            }
        }
        if (lastCheck != AppendStatus.OK) {
            error = lastCheckError;
            return lastCheck;
        }
        error = null;
        return AppendStatus.OK;
    }

    private AppendStatus check(Labels l) {
        if (l.get(TenantScope.LABEL) != null) {
            lastCheckError = "label name \"" + TenantScope.LABEL + "\" is reserved for the tenant (set by the server from "
                    + TenantScope.HEADER + ") in series " + l;
            return AppendStatus.INVALID_LABEL_NAME;
        }
        if (maxLabels < 0) maxLabels = maxLabelNames.getAsInt();
        int max = maxLabels;
        if (l.size() > max) {
            lastCheckError = l.size() + " labels exceed the limit of " + max + " per series (max_label_names_per_series;"
                    + " --storage.max-labels-per-series unless the tenant limits say otherwise) for series " + l;
            return AppendStatus.TOO_MANY_LABELS;
        }
        lastCheckError = null;
        return AppendStatus.OK;
    }

    @Override public SeriesRef lastRef() {
        if (!refValid) return null;
        SeriesRef inner = delegate.lastRef();
        if (tenantValue == null || inner == null) return inner;
        TenantRef tr = lastTenantRef;
        if (tr == null || tr.inner() != inner || tr.labels() != lastIn) {
            tr = new TenantRef(tenantValue, lastIn, inner.labels(), inner);
            lastTenantRef = tr;
        }
        return tr;
    }

    @Override public boolean lastCreated() { return refValid && delegate.lastCreated(); }

    @Override public String lastError() {
        if (error != null) return error;
        String e = delegate.lastError();
        if (e == null || tenantValue == null) return e;
        // the storage names the stored label set; the client knows its own (tenant IDs need no escaping)
        String pair = TenantScope.LABEL + "=\"" + tenantValue + "\"";
        return e.replace(pair + ", ", "").replace(", " + pair, "").replace("{" + pair + "}", "{}");
    }
    @Override public int pending() { return delegate.pending(); }
    @Override public void commit() throws IOException { delegate.commit(); }
    @Override public void rollback() { delegate.rollback(); }

    /** The storage's instance only for the default tenant; a tenant's stored label set differs from the client's. */
    @Override public Labels canonical(Labels labels) { return tenantValue == null ? delegate.canonical(labels) : labels; }
}
