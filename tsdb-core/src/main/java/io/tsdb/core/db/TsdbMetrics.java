package io.tsdb.core.db;

import io.tsdb.core.AppendStatus;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** Counters of the storage, read by the server for /metrics. */
public final class TsdbMetrics {
    private final LongAdder appended = new LongAdder();
    private final LongAdder duplicates = new LongAdder();
    private final LongAdder outOfOrder = new LongAdder();
    private final LongAdder[] rejected = new LongAdder[AppendStatus.values().length];
    private final LongAdder commits = new LongAdder();
    private final LongAdder seriesCreated = new LongAdder();

    TsdbMetrics() {
        for (int i = 0; i < rejected.length; i++) rejected[i] = new LongAdder();
    }

    void appended(long n) { appended.add(n); }
    void outOfOrder() { outOfOrder.increment(); }
    void commit() { commits.increment(); }
    void seriesCreatedInc() { seriesCreated.increment(); }

    void status(AppendStatus s) {
        if (s == AppendStatus.DUPLICATE_SAME_VALUE) duplicates.increment();
        else if (!s.accepted()) rejected[s.ordinal()].increment();
    }

    /** Samples stored (committed), including out-of-order ones. */
    public long samplesAppended() { return appended.sum(); }
    /** Samples accepted as exact duplicates (same timestamp and value) and not stored again. */
    public long samplesDuplicate() { return duplicates.sum(); }
    /** Samples stored out of order (older than the series' newest, within the window). */
    public long samplesOutOfOrder() { return outOfOrder.sum(); }
    public long samplesRejected(AppendStatus reason) { return rejected[reason.ordinal()].sum(); }
    /** Rejections by reason (only reasons with a non-zero count). */
    public Map<AppendStatus, Long> samplesRejected() {
        Map<AppendStatus, Long> m = new EnumMap<>(AppendStatus.class);
        for (AppendStatus s : AppendStatus.values()) {
            long n = rejected[s.ordinal()].sum();
            if (n > 0) m.put(s, n);
        }
        return m;
    }
    public long commits() { return commits.sum(); }
    public long seriesCreated() { return seriesCreated.sum(); }
}
