package io.tsdb.core.index;

import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import org.roaringbitmap.FastAggregation;
import org.roaringbitmap.RoaringBitmap;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Inverted index of series ids: a RoaringBitmap per label pair (postings) and per label name.
 * Regular-expression matchers are evaluated against the dictionary of values of the label, never
 * against every series. Label strings are interned through the dictionary so every series shares one
 * String instance per distinct name and value, and label sets with the same names share one names array
 * ({@link Labels#withSharedNames}). Thread-safe (read/write lock).
 */
public final class LabelIndex {
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final TreeMap<String, TreeMap<String, RoaringBitmap>> postings = new TreeMap<>();
    private final TreeMap<String, RoaringBitmap> byName = new TreeMap<>();
    private final RoaringBitmap all = new RoaringBitmap();
    /** Distinct sorted label-name arrays of indexed series, keyed by content (Arrays.asList of the array itself). */
    private final HashMap<List<String>, String[]> nameSets = new HashMap<>();

    /** Indexes a series and returns its labels rebuilt from interned strings and a shared names array. */
    public Labels add(int id, Labels labels) {
        String[] names = new String[labels.size()], vals = new String[labels.size()];
        lock.writeLock().lock();
        try {
            for (int i = 0; i < labels.size(); i++) {
                String name = labels.name(i), value = labels.value(i);
                // One ceilingEntry finds both the interned string and its map/bitmap (start-up indexes every series).
                Map.Entry<String, TreeMap<String, RoaringBitmap>> ne = postings.ceilingEntry(name);
                TreeMap<String, RoaringBitmap> values;
                RoaringBitmap nameBm;
                if (ne == null || !ne.getKey().equals(name)) {
                    values = new TreeMap<>();
                    postings.put(name, values);
                    nameBm = new RoaringBitmap();
                    byName.put(name, nameBm);
                } else {
                    name = ne.getKey();
                    values = ne.getValue();
                    nameBm = byName.get(name);
                }
                Map.Entry<String, RoaringBitmap> ve = values.ceilingEntry(value);
                RoaringBitmap bm;
                if (ve == null || !ve.getKey().equals(value)) {
                    bm = new RoaringBitmap();
                    values.put(value, bm);
                } else {
                    value = ve.getKey();
                    bm = ve.getValue();
                }
                bm.add(id);
                nameBm.add(id);
                names[i] = name;
                vals[i] = value;
            }
            all.add(id);
            String[] shared = nameSets.putIfAbsent(Arrays.asList(names), names);
            if (shared != null) names = shared;
        } finally {
            lock.writeLock().unlock();
        }
        return Labels.withSharedNames(names, vals);
    }

    /** Removes a series from the index (series garbage collection). */
    public void remove(int id, Labels labels) {
        lock.writeLock().lock();
        try {
            for (int i = 0; i < labels.size(); i++) {
                TreeMap<String, RoaringBitmap> values = postings.get(labels.name(i));
                if (values == null) continue;
                RoaringBitmap bm = values.get(labels.value(i));
                if (bm != null) {
                    bm.remove(id);
                    if (bm.isEmpty()) values.remove(labels.value(i));
                }
                RoaringBitmap nb = byName.get(labels.name(i));
                nb.remove(id);
                if (nb.isEmpty()) { byName.remove(labels.name(i)); postings.remove(labels.name(i)); }
            }
            all.remove(id);
        } finally {
            lock.writeLock().unlock();
        }
    }

    public long seriesCount() {
        lock.readLock().lock();
        try { return all.getLongCardinality(); } finally { lock.readLock().unlock(); }
    }

    /** Ids of series matching all matchers (all series when empty). The result is a private copy. */
    public RoaringBitmap select(List<Matcher> matchers) {
        lock.readLock().lock();
        try {
            return selectLocked(matchers);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Exact cardinality of {@link #select}. */
    public long count(List<Matcher> matchers) {
        return select(matchers).getLongCardinality();
    }

    private RoaringBitmap selectLocked(List<Matcher> matchers) {
        if (matchers.isEmpty()) return all.clone();
        // Equality matchers first: they are cheapest and most selective.
        List<Matcher> ordered = new ArrayList<>(matchers);
        ordered.sort((a, b) -> Integer.compare(rank(a), rank(b)));
        RoaringBitmap acc = null;
        for (Matcher m : ordered) {
            RoaringBitmap s = matching(m);
            if (acc == null) acc = s.clone(); else acc.and(s);
            if (acc.isEmpty()) break;
        }
        return acc;
    }

    private static int rank(Matcher m) {
        return switch (m.type()) {
            case EQ -> m.value().isEmpty() ? 2 : 0;
            case RE -> 1;
            case NEQ, NRE -> 3;
        };
    }

    /** Series whose value of m.name() (empty when absent) matches m; may return an internal bitmap: do not modify. */
    private RoaringBitmap matching(Matcher m) {
        TreeMap<String, RoaringBitmap> values = postings.get(m.name());
        RoaringBitmap present = byName.get(m.name());
        if (values == null) return m.matchesEmpty() ? all : new RoaringBitmap();
        RoaringBitmap withValue;
        if (m.type() == Matcher.Type.EQ) {
            RoaringBitmap bm = values.get(m.value());
            withValue = bm == null ? new RoaringBitmap() : bm;
        } else if (m.type() == Matcher.Type.NEQ) {
            RoaringBitmap bm = values.get(m.value());
            withValue = bm == null ? present : RoaringBitmap.andNot(present, bm);
        } else {
            withValue = regexMatching(m, values, present);
        }
        if (!m.matchesEmpty()) return withValue;
        RoaringBitmap absent = RoaringBitmap.andNot(all, present);
        return RoaringBitmap.or(withValue, absent);
    }

    private static RoaringBitmap regexMatching(Matcher m, TreeMap<String, RoaringBitmap> values, RoaringBitmap present) {
        boolean positive = m.type() == Matcher.Type.RE;
        // Fast path: a regex matching a small finite set ("a|b|c", "host_(1|2)") is answered by dictionary lookups.
        List<String> literals = m.setMatches();
        if (literals != null) {
            List<RoaringBitmap> hits = new ArrayList<>();
            for (String lit : literals) {
                RoaringBitmap bm = values.get(lit);
                if (bm != null) hits.add(bm);
            }
            RoaringBitmap u = hits.isEmpty() ? new RoaringBitmap() : FastAggregation.or(hits.iterator());
            return positive ? u : RoaringBitmap.andNot(present, u);
        }
        NavigableMap<String, RoaringBitmap> candidates = values;
        String prefix = RegexLiterals.literalPrefix(m.value());
        if (positive && prefix != null && !prefix.isEmpty()) candidates = values.subMap(prefix, true, prefix + Character.MAX_VALUE, true);
        List<RoaringBitmap> in = new ArrayList<>();
        List<RoaringBitmap> out = new ArrayList<>();
        for (Map.Entry<String, RoaringBitmap> e : candidates.entrySet()) {
            if (m.matches(e.getKey())) in.add(e.getValue()); else out.add(e.getValue());
        }
        if (candidates != values || in.size() <= out.size()) {
            return in.isEmpty() ? new RoaringBitmap() : FastAggregation.or(in.iterator());
        }
        RoaringBitmap excluded = out.isEmpty() ? new RoaringBitmap() : FastAggregation.or(out.iterator());
        return RoaringBitmap.andNot(present, excluded);
    }

    /** Sorted label names present among the series in {@code filter} (all series when null). */
    public List<String> labelNames(RoaringBitmap filter) {
        lock.readLock().lock();
        try {
            List<String> out = new ArrayList<>();
            for (Map.Entry<String, RoaringBitmap> e : byName.entrySet())
                if (filter == null || RoaringBitmap.intersects(e.getValue(), filter)) out.add(e.getKey());
            return out;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Sorted values of a label among the series in {@code filter} (all series when null). */
    public List<String> labelValues(String name, RoaringBitmap filter) {
        lock.readLock().lock();
        try {
            TreeMap<String, RoaringBitmap> values = postings.get(name);
            if (values == null) return List.of();
            List<String> out = new ArrayList<>();
            for (Map.Entry<String, RoaringBitmap> e : values.entrySet())
                if (filter == null || RoaringBitmap.intersects(e.getValue(), filter)) out.add(e.getKey());
            return out;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Number of series with label {@code name=value}. */
    public long cardinality(String name, String value) {
        lock.readLock().lock();
        try {
            TreeMap<String, RoaringBitmap> values = postings.get(name);
            RoaringBitmap bm = values == null ? null : values.get(value);
            return bm == null ? 0 : bm.getLongCardinality();
        } finally {
            lock.readLock().unlock();
        }
    }

    /** A label pair with its series count. */
    public record PairCount(String name, String value, long series) {}

    /** The {@code n} label pairs with most series (name == null: all names), descending by series count. */
    public List<PairCount> topPairs(String name, int n) {
        lock.readLock().lock();
        try {
            java.util.PriorityQueue<PairCount> heap = new java.util.PriorityQueue<>((a, b) -> Long.compare(a.series(), b.series()));
            Iterator<Map.Entry<String, TreeMap<String, RoaringBitmap>>> it =
                    (name == null ? postings : postings.subMap(name, true, name, true)).entrySet().iterator();
            while (it.hasNext()) {
                Map.Entry<String, TreeMap<String, RoaringBitmap>> e = it.next();
                for (Map.Entry<String, RoaringBitmap> v : e.getValue().entrySet()) {
                    long c = v.getValue().getLongCardinality();
                    if (heap.size() < n) heap.add(new PairCount(e.getKey(), v.getKey(), c));
                    else if (n > 0 && heap.peek().series() < c) { heap.poll(); heap.add(new PairCount(e.getKey(), v.getKey(), c)); }
                }
            }
            List<PairCount> out = new ArrayList<>(heap);
            out.sort((a, b) -> a.series() != b.series() ? Long.compare(b.series(), a.series())
                    : a.name().equals(b.name()) ? a.value().compareTo(b.value()) : a.name().compareTo(b.name()));
            return out;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Number of distinct values per label name, for status pages. */
    public Map<String, Integer> valueCounts() {
        lock.readLock().lock();
        try {
            TreeMap<String, Integer> out = new TreeMap<>();
            for (Map.Entry<String, TreeMap<String, RoaringBitmap>> e : postings.entrySet()) out.put(e.getKey(), e.getValue().size());
            return out;
        } finally {
            lock.readLock().unlock();
        }
    }
}
