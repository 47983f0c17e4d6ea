package io.tsdb.core.index;

import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import org.roaringbitmap.FastAggregation;
import org.roaringbitmap.RoaringBitmap;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Inverted index of series ids: a RoaringBitmap per label pair (postings) and per label name.
 * The values of each name are a hash table ({@link LabelValues}, sorted on demand); a label pair held by one series
 * only (a pod, instance or id label of churning fleets: one per series) keeps that series' id in the table's slot
 * instead of a bitmap of one (no object at all instead of about 150 bytes); it becomes a bitmap when a second series
 * takes the pair.
 * Regular-expression matchers are evaluated against the dictionary of values of the label, never
 * against every series. Label strings are interned through the dictionary so every series shares one
 * String instance per distinct name and value, and label sets with the same names share one names array
 * ({@link Labels#withSharedNames}). Thread-safe (read/write lock).
 */
public final class LabelIndex {
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    /** Label name -> its values and the series that have it. */
    private final HashMap<String, LabelValues> byName = new HashMap<>();
    /** The label names sorted, until a name comes or goes; null when not built. */
    private volatile String[] sortedNames;
    private final RoaringBitmap all = new RoaringBitmap();
    /** Distinct sorted label-name arrays of indexed series, keyed by content (Arrays.asList of the array itself). */
    private final HashMap<List<String>, String[]> nameSets = new HashMap<>();

    /** Indexes a series and returns its labels rebuilt from interned strings and a shared names array. */
    public Labels add(int id, Labels labels) {
        String[] names = new String[labels.size()], vals = new String[labels.size()];
        lock.writeLock().lock();
        try {
            for (int i = 0; i < labels.size(); i++) {
                String name = labels.name(i);
                LabelValues values = byName.get(name);
                if (values == null) {
                    values = new LabelValues(name);
                    byName.put(name, values);
                    sortedNames = null;
                }
                vals[i] = values.add(labels.value(i), id);
                values.present.add(id);
                names[i] = values.name;
            }
            all.add(id);
            String[] shared = nameSets.putIfAbsent(Arrays.asList(names), names);
            if (shared != null) names = shared;
        } finally {
            lock.writeLock().unlock();
        }
        return Labels.withSharedNames(names, vals, labels);
    }

    /** Removes a series from the index (series garbage collection). */
    public void remove(int id, Labels labels) {
        lock.writeLock().lock();
        try {
            for (int i = 0; i < labels.size(); i++) {
                LabelValues values = byName.get(labels.name(i));
                if (values == null) continue;
                values.remove(labels.value(i), id);
                values.present.remove(id);
                if (values.present.isEmpty()) { byName.remove(values.name); sortedNames = null; }
            }
            all.remove(id);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** The label names sorted (built if needed; caller holds a lock): do not modify. */
    private String[] sortedNames() {
        String[] s = sortedNames;
        if (s == null) {
            s = byName.keySet().toArray(new String[0]);
            Arrays.sort(s);
            sortedNames = s;
        }
        return s;
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
        LabelValues values = byName.get(m.name());
        if (values == null) return m.matchesEmpty() ? all : new RoaringBitmap();
        RoaringBitmap present = values.present;
        RoaringBitmap withValue;
        if (m.type() == Matcher.Type.EQ) {
            RoaringBitmap bm = values.postings(m.value());
            withValue = bm == null ? new RoaringBitmap() : bm;
        } else if (m.type() == Matcher.Type.NEQ) {
            RoaringBitmap bm = values.postings(m.value());
            withValue = bm == null ? present : RoaringBitmap.andNot(present, bm);
        } else {
            withValue = regexMatching(m, values, present);
        }
        if (!m.matchesEmpty()) return withValue;
        RoaringBitmap absent = RoaringBitmap.andNot(all, present);
        return RoaringBitmap.or(withValue, absent);
    }

    private static RoaringBitmap regexMatching(Matcher m, LabelValues values, RoaringBitmap present) {
        boolean positive = m.type() == Matcher.Type.RE;
        // Fast path: a regex matching a small finite set ("a|b|c", "host_(1|2)") is answered by dictionary lookups.
        List<String> literals = m.setMatches();
        if (literals != null) {
            List<RoaringBitmap> hits = new ArrayList<>();
            for (String lit : literals) {
                RoaringBitmap bm = values.postings(lit);
                if (bm != null) hits.add(bm);
            }
            RoaringBitmap u = hits.isEmpty() ? new RoaringBitmap() : FastAggregation.or(hits.iterator());
            return positive ? u : RoaringBitmap.andNot(present, u);
        }
        String prefix = RegexLiterals.literalPrefix(m.value());
        // Pairs of one series are gathered as ids (no bitmap each), then added to the union in one pass.
        Postings in = new Postings(), out = new Postings();
        if (positive && prefix != null && !prefix.isEmpty()) {
            // only values starting with the prefix can match: their range of the sorted values, or a scan
            String[] sorted = values.sortedIfStable();
            if (sorted != null) {
                int from = Arrays.binarySearch(sorted, prefix);
                for (int i = from >= 0 ? from : -from - 1; i < sorted.length && sorted[i].startsWith(prefix); i++)
                    if (m.matches(sorted[i])) in.add(values, values.slotOf(sorted[i]));
            } else {
                for (int slot = 0; slot < values.capacity(); slot++) {
                    String v = values.key(slot);
                    if (v != null && v.startsWith(prefix) && m.matches(v)) in.add(values, slot);
                }
            }
            return in.union();
        }
        for (int slot = 0; slot < values.capacity(); slot++) {
            String v = values.key(slot);
            if (v != null) (m.matches(v) ? in : out).add(values, slot);
        }
        if (in.size() <= out.size()) return in.union();
        return RoaringBitmap.andNot(present, out.union());
    }

    /** Postings gathered for a union: bitmaps, and the ids of pairs held by one series. */
    private static final class Postings {
        final List<RoaringBitmap> bitmaps = new ArrayList<>();
        int[] ids = new int[16];
        int n;

        void add(LabelValues values, int slot) {
            int id = values.singleId(slot);
            if (id < 0) { bitmaps.add(values.postings(slot)); return; }
            if (n == ids.length) ids = Arrays.copyOf(ids, n * 2);
            ids[n++] = id;
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
            for (String n : sortedNames())
                if (filter == null || RoaringBitmap.intersects(byName.get(n).present, filter)) out.add(n);
            return out;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Sorted values of a label among the series in {@code filter} (all series when null). */
    public List<String> labelValues(String name, RoaringBitmap filter) {
        lock.readLock().lock();
        try {
            LabelValues values = byName.get(name);
            if (values == null) return List.of();
            if (filter == null) return new ArrayList<>(Arrays.asList(values.sorted()));
            // the values of the filter's series, sorted: no sort of all values for a few series
            ArrayList<String> out = new ArrayList<>();
            for (int slot = 0; slot < values.capacity(); slot++) {
                String v = values.key(slot);
                if (v != null && values.intersects(slot, filter)) out.add(v);
            }
            out.sort(null);
            return out;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Number of series with label {@code name=value}. */
    public long cardinality(String name, String value) {
        lock.readLock().lock();
        try {
            LabelValues values = byName.get(name);
            int slot = values == null ? -1 : values.slotOf(value);
            return slot < 0 ? 0 : values.cardinality(slot);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** A label pair with its series count. */
    public record PairCount(String name, String value, long series) {}

    /** Whether {@code a} ranks before {@code b} in {@link #topPairs}: more series, then name and value ascending. */
    private static int rankOrder(long aSeries, String aName, String aValue, PairCount b) {
        if (aSeries != b.series()) return aSeries > b.series() ? -1 : 1;
        int c = aName.compareTo(b.name());
        return c != 0 ? c : aValue.compareTo(b.value());
    }

    /**
     * The {@code n} label pairs with most series (name == null: all names), descending by series count, ties by
     * name and value ascending.
     */
    public List<PairCount> topPairs(String name, int n) {
        lock.readLock().lock();
        try {
            // the heap's head is the lowest-ranked pair kept; the result does not depend on the tables' order
            PriorityQueue<PairCount> heap = new PriorityQueue<>((a, b) -> -rankOrder(a.series(), a.name(), a.value(), b));
            for (String nm : name == null ? sortedNames() : new String[]{name}) {
                LabelValues values = byName.get(nm);
                if (values == null) continue;
                for (int slot = 0; slot < values.capacity(); slot++) {
                    String v = values.key(slot);
                    if (v == null) continue;
                    long c = values.cardinality(slot);
                    if (heap.size() < n) heap.add(new PairCount(nm, v, c));
                    else if (n > 0 && rankOrder(c, nm, v, heap.peek()) < 0) { heap.poll(); heap.add(new PairCount(nm, v, c)); }
                }
            }
            List<PairCount> out = new ArrayList<>(heap);
            out.sort((a, b) -> rankOrder(a.series(), a.name(), a.value(), b));
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
            for (LabelValues v : byName.values()) out.put(v.name, v.size());
            return out;
        } finally {
            lock.readLock().unlock();
        }
    }
}
