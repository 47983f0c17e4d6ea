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

    /**
     * Series matching every matcher (an empty list selects every series). Equality matchers go first: each is one
     * postings list, usually the most selective, and the intersection only shrinks from there.
     */
    static MutableRoaringBitmap select(IndexReader ix, List<Matcher> matchers) {
        MutableRoaringBitmap result = null;
        for (int pass = 0; pass < 2; pass++) {
            for (Matcher m : matchers) {
                if (m.matchesEmpty() || (m.type() == Matcher.Type.EQ) != (pass == 0)) continue;
                ImmutableRoaringBitmap s = union(ix, m, true);
                if (result == null) result = s instanceof MutableRoaringBitmap mb ? mb : s.toMutableRoaringBitmap();
                else result.and(s);
                if (result.isEmpty()) return result;
            }
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
            return or(parts);
        }
        int total = e.count();
        for (int i = 0; i < total; i++) if (m.matches(e.value(i)) == want) parts.add(ix.postings(e, i));
        if (parts.size() == total) return ix.postingsForName(e);
        return or(parts);
    }

    /** Unions of at most this many postings lists are merged one by one. */
    static final int PAIRWISE_OR_MAX = 16;

    /**
     * The union of postings lists. A few (a set regex such as {@code host=~"a|b|c"}) are merged one into the other:
     * their small sorted containers stay sorted arrays, where the many-way aggregation turns each container into a
     * 65,536-bit map and then counts its bits (most of such a query's selection time). Many go through the aggregation.
     */
    static ImmutableRoaringBitmap or(List<ImmutableRoaringBitmap> parts) {
        if (parts.isEmpty()) return new MutableRoaringBitmap();
        if (parts.size() == 1) return parts.get(0);
        if (parts.size() > PAIRWISE_OR_MAX) return BufferFastAggregation.or(parts.iterator());
        MutableRoaringBitmap acc = parts.get(0).toMutableRoaringBitmap();
        for (int i = 1; i < parts.size(); i++) acc.or(parts.get(i));
        return acc;
    }
}
