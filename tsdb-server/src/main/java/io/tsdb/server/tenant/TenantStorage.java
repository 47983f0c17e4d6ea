package io.tsdb.server.tenant;

import io.tsdb.core.Appender;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.Storage;
import io.tsdb.core.StorageAdmin;
import io.tsdb.core.StorageStats;
import io.tsdb.server.http.HttpError;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntSupplier;

/**
 * The storage as one {@link TenantScope} sees it: the only way request handlers, the query engine of a request
 * and the rule engine reach the data (docs/security.md, "Tenants"). Reads add the scope's matcher and hide the
 * tenant label ({@link TenantQuerier}); writes add the tenant label ({@link TenantAppender}); deletions are
 * limited to the scope's series. Operations on the whole store (flush, snapshot, clean_tombstones) need the
 * default tenant's scope ({@link TenantScope#isDefault()}). Stateless apart from the wrapped storage: cheap to
 * create, safe to share.
 */
public final class TenantStorage implements Storage, StorageAdmin {
    private final Storage root;
    private final TenantScope scope;
    private final IntSupplier maxLabelNames;
    /** The series limits of a single-tenant scope (null for a multi-tenant one, which cannot write). */
    private final SeriesGuard guard;

    public TenantStorage(Storage root, TenantScope scope, IntSupplier maxLabelNames) {
        this(root, scope, maxLabelNames, null);
    }

    TenantStorage(Storage root, TenantScope scope, IntSupplier maxLabelNames, SeriesGuard guard) {
        this.root = root;
        this.scope = scope;
        this.maxLabelNames = maxLabelNames;
        this.guard = guard;
    }

    public TenantScope scope() { return scope; }

    /** The storage under every tenant (for operator statistics). */
    public Storage root() { return root; }

    @Override public Appender appender() {
        String tenant = scope.single();
        return new TenantAppender(root.appender(), scope.labelValue(tenant), maxLabelNames, guard);
    }

    @Override public Querier querier(long mint, long maxt) { return new TenantQuerier(root.querier(mint, maxt), scope); }

    /**
     * The default tenant sees the store's statistics (it is the operator's scope); another scope sees its own
     * number of series in the head time range, the head's time bounds, and zeros for block and disk figures.
     */
    @Override public StorageStats stats() {
        StorageStats s = root.stats();
        if (scope.isDefault()) return s;
        long series;
        try (Querier q = querier(s.headMinTime(), s.headMaxTime())) {
            series = s.activeSeries() == 0 ? 0 : q.seriesCount(List.of());
        }
        return new StorageStats(series, 0, s.headMinTime(), s.headMaxTime(), 0, 0, 0, 0);
    }

    @Override public String writeRefusal() { return root.writeRefusal(); }

    @Override public void flush() throws IOException {
        operator("/api/v1/admin/flush");
        root.flush();
    }

    @Override public void flushAndMaintain() throws IOException {
        operator("/api/v1/admin/flush");
        root.flushAndMaintain();
    }

    /** Refuses an operation on the whole store to a scope other than the default tenant's (403). */
    public void operator(String what) {
        if (!scope.isDefault()) {
            throw new HttpError(403, what + " acts on every tenant's data: it needs the default tenant (\""
                    + scope.defaultTenant() + "\"), not " + TenantScope.HEADER + ": " + scope.key());
        }
    }

    private StorageAdmin admin(String what) {
        if (!(root instanceof StorageAdmin a)) {
            throw new HttpError(501, "the storage " + root.getClass().getSimpleName() + " does not support " + what);
        }
        return a;
    }

    /** Deletes only this scope's series: each selector gets the scope's matcher (and loses any on the tenant label). */
    @Override public long deleteSeries(List<List<Matcher>> selectors, long mint, long maxt) throws IOException {
        StorageAdmin a = admin("delete_series");
        List<List<Matcher>> scoped = new ArrayList<>();
        for (List<Matcher> sel : selectors) {
            List<Matcher> ms = new ArrayList<>();
            boolean none = false;
            for (Matcher m : sel) {
                if (m.name().equals(TenantScope.LABEL)) { none |= !m.matchesEmpty(); continue; }
                ms.add(m);
            }
            if (none) continue;
            ms.add(scope.enforced());
            scoped.add(ms);
        }
        return scoped.isEmpty() ? 0 : a.deleteSeries(scoped, mint, maxt);
    }

    @Override public int cleanTombstones() throws IOException {
        operator("/api/v1/admin/tsdb/clean_tombstones");
        return admin("clean_tombstones").cleanTombstones();
    }

    @Override public String snapshot(boolean skipHead) throws IOException {
        operator("/api/v1/admin/tsdb/snapshot");
        return admin("snapshot").snapshot(skipHead);
    }

    /** The root storage is closed by the server, never through a tenant's view. */
    @Override public void close() {}
}
