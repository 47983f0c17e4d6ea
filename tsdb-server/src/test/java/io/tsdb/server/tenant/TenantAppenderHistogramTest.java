package io.tsdb.server.tenant;

import io.tsdb.core.AppendStatus;
import io.tsdb.core.Appender;
import io.tsdb.core.Labels;
import io.tsdb.core.SeriesRef;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.histogram.Histogram;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The tenant wrapper passes native histograms to the storage under the tenant's label set, after its label checks. */
class TenantAppenderHistogramTest {
    /** Records what reaches the storage. */
    static final class Recording implements Appender {
        final List<String> calls = new ArrayList<>();
        @Override public AppendStatus append(Labels labels, long t, double v) { calls.add("float " + labels + " " + t); return AppendStatus.OK; }
        @Override public AppendStatus appendHistogram(SeriesRef ref, Labels labels, long t, Histogram h) {
            calls.add("histogram " + labels + " " + t + " count=" + h.count);
            return AppendStatus.OK;
        }
        @Override public AppendStatus appendFloatHistogram(SeriesRef ref, Labels labels, long t, FloatHistogram h) {
            calls.add("float_histogram " + labels + " " + t + " count=" + h.count);
            return AppendStatus.OK;
        }
        @Override public String lastError() { return null; }
        @Override public int pending() { return calls.size(); }
        @Override public void commit() {}
        @Override public void rollback() {}
    }

    @Test
    void histogramsReachTheStorageWithTheTenantLabel() {
        Recording rec = new Recording();
        TenantAppender a = new TenantAppender(rec, "acme", () -> 30, null);
        Histogram h = new Histogram();
        h.count = 0;
        h.sum = 0;
        FloatHistogram fh = new FloatHistogram();
        fh.count = 2.5;
        Labels l = Labels.of("__name__", "latency", "job", "api");
        assertEquals(AppendStatus.OK, a.appendHistogram(l, 1000, h));
        assertEquals(AppendStatus.OK, a.appendFloatHistogram(l, 2000, fh));
        Labels stored = l.toBuilder().set(TenantScope.LABEL, "acme").build();
        assertEquals(List.of("histogram " + stored + " 1000 count=0", "float_histogram " + stored + " 2000 count=2.5"), rec.calls);
    }

    @Test
    void theTenantChecksApplyToHistogramsToo() {
        Recording rec = new Recording();
        TenantAppender a = new TenantAppender(rec, "acme", () -> 30, null);
        Labels bad = Labels.of("__name__", "latency", TenantScope.LABEL, "other");
        assertEquals(AppendStatus.INVALID_LABEL_NAME, a.appendHistogram(bad, 1000, new Histogram()));
        assertTrue(a.lastError().contains("reserved for the tenant"), a.lastError());
        assertTrue(rec.calls.isEmpty());
    }

    @Test
    void aStorageWithoutHistogramsRejectsThemByDefault() {
        Appender plain = new Appender() {
            @Override public AppendStatus append(Labels labels, long t, double v) { return AppendStatus.OK; }
            @Override public String lastError() { return null; }
            @Override public int pending() { return 0; }
            @Override public void commit() {}
            @Override public void rollback() {}
        };
        TenantAppender a = new TenantAppender(plain, null, () -> 30, null);
        assertEquals(AppendStatus.HISTOGRAMS_UNSUPPORTED, a.appendHistogram(Labels.of("__name__", "x"), 1, new Histogram()));
        assertEquals(AppendStatus.HISTOGRAMS_UNSUPPORTED, a.appendFloatHistogram(Labels.of("__name__", "x"), 1, new FloatHistogram()));
    }
}
