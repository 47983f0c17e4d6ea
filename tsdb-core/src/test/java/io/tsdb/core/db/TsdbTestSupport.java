package io.tsdb.core.db;

import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SampleCursor;
import io.tsdb.core.SeriesSet;
import io.tsdb.core.Storage;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Helpers to read everything back from a Storage as plain collections. */
final class TsdbTestSupport {
    private TsdbTestSupport() {}

    record S(long t, double v) {
        @Override public boolean equals(Object o) {
            return o instanceof S s && s.t == t && Double.doubleToRawLongBits(s.v) == Double.doubleToRawLongBits(v);
        }
        @Override public int hashCode() { return Long.hashCode(t) * 31 + Double.hashCode(v); }
    }

    static Map<Labels, List<S>> read(Storage st, long mint, long maxt, Matcher... ms) {
        Map<Labels, List<S>> out = new LinkedHashMap<>();
        try (Querier q = st.querier(mint, maxt)) {
            SeriesSet ss = q.select(List.of(ms));
            while (ss.next()) {
                List<S> l = new ArrayList<>();
                SampleCursor c = ss.cursor();
                while (c.next()) l.add(new S(c.timestamp(), c.value()));
                out.put(ss.labels(), l);
            }
        }
        return out;
    }

    static List<S> samples(Storage st, Labels l) {
        List<Matcher> ms = new ArrayList<>();
        for (int i = 0; i < l.size(); i++) ms.add(Matcher.eq(l.name(i), l.value(i)));
        Map<Labels, List<S>> m = read(st, Long.MIN_VALUE, Long.MAX_VALUE, ms.toArray(new Matcher[0]));
        List<S> r = m.get(l);
        return r == null ? List.of() : r;
    }
}
