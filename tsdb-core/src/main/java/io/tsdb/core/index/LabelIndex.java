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
 * A label pair held by one series only (a pod, instance or id label of churning fleets: one per series) keeps that
 * series' id as an {@link Integer} instead of a bitmap of one (16 bytes instead of about 150); it becomes a bitmap
 * when a second series takes the pair. {@link #postingsOf} reads either as a bitmap.
 * Regular-expression matchers are evaluated against the dictionary of values of the label, never
 * against every series. Label strings are interned through the dictionary so every series shares one
 * String instance per distinct name and value, and label sets with the same names share one names array
 * ({@link Labels#withSharedNames}). Thread-safe (read/write lock).
 */
public final class LabelIndex {
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final TreeMap<String, TreeMap<String, Object>> postings = new TreeMap<>();
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
                // ceilingKey finds the interned string without allocating (ceilingEntry exports a new entry per call:
                // 212 MB of a burst of a million new series, ten labels each); the value is then read by key
                String nk = postings.ceilingKey(name);
                TreeMap<String, Object> values;
                RoaringBitmap nameBm;
                if (nk == null || !nk.equals(name)) {
                    values = new TreeMap<>();
                    postings.put(name, values);
                    nameBm = new RoaringBitmap();
                    byName.put(name, nameBm);
                } else {
                    name = nk;
                    values = postings.get(name);
                    nameBm = byName.get(name);
                }
                // putIfAbsent first: a value of one series (a pod, an instance) is new, and its pair goes in with one
                // descent of what is the largest map of the index; a value already there (a metric name, a job: the
                // small maps) then takes the descents that intern its string and update its postings
                Object p = values.putIfAbsent(value, id);
                if (p != null) {
                    value = values.ceilingKey(value);
                    if (p instanceof RoaringBitmap bm) bm.add(id);
                    else if ((Integer) p != id) values.put(value, RoaringBitmap.bitmapOf((Integer) p, id));
                }
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
                TreeMap<String, Object> values = postings.get(labels.name(i));
                if (values == null) continue;
                Object p = values.get(labels.value(i));
                if (p instanceof RoaringBitmap bm) {
                    bm.remove(id);
                    if (bm.isEmpty()) values.remove(labels.value(i));
                } else if (p != null && (Integer) p == id) {
                    values.remove(labels.value(i));
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
        TreeMap<String, Object> values = postings.get(m.name());
        RoaringBitmap present = byName.get(m.name());
        if (values == null) return m.matchesEmpty() ? all : new RoaringBitmap();
        RoaringBitmap withValue;
        if (m.type() == Matcher.Type.EQ) {
            RoaringBitmap bm = postingsOf(values.get(m.value()));
            withValue = bm == null ? new RoaringBitmap() : bm;
        } else if (m.type() == Matcher.Type.NEQ) {
            RoaringBitmap bm = postingsOf(values.get(m.value()));
            withValue = bm == null ? present : RoaringBitmap.andNot(present, bm);
        } else {
            withValue = regexMatching(m, values, present);
        }
        if (!m.matchesEmpty()) return withValue;
        RoaringBitmap absent = RoaringBitmap.andNot(all, present);
        return RoaringBitmap.or(withValue, absent);
    }

    /** A pair's postings as a bitmap (a new one for a pair of one series; null for none): do not modify. */
    private static RoaringBitmap postingsOf(Object p) {
        if (p == null || p instanceof RoaringBitmap) return (RoaringBitmap) p;
        return RoaringBitmap.bitmapOf((Integer) p);
    }

    /** Series count of a pair's postings. */
    private static long cardinalityOf(Object p) {
        return p == null ? 0 : p instanceof RoaringBitmap bm ? bm.getLongCardinality() : 1;
    }

    /** Whether a pair's postings and {@code filter} share a series. */
    private static boolean intersects(Object p, RoaringBitmap filter) {
        return p instanceof RoaringBitmap bm ? RoaringBitmap.intersects(bm, filter) : filter.contains((Integer) p);
    }

    private static RoaringBitmap regexMatching(Matcher m, TreeMap<String, Object> values, RoaringBitmap present) {
        boolean positive = m.type() == Matcher.Type.RE;
        // Fast path: a regex matching a small finite set ("a|b|c", "host_(1|2)") is answered by dictionary lookups.
        List<String> literals = m.setMatches();
        if (literals != null) {
            List<RoaringBitmap> hits = new ArrayList<>();
            for (String lit : literals) {
                RoaringBitmap bm = postingsOf(values.get(lit));
                if (bm != null) hits.add(bm);
            }
            RoaringBitmap u = hits.isEmpty() ? new RoaringBitmap() : FastAggregation.or(hits.iterator());
            return positive ? u : RoaringBitmap.andNot(present, u);
        }
        NavigableMap<String, Object> candidates = values;
        String prefix = RegexLiterals.literalPrefix(m.value());
        if (positive && prefix != null && !prefix.isEmpty()) candidates = values.subMap(prefix, true, prefix + Character.MAX_VALUE, true);
        // Pairs of one series are gathered as ids (no bitmap each), then added to the union in one pass.
        Postings in = new Postings(), out = new Postings();
        for (Map.Entry<String, Object> e : candidates.entrySet()) {
            (m.matches(e.getKey()) ? in : out).add(e.getValue());
        }
        if (candidates != values || in.size() <= out.size()) return in.union();
        return RoaringBitmap.andNot(present, out.union());
    }

    /** Postings gathered for a union: bitmaps, and the ids of pairs held by one series. */
    private static final class Postings {
        final List<RoaringBitmap> bitmaps = new ArrayList<>();
        int[] ids = new int[16];
        int n;

        void add(Object p) {
            if (p instanceof RoaringBitmap bm) { bitmaps.add(bm); return; }
            if (n == ids.length) ids = Arrays.copyOf(ids, n * 2);
            ids[n++] = (Integer) p;
        }

        int size() { return bitmaps.size() + n; }

        RoaringBitmap union() {
            RoaringBitmap u = bitmaps.isEmpty() ? new RoaringBitmap() : FastAggregation.or(bitmaps.iterator());
            if (n > 0) {
                int[] sorted = Arrays.copyOf(ids, n);
                Arrays.sort(sorted);
                u.or(RoaringBitmap.bitmapOf(sorted));
            }
            return u;
        }
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
            TreeMap<String, Object> values = postings.get(name);
            if (values == null) return List.of();
            List<String> out = new ArrayList<>();
            for (Map.Entry<String, Object> e : values.entrySet())
                if (filter == null || intersects(e.getValue(), filter)) out.add(e.getKey());
            return out;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Number of series with label {@code name=value}. */
    public long cardinality(String name, String value) {
        lock.readLock().lock();
        try {
            TreeMap<String, Object> values = postings.get(name);
            return values == null ? 0 : cardinalityOf(values.get(value));
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
            Iterator<Map.Entry<String, TreeMap<String, Object>>> it =
                    (name == null ? postings : postings.subMap(name, true, name, true)).entrySet().iterator();
            while (it.hasNext()) {
                Map.Entry<String, TreeMap<String, Object>> e = it.next();
                for (Map.Entry<String, Object> v : e.getValue().entrySet()) {
                    long c = cardinalityOf(v.getValue());
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
            for (Map.Entry<String, TreeMap<String, Object>> e : postings.entrySet()) out.put(e.getKey(), e.getValue().size());
            return out;
        } finally {
            lock.readLock().unlock();
        }
    }
}
