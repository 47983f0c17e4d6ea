package io.tsdb.server.ingest;

import io.tsdb.core.AppendStatus;
import io.tsdb.core.Appender;
import io.tsdb.core.Labels;
import io.tsdb.core.SeriesRef;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.histogram.Histogram;
import io.tsdb.server.WriteEvents;
import io.tsdb.server.http.HttpError;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The samples of one ingest request on their way into storage: appends through one {@link Appender},
 * counts accepted and rejected samples by reason, keeps the first few error messages (with a line number
 * for text formats, the series for protobuf), then commits and reports the committed time span to
 * {@link WriteEvents}. Allocates nothing per accepted sample.
 */
public final class IngestBatch {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(IngestBatch.class);
    public static final int MAX_ERRORS = 10;

    private final String protocol;
    private final Appender appender;
    private final IngestMetrics metrics;
    private final WriteEvents events;
    private final List<String> errors = new ArrayList<>();
    private String[] reasons = new String[8];
    private long[] reasonCounts = new long[8];
    private int nReasons;
    private long staged, rejected;
    /** Of {@link #staged}: the native histogram samples. */
    private long stagedHistograms;
    private long minTs = Long.MAX_VALUE, maxTs = Long.MIN_VALUE;
    private boolean storageClosed;
    /** A sample met a storage error (e.g. its new series could not be logged): the commit fails, nothing is stored. */
    private boolean storageError;
    private long unlisted;
    /** The label set of the last append (whose series {@link Appender#lastRef()} is). */
    private Labels lastLabels;
    /** Current 1-based line for error messages of text formats; 0 when not line-oriented. */
    public int line;

    /** The tenant written to, and its limits and usage (null: no per-tenant admission or accounting). */
    private final String tenant;
    private final io.tsdb.server.tenant.TenantLimiter tenantLimits;

    public IngestBatch(String protocol, Appender appender, IngestMetrics metrics, WriteEvents events) {
        this(protocol, appender, metrics, events, null, null);
    }

    public IngestBatch(String protocol, Appender appender, IngestMetrics metrics, WriteEvents events, String tenant,
                       io.tsdb.server.tenant.TenantLimiter tenantLimits) {
        this.tenant = tenant;
        this.tenantLimits = tenantLimits;
        this.protocol = protocol;
        this.appender = appender;
        this.metrics = metrics;
        this.events = events;
    }

    public String protocol() { return protocol; }

    /** The tenant label value of the tenant written to (null: the default tenant), for {@code MetadataStore.put}. */
    public String metadataTenant() { return metadataTenant; }

    private String metadataTenant;

    /** Sets the tenant label value whose metadata this batch records (see {@link #metadataTenant()}). */
    public IngestBatch metadataTenant(String labelValue) {
        this.metadataTenant = labelValue == null || labelValue.isEmpty() ? null : labelValue;
        return this;
    }

    /** The storage's instance of the label set (see {@link Appender#canonical}), for parser caches to keep. */
    public Labels canonical(Labels labels) { return appender.canonical(labels); }

    /**
     * Caches, under the key's bytes, the series whose samples were just appended with {@code labels}: the
     * storage's instance of the label set and its reference to the series ({@link Appender#lastRef()}), when
     * the last append was of these labels and found the series. Returns the entry.
     */
    public LabelCache.Entry remember(LabelCache cache, KeyBuffer key, Labels labels) {
        SeriesRef ref = lastLabels == labels ? appender.lastRef() : null;
        return cache.put(key, ref != null ? ref.labels() : appender.canonical(labels), ref);
    }

    /**
     * As {@link #remember}, unless the last append was of these labels and made their series ({@link
     * Appender#lastCreated()}): such a series is cached when it is seen again, so a burst of series sent once (a
     * million brand-new series) does not fill the cache with key bytes and entries for series that never come back.
     * For protocols that send each series once per request (remote write); returns null when it did not cache.
     */
    public LabelCache.Entry rememberUnlessNew(LabelCache cache, KeyBuffer key, Labels labels) {
        if (lastLabels == labels && appender.lastCreated()) return null;
        return remember(cache, key, labels);
    }

    /** Appends one sample; rejections are counted and described. Returns whether it was accepted. */
    public boolean append(Labels labels, long ts, double v) {
        lastLabels = labels;
        return appended(appender.append(labels, ts, v), labels, ts);
    }

    /**
     * Appends one sample of a cached series through the storage's reference to it (no lookup of the label set);
     * when the storage handed out another reference (the series left its head and came back) the entry keeps it.
     */
    public boolean append(LabelCache.Entry e, long ts, double v) {
        return appendCached(e, ts, v, null, null);
    }

    /**
     * Appends one float sample of the cached series {@code e} (by its reference, as {@link #append(LabelCache.Entry,
     * long, double)}), or when {@code e} is null of {@code labels}: one call of the appender for both, so that the JIT
     * inlines the storage's per-sample path into a decoder once, not once per kind of series.
     */
    public boolean append(LabelCache.Entry e, Labels labels, long ts, double v) {
        SeriesRef ref = null;
        if (e != null) {
            ref = e.ref();   // before the labels: see LabelCache.Entry
            labels = e.labels();
        }
        lastLabels = labels;
        AppendStatus st = appender.append(ref, labels, ts, v);
        if (e != null) {
            SeriesRef now = appender.lastRef();
            if (now != ref && now != null) e.refresh(now);
        }
        return appended(st, labels, ts);
    }

    /**
     * Appends one integer native histogram sample (validated by the caller or the storage); counted as one sample.
     * The histogram may be reused by the caller after the call.
     */
    public boolean appendHistogram(Labels labels, long ts, Histogram h) {
        lastLabels = labels;
        return histogramAppended(appender.appendHistogram(labels, ts, h), labels, ts);
    }

    public boolean appendHistogram(LabelCache.Entry e, long ts, Histogram h) {
        return appendCached(e, ts, 0, h, null);
    }

    /** As {@link #appendHistogram(Labels, long, Histogram)} for a float histogram. */
    public boolean appendFloatHistogram(Labels labels, long ts, FloatHistogram h) {
        lastLabels = labels;
        return histogramAppended(appender.appendFloatHistogram(labels, ts, h), labels, ts);
    }

    public boolean appendFloatHistogram(LabelCache.Entry e, long ts, FloatHistogram h) {
        return appendCached(e, ts, 0, null, h);
    }

    /** A float sample (h and f null) or a histogram (one of them non-null) of a cached series, by its reference. */
    private boolean appendCached(LabelCache.Entry e, long ts, double v, Histogram h, FloatHistogram f) {
        SeriesRef ref = e.ref();   // before the labels: see LabelCache.Entry
        Labels labels = e.labels();
        lastLabels = labels;
        AppendStatus st = store(ref, labels, ts, v, h, f);
        SeriesRef now = appender.lastRef();
        if (now != ref && now != null) e.refresh(now);
        return h == null && f == null ? appended(st, labels, ts) : histogramAppended(st, labels, ts);
    }

    /** The appender's call for the kind of sample: a float (h and f null) or a histogram (one of them non-null). */
    private AppendStatus store(SeriesRef ref, Labels labels, long ts, double v, Histogram h, FloatHistogram f) {
        return h != null ? appender.appendHistogram(ref, labels, ts, h)
                : f != null ? appender.appendFloatHistogram(ref, labels, ts, f) : appender.append(ref, labels, ts, v);
    }

    /**
     * Stores the zero sample that a start (created) timestamp stands for, before the series' sample at a later time:
     * not a sample of the request (not counted, nor reported when the storage refuses it, e.g. as out of order because
     * an earlier request already stored it).
     */
    public void appendStartZero(LabelCache.Entry e, Labels labels, long st, Histogram zeroHistogram, FloatHistogram zeroFloat) {
        Labels l = e != null ? e.labels() : labels;
        SeriesRef ref = e != null ? e.ref() : null;
        AppendStatus s = store(ref, l, st, 0.0, zeroHistogram, zeroFloat);
        if (s == AppendStatus.STORAGE_ERROR) storageError = true;
        if (s.accepted()) {
            if (st < minTs) minTs = st;
            if (st > maxTs) maxTs = st;
        }
    }

    private boolean histogramAppended(AppendStatus st, Labels labels, long ts) {
        boolean ok = appended(st, labels, ts);
        if (ok) stagedHistograms++;
        return ok;
    }

    private boolean appended(AppendStatus st, Labels labels, long ts) {
        if (st.accepted()) {
            staged++;
            // Math.min/max, not branches here: each branch's direction was settled by the first request's profile, and
            // the other direction then deoptimised the compiled decoder (per sample, so a conditional move is as cheap)
            minTs = Math.min(minTs, ts);
            maxTs = Math.max(maxTs, ts);
            return true;
        }
        if (st == AppendStatus.STORAGE_CLOSED) storageClosed = true;
        if (st == AppendStatus.STORAGE_ERROR) storageError = true;
        String detail = appender.lastError();
        if (detail == null) detail = describe(st) + " for series " + labels + " at timestamp " + ts;
        reject(st.reason, detail);
        return false;
    }

    /** Counts one rejected sample (or unparseable line or field) with a reason and message. */
    public void reject(String reason, String message) {
        reject(reason, message, 1);
    }

    public void reject(String reason, String message, long count) {
        rejected += count;
        int i = 0;
        while (i < nReasons && !reasons[i].equals(reason)) i++;
        if (i == nReasons) {
            if (nReasons == reasons.length) {
                reasons = java.util.Arrays.copyOf(reasons, nReasons * 2);
                reasonCounts = java.util.Arrays.copyOf(reasonCounts, nReasons * 2);
            }
            reasons[nReasons++] = reason;
        }
        reasonCounts[i] += count;
        if (errors.size() < MAX_ERRORS && message != null) errors.add(line > 0 ? "line " + line + ": " + message : message);
        else unlisted++;
    }

    public long staged() { return staged; }
    /** Of {@link #staged()}: how many were native histogram samples. */
    public long stagedHistograms() { return stagedHistograms; }
    public long rejected() { return rejected; }
    public List<String> errors() { return errors; }
    public long minTimestamp() { return minTs; }
    public long maxTimestamp() { return maxTs; }

    public long count(String reason) {
        for (int i = 0; i < nReasons; i++) if (reasons[i].equals(reason)) return reasonCounts[i];
        return 0;
    }

    /**
     * Commits staged samples (durable per WAL policy when this returns) and publishes the write event. First the
     * tenant's ingestion rate admits the request's samples, or the whole request is refused (429 + Retry-After,
     * nothing stored), as Mimir does.
     */
    public void commit() {
        if (tenantLimits != null) {
            try {
                tenantLimits.admitSamples(tenant, staged);
            } catch (HttpError e) {
                rollback();
                metrics.rejected(protocol, "rate_limited", staged + rejected);
                throw e;
            }
        }
        try {
            if (storageError || appender.pending() > 0 || staged > 0) appender.commit();   // throws after a storage error
            if (storageError) throw new IOException("storage could not log a new series");
        } catch (IOException | RuntimeException e) {
            rollback();
            metrics.rejected(protocol, AppendStatus.STORAGE_ERROR.reason, Math.max(1, staged + rejected));
            if (tenantLimits != null) tenantLimits.rejected(tenant, AppendStatus.STORAGE_ERROR.reason, Math.max(1, staged + rejected));
            // the cause is internal (a path, an errno): logged under the request ID, never sent to the client
            log.atError().setCause(e).addKeyValue("request_id", org.slf4j.MDC.get("request_id"))
                    .addKeyValue("protocol", protocol).log("ingest commit failed; nothing from the request was stored");
            throw new HttpError(503, "storage could not commit the write" + publicCause(e) + " (request ID " + org.slf4j.MDC.get("request_id")
                    + "; details in the server log); nothing from this request was stored", "5");
        }
        metrics.accepted(protocol, staged);
        for (int i = 0; i < nReasons; i++) metrics.rejected(protocol, reasons[i], reasonCounts[i]);
        if (tenantLimits != null) {
            tenantLimits.received(tenant, staged);
            for (int i = 0; i < nReasons; i++) tenantLimits.rejected(tenant, reasons[i], reasonCounts[i]);
        }
        if (staged > 0) events.committed(minTs, maxTs);
        if (storageClosed) {
            throw new HttpError(503, "storage is closed (server stopping); " + rejected + " samples were not stored", "5");
        }
    }

    /**
     * What a client is told of a storage failure: only the two conditions that explain the 503 and how long it lasts,
     * without a file name or an exception (those are in the log): a full disk, or a WAL that refuses writes until it
     * can start a new segment; else nothing.
     */
    private static String publicCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m == null) continue;
            if (m.contains("No space left on device")) return ": the server's disk is full (No space left on device)";
            if (m.startsWith("WAL refuses writes")) {
                return ": the WAL refuses writes after a storage error and retries in the background (see /-/ready)";
            }
        }
        return "";
    }

    /** Drops everything staged (malformed request); counts the samples as rejected with the given reason. */
    public void rollback() {
        try { appender.rollback(); } catch (RuntimeException ignored) { }
    }

    /** Counts a whole request as rejected (after rollback), for metrics. */
    public void abandon(String reason) {
        metrics.rejected(protocol, reason, Math.max(1, staged + rejected));
        staged = 0;
        stagedHistograms = 0;
    }

    /** "accepted 3 of 5 samples; rejected 2 (invalid_label_name: 1, string_field: 1)" followed by the first errors. */
    public String summary(String unit) {
        StringBuilder sb = new StringBuilder();
        sb.append("accepted ").append(staged).append(" of ").append(staged + rejected).append(' ').append(unit)
          .append("; rejected ").append(rejected).append(" (");
        for (int i = 0; i < nReasons; i++) {
            if (i > 0) sb.append(", ");
            sb.append(reasons[i]).append(": ").append(reasonCounts[i]);
        }
        sb.append(')');
        if (!errors.isEmpty()) {
            sb.append("; first errors:");
            for (String e : errors) sb.append('\n').append(e);
            if (unlisted > 0) sb.append("\n... and ").append(unlisted).append(" more errors");
        }
        return sb.toString();
    }

    public static String describe(AppendStatus st) {
        return switch (st) {
            case OK -> "ok";
            case DUPLICATE_SAME_VALUE -> "duplicate sample";
            case OUT_OF_ORDER -> "out-of-order sample (older than the series' newest sample and outside the out-of-order window)";
            case TOO_OLD -> "sample too old (before the oldest writable time)";
            case DUPLICATE_DIFFERENT_VALUE -> "duplicate timestamp with a different value";
            case TOO_FAR_IN_FUTURE -> "timestamp too far in the future";
            case INVALID_METRIC_NAME -> "invalid or missing metric name";
            case INVALID_LABEL_NAME -> "invalid label name";
            case INVALID_LABEL_VALUE -> "invalid label value (not valid UTF-8)";
            case DUPLICATE_LABEL_NAME -> "duplicate label name";
            case TOO_MANY_LABELS -> "too many labels";
            case LABEL_NAME_TOO_LONG -> "label name too long";
            case LABEL_VALUE_TOO_LONG -> "label value too long";
            case SERIES_LIMIT -> "active series limit reached";
            case SERIES_PER_METRIC_LIMIT -> "active series limit of the metric reached";
            case SERIES_REMOVED -> "series left the head during the write (retried internally)";
            case STORAGE_CLOSED -> "storage is closed";
            case STORAGE_ERROR -> "storage could not log a new series (nothing from the request is stored)";
            case INVALID_HISTOGRAM -> "invalid native histogram";
            case HISTOGRAMS_UNSUPPORTED -> "native histograms are not stored by this storage";
        };
    }
}
