package io.tsdb.server.tenant;

import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SampleCursor;
import io.tsdb.core.SeriesSet;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * A {@link Querier} that sees only the series of a {@link TenantScope}: every call adds the scope's matcher on the
 * hidden tenant label, and answers never show that label. To a client the label does not exist: a matcher on it
 * is evaluated against the empty string (kept when it matches "", else nothing matches), and label names and
 * values never list it. A multi-tenant scope shows each series' tenant as {@link TenantScope#ID_LABEL}, and a
 * matcher on that label narrows the tenants read.
 */
final class TenantQuerier implements Querier {
    private static final SeriesSet EMPTY = new SeriesSet() {
        @Override public boolean next() { return false; }
        @Override public Labels labels() { throw new IllegalStateException(); }
        @Override public SampleCursor cursor() { throw new IllegalStateException(); }
    };

    private final Querier q;
    private final TenantScope scope;

    TenantQuerier(Querier q, TenantScope scope) {
        this.q = q;
        this.scope = scope;
    }

    /** The client's matchers with the scope's matcher added, or null when they can match nothing in the scope. */
    private List<Matcher> scoped(List<Matcher> matchers) {
        List<Matcher> out = new ArrayList<>(matchers.size() + 1);
        List<String> tenants = scope.tenants();
        for (Matcher m : matchers) {
            if (m.name().equals(TenantScope.LABEL)) {
                if (!m.matchesEmpty()) return null;
                continue;
            }
            if (scope.multi() && m.name().equals(TenantScope.ID_LABEL)) {
                List<String> keep = new ArrayList<>();
                for (String t : tenants) if (m.matches(t)) keep.add(t);
                if (keep.isEmpty()) return null;
                tenants = keep;
                continue;
            }
            out.add(m);
        }
        out.add(scope.matcherFor(tenants));
        return out;
    }

    /** The label set a client sees. */
    private Labels visible(Labels stored) {
        if (scope.multi()) {
            String t = scope.tenantOf(stored.get(TenantScope.LABEL));
            return stored.toBuilder().del(TenantScope.LABEL).set(TenantScope.ID_LABEL, t).build();
        }
        return stored.get(TenantScope.LABEL) == null ? stored : stored.toBuilder().del(TenantScope.LABEL).build();
    }

    @Override public SeriesSet select(List<Matcher> matchers) { return select(matchers, null); }

    /** The filter sees the labels a client sees. */
    @Override public SeriesSet select(List<Matcher> matchers, java.util.function.Predicate<Labels> filter) {
        List<Matcher> ms = scoped(matchers);
        if (ms == null) return EMPTY;
        SeriesSet in = filter == null ? q.select(ms) : q.select(ms, stored -> filter.test(visible(stored)));
        return new SeriesSet() {
            private Labels current;
            @Override public boolean next() {
                current = null;
                return in.next();
            }
            @Override public Labels labels() {
                if (current == null) current = visible(in.labels());
                return current;
            }
            @Override public SampleCursor cursor() { return in.cursor(); }
            @Override public int seriesId() { return in.seriesId(); }
        };
    }

    @Override public long seriesCount(List<Matcher> matchers) {
        List<Matcher> ms = scoped(matchers);
        return ms == null ? 0 : q.seriesCount(ms);
    }

    @Override public long seriesUpperBound(List<Matcher> matchers) {
        List<Matcher> ms = scoped(matchers);
        return ms == null ? 0 : q.seriesUpperBound(ms);
    }

    @Override public long sampleEstimate(List<Matcher> matchers) {
        List<Matcher> ms = scoped(matchers);
        return ms == null ? 0 : q.sampleEstimate(ms);
    }

    @Override public List<String> labelNames(List<Matcher> matchers) {
        List<Matcher> ms = scoped(matchers);
        if (ms == null) return List.of();
        TreeSet<String> names = new TreeSet<>(q.labelNames(ms));
        names.remove(TenantScope.LABEL);
        if (scope.multi() && !names.isEmpty()) names.add(TenantScope.ID_LABEL);
        return List.copyOf(names);
    }

    @Override public List<String> labelValues(String name, List<Matcher> matchers) {
        if (name.equals(TenantScope.LABEL)) return List.of();
        List<Matcher> ms = scoped(matchers);
        if (ms == null) return List.of();
        if (scope.multi() && name.equals(TenantScope.ID_LABEL)) {
            List<String> out = new ArrayList<>();
            List<Matcher> one = new ArrayList<>(ms);
            for (String t : scope.tenants()) {
                one.set(one.size() - 1, scope.matcherFor(List.of(t)));
                if (!ms.get(ms.size() - 1).matches(scope.labelValue(t))) continue;
                if (q.seriesCount(one) > 0) out.add(t);
            }
            return out;
        }
        return q.labelValues(name, ms);
    }

    @Override public void close() { q.close(); }
}
