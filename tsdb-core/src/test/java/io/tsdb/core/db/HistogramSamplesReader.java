package io.tsdb.core.db;

import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SampleCursor;
import io.tsdb.core.SeriesSet;
import io.tsdb.core.Storage;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.histogram.Histogram;
import io.tsdb.core.histogram.HistogramEquality;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads float and histogram samples back from a storage (tests), and compares them with what was written. */
final class HistogramSamplesReader {
    private HistogramSamplesReader() {}

    /** One sample: t and a Double, a Histogram or a FloatHistogram (copies). */
    record X(long t, Object v) {
        int type() { return v instanceof Double ? SampleCursor.FLOAT : v instanceof Histogram ? SampleCursor.HISTOGRAM : SampleCursor.FLOAT_HISTOGRAM; }

        boolean same(X o) {
            if (t != o.t) return false;
            if (v instanceof Double d) return o.v instanceof Double e && Double.doubleToRawLongBits(d) == Double.doubleToRawLongBits(e);
            if (v instanceof Histogram h) return o.v instanceof Histogram g && HistogramEquality.same(h, g);
            return o.v instanceof FloatHistogram g && HistogramEquality.same((FloatHistogram) v, g);
        }
    }

    static X x(long t, double v) { return new X(t, v); }
    static X x(long t, Histogram h) { return new X(t, new Histogram().copyFrom(h)); }
    static X x(long t, FloatHistogram h) { return new X(t, new FloatHistogram().copyFrom(h)); }

    static Map<Labels, List<X>> read(Storage st, long mint, long maxt, Matcher... ms) {
        Map<Labels, List<X>> out = new LinkedHashMap<>();
        try (Querier q = st.querier(mint, maxt)) {
            SeriesSet ss = q.select(List.of(ms));
            while (ss.next()) out.put(ss.labels(), drain(ss.cursor()));
        }
        return out;
    }

    static List<X> drain(SampleCursor c) {
        List<X> l = new ArrayList<>();
        while (c.next()) {
            switch (c.sampleType()) {
                case SampleCursor.FLOAT -> l.add(new X(c.timestamp(), c.value()));
                case SampleCursor.HISTOGRAM -> l.add(new X(c.timestamp(), c.histogram(new Histogram())));
                default -> l.add(new X(c.timestamp(), c.floatHistogram(new FloatHistogram())));
            }
        }
        return l;
    }

    static List<X> series(Storage st, String name) {
        Map<Labels, List<X>> m = read(st, Long.MIN_VALUE, Long.MAX_VALUE, Matcher.eq("__name__", name));
        if (m.isEmpty()) return List.of();
        if (m.size() != 1) throw new AssertionError("several series named " + name + ": " + m.keySet());
        return m.values().iterator().next();
    }

    /** Fails unless got equals want sample by sample (histograms compared by their data, see HistogramEquality). */
    static void assertSame(List<X> want, List<X> got) {
        for (int i = 0; i < Math.min(want.size(), got.size()); i++) {
            if (!want.get(i).same(got.get(i))) throw new AssertionError("sample " + i + ": want " + want.get(i) + ", got " + got.get(i));
        }
        if (want.size() != got.size()) throw new AssertionError("want " + want.size() + " samples, got " + got.size());
    }
}
