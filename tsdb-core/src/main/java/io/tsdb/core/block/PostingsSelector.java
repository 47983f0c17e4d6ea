package io.tsdb.core.block;

import io.tsdb.core.Matcher;
import org.roaringbitmap.buffer.BufferFastAggregation;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

import java.util.ArrayList;
import java.util.List;

/**
 * Resolves label matchers to a bitmap of series ids using only the postings table: regular expressions
 * are evaluated once per distinct label value (the value dictionary), never per series.
 */
final class PostingsSelector {
    private PostingsSelector() {}

    static MutableRoaringBitmap all(IndexReader ix) {
        MutableRoaringBitmap b = new MutableRoaringBitmap();
        b.add(0L, ix.numSeries());
        return b;
    }

    /** Series matching every matcher (an empty list selects every series). */
    static MutableRoaringBitmap select(IndexReader ix, List<Matcher> matchers) {
        MutableRoaringBitmap result = null;
        for (Matcher m : matchers) {
            if (m.matchesEmpty()) continue;
            ImmutableRoaringBitmap s = union(ix, m, true);
            if (result == null) result = s instanceof MutableRoaringBitmap mb ? mb : s.toMutableRoaringBitmap();
            else result.and(s);
            if (result.isEmpty()) return result;
        }
        if (result == null) result = all(ix);
        for (Matcher m : matchers) {
            if (!m.matchesEmpty()) continue;
            // the matcher accepts series without the label: drop those whose value does not match
            result.andNot(union(ix, m, false));
            if (result.isEmpty()) return result;
        }
        return result;
    }

    /** Union of postings of values of {@code m.name()} for which {@code m.matches(value) == want}. */
    private static ImmutableRoaringBitmap union(IndexReader ix, Matcher m, boolean want) {
        IndexReader.LabelEntry e = ix.entry(m.name());
        if (e == null) return new MutableRoaringBitmap();
        if (m.type() == Matcher.Type.EQ && want || m.type() == Matcher.Type.NEQ && !want) {
            int i = e.indexOf(m.value());
            return i < 0 ? new MutableRoaringBitmap() : ix.postings(e, i);
        }
        List<ImmutableRoaringBitmap> parts = new ArrayList<>();
        List<String> set = m.setMatches();
        if (set != null && (m.type() == Matcher.Type.RE) == want) {
            // the values the regex matches form a small set: look each up in the sorted dictionary
            for (String s : set) {
                int i = e.indexOf(s);
                if (i >= 0) parts.add(ix.postings(e, i));
            }
            if (parts.isEmpty()) return new MutableRoaringBitmap();
            if (parts.size() == 1) return parts.get(0);
            return BufferFastAggregation.or(parts.iterator());
        }
        int total = e.count();
        for (int i = 0; i < total; i++) if (m.matches(e.value(i)) == want) parts.add(ix.postings(e, i));
        if (parts.size() == total) return ix.postingsForName(e);
        if (parts.isEmpty()) return new MutableRoaringBitmap();
        if (parts.size() == 1) return parts.get(0);
        return BufferFastAggregation.or(parts.iterator());
    }
}
