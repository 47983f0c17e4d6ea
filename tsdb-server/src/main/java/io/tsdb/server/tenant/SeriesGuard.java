package io.tsdb.server.tenant;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.tsdb.core.AppendStatus;
import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.Storage;
import io.tsdb.core.StorageStats;

import java.util.List;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * A tenant's series limits ({@code max_global_series_per_user}, {@code max_global_series_per_metric}): whether a new
 * series may be created. Counts are the tenant's series in the head (as the global flags count), taken from the
 * label index every {@value #REFRESH_MS} ms. Far below a limit a series costs nothing; within {@value #NEAR} series
 * of it, each label set a request writes is looked up once, a new one is counted, and one past the limit is refused
 * ({@code series_limit} / {@code series_per_metric_limit}, answered 400 like the global limits). Concurrent writers
 * of the same new series may count it twice (conservative); a tenant far from its limit that creates more than
 * {@value #NEAR} series within one refresh period can exceed the limit by the excess.
 * <p>Invariants: the tenant count is read and updated under this object's monitor, a metric's count under its
 * array's; the two are never held together (the tenant's is released first).
 */
final class SeriesGuard {
    static final long REFRESH_MS = 1000;
    /** Within this many series of a limit, every new series is counted exactly (looked up, then counted). */
    static final long NEAR = 1000;

    private final Storage root;
    private final TenantScope scope;
    private final String tenant;
    private final Supplier<TenantLimits> limits;
    private final LongSupplier clockMs;
    private volatile long count = -1, countAt;
    private final Cache<String, long[]> perMetric = Caffeine.newBuilder().maximumSize(10_000).build();

    /** The flags' limits: the store-wide caps the storage enforces itself. */
    private final TenantLimits flags;

    SeriesGuard(Storage root, TenantScope scope, Supplier<TenantLimits> limits, TenantLimits flags, LongSupplier clockMs) {
        this.flags = flags;
        this.root = root;
        this.scope = scope;
        this.tenant = scope.single();
        this.limits = limits;
        this.clockMs = clockMs;
    }

    /**
     * Whether either limit is below the store-wide cap of the flags (else {@link #check} need not be called: the
     * storage's own check of {@code --storage.max-active-series(-per-metric)} counts every tenant's series, so it
     * refuses whatever an equal per-tenant limit would).
     */
    boolean active() {
        TenantLimits l = limits.get();
        return tighter(l.maxSeries(), flags.maxSeries()) || tighter(l.maxSeriesPerMetric(), flags.maxSeriesPerMetric());
    }

    /** A tenant limit the store-wide cap does not already imply. */
    private static boolean tighter(long tenant, long global) {
        return tenant > 0 && (global <= 0 || tenant < global);
    }

    /** A refused series: the limit and the message. */
    record Refusal(AppendStatus status, String message) {}

    /**
     * Null, or the limit that refuses the series of {@code client} when it would be new; {@code exists} tells whether
     * the store holds it (called only when a count is at its limit).
     */
    Refusal check(Labels client, java.util.function.BooleanSupplier exists) {
        TenantLimits l = limits.get();
        long now = clockMs.getAsLong();
        Boolean isNew = null;
        boolean countTenant = false;
        // far below the limit with a fresh count (the common case): no lock, no lookup
        if (tighter(l.maxSeries(), flags.maxSeries()) && !(count >= 0 && now - countAt < REFRESH_MS && l.maxSeries() - count > NEAR)) {
            synchronized (this) {
                if (count < 0 || now - countAt >= REFRESH_MS) {
                    count = count(List.of(scope.enforced()));
                    countAt = now;
                }
                if (l.maxSeries() - count <= NEAR) {
                    isNew = !exists.getAsBoolean();
                    if (isNew && count >= l.maxSeries()) {
                        return new Refusal(AppendStatus.SERIES_LIMIT, "tenant " + tenant + " has " + count + " active series,"
                                + " its limit (max_global_series_per_user) is " + l.maxSeries() + "; series " + client + " was not created");
                    }
                    countTenant = isNew;
                }
            }
        }
        String metric = client.metricName();
        if (tighter(l.maxSeriesPerMetric(), flags.maxSeriesPerMetric()) && metric != null) {
            long[] c = perMetric.get(metric, k -> new long[]{-1, 0});
            synchronized (c) {
                if (c[0] < 0 || now - c[1] >= REFRESH_MS) {
                    c[0] = count(List.of(Matcher.eq(Labels.METRIC_NAME, metric), scope.enforced()));
                    c[1] = now;
                }
                if (l.maxSeriesPerMetric() - c[0] <= NEAR) {
                    if (isNew == null) isNew = !exists.getAsBoolean();
                    if (isNew && c[0] >= l.maxSeriesPerMetric()) {
                        return new Refusal(AppendStatus.SERIES_PER_METRIC_LIMIT, "tenant " + tenant + " has " + c[0]
                                + " active series of metric " + metric + ", its limit (max_global_series_per_metric) is "
                                + l.maxSeriesPerMetric() + "; series " + client + " was not created");
                    }
                    if (isNew) c[0]++;
                }
            }
        }
        if (countTenant) {
            synchronized (this) { count++; }   // after the metric's check: a refused series is not counted
        }
        return null;
    }

    /** Series of the tenant in the head's time range. */
    private long count(List<Matcher> ms) {
        StorageStats s = root.stats();
        if (s.activeSeries() == 0) return 0;
        try (Querier q = root.querier(s.headMinTime(), s.headMaxTime())) {
            return q.seriesCount(ms);
        }
    }
}
