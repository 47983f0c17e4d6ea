package io.tsdb.server.api;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.tsdb.core.Labels;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.query.ast.Expr;
import io.tsdb.query.engine.QueryDeferred;
import io.tsdb.query.engine.QueryEngine;
import io.tsdb.query.engine.QueryException;
import io.tsdb.query.engine.QueryOptions;
import io.tsdb.query.engine.QueryResult;
import io.tsdb.query.engine.QueryStats;
import io.tsdb.query.engine.Series;
import io.tsdb.query.engine.Value;
import io.tsdb.server.WriteEvents;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Range-query result cache. The evaluation grid {@code phase + j*step} is cut into extents of
 * {@link #pointsPerExtent} points at absolute positions, so a dashboard polling the same query with a moving
 * window finds its older extents cached and recomputes only the newest.
 *
 * <p>Correctness rules (a cached answer is never stale):
 * <ul>
 *   <li>only extents whose data window (evaluation times widened by lookback, ranges, offsets and subqueries,
 *       see {@link QueryWindow}) ends before {@code now - freshMargin} are cached; queries with {@code @} are not;</li>
 *   <li>every committed write ({@link WriteEvents}) removes cached extents whose data window overlaps its
 *       [minTs, maxTs]; a write racing with the computation of an extent is detected through a ring of recent
 *       write events and the extent is dropped again;</li>
 *   <li>extents expire after {@code ttl}, so data removed by retention disappears from answers too.</li>
 * </ul>
 *
 * <p>Annotations (warnings, infos) belong to the window that was evaluated, not to single steps, and an extent is wider
 * than the part of it a request may need: the answer carries only annotations of steps inside the requested window.
 * An extent stores the annotations of its own window (computed alone when the engine call that produced it spanned
 * more and had any); an extent that is only partly requested and has annotations has those of the requested part
 * computed again; an evaluation without annotations has none in any part. Where a message carries a value aggregated
 * over the window (quantile's "got 1.5" from the largest parameter), each piece reports its own.
 */
public final class RangeCache implements WriteEvents.Listener {
    private static final int RING = 4096;
    private static final long MAX_POINTS_PER_CALL = 11_000;

    /** {@code tenant}: the key of the tenant scope whose data the extent holds (the same query text of another scope never hits it). */
    record Key(String tenant, String query, long stepMs, long phaseMs, long lookbackMs, long extent) {}

    /** A cached extent; its warnings and infos are those of evaluating exactly its own window. */
    record Extent(List<Series> series, List<String> warnings, List<String> infos, long dataMin, long dataMax) {
        boolean overlaps(long min, long max) { return dataMin <= max && dataMax >= min; }
        Extent {
            warnings = warnings == null ? List.of() : warnings;
            infos = infos == null ? List.of() : infos;
        }

        boolean annotated() { return !warnings.isEmpty() || !infos.isEmpty(); }
        long weight() {
            long w = 64;
            for (Series s : series) {
                w += 64 + 16L * s.count() + 16L * s.labels().size();
                for (int i = 0; i < s.histogramCount(); i++) {
                    FloatHistogram h = s.histograms()[i];
                    w += 160 + 8L * (h.positiveCount + h.negativeCount) + 8L * (h.positiveSpans.size() + h.negativeSpans.size());
                }
            }
            return w;
        }
    }

    private final QueryEngine defaultEngine;
    private final LongSupplier nowMs;
    private final long freshMarginMs;
    private final long retentionMs;
    private final Cache<Key, Extent> cache;
    private final Counter hits, misses, invalidations;
    private final long[] evMin = new long[RING], evMax = new long[RING];
    private long seq; // guarded by this
    private final AtomicLong maxCachedDataEnd = new AtomicLong(Long.MIN_VALUE);

    public RangeCache(QueryEngine engine, LongSupplier nowMs, long freshMarginMs, long retentionMs,
                      long maxBytes, Duration ttl, PrometheusRegistry registry) {
        this.defaultEngine = engine;
        this.nowMs = nowMs;
        this.freshMarginMs = freshMarginMs;
        this.retentionMs = retentionMs;
        this.cache = Caffeine.newBuilder()
                .maximumWeight(maxBytes)
                .weigher((Key k, Extent e) -> (int) Math.min(Integer.MAX_VALUE, e.weight() + k.query().length()))
                .expireAfterWrite(ttl)
                .build();
        this.hits = Counter.builder().name("tsdb_query_range_cache_hits_total")
                .help("Range-query cache extents served from the cache").build();
        this.misses = Counter.builder().name("tsdb_query_range_cache_misses_total")
                .help("Range-query cache extents that had to be computed").build();
        this.invalidations = Counter.builder().name("tsdb_query_range_cache_invalidations_total")
                .help("Cached range-query extents dropped because a write landed in their data window").build();
        if (registry != null) {
            registry.register(hits);
            registry.register(misses);
            registry.register(invalidations);
        }
    }

    /** Points per extent for a step: about an hour of points, at most 1000, at least 1. */
    static long pointsPerExtent(long stepMs) { return Math.max(1, Math.min(1000, 3_600_000 / stepMs)); }

    public double hitCount() { return hits.get(); }
    public double missCount() { return misses.get(); }
    public long size() { return cache.estimatedSize(); }

    @Override public void onCommit(long minTs, long maxTs) {
        synchronized (this) {
            int i = (int) (seq % RING);
            evMin[i] = minTs;
            evMax[i] = maxTs;
            seq++;
        }
        if (minTs > maxCachedDataEnd.get()) return;
        cache.asMap().entrySet().removeIf(e -> {
            if (!e.getValue().overlaps(minTs, maxTs)) return false;
            invalidations.inc();
            return true;
        });
    }

    private synchronized long seq() { return seq; }

    private synchronized boolean writtenSince(long startSeq, long min, long max) {
        if (seq - startSeq >= RING) return true;
        for (long s = startSeq; s < seq; s++) {
            int i = (int) (s % RING);
            if (evMin[i] <= max && evMax[i] >= min) return true;
        }
        return false;
    }

    /** A range query answered from cached extents where possible; the result equals {@code engine.range}. */
    public QueryResult range(String query, long start, long end, long step, QueryOptions opts) {
        return range(defaultEngine, "", query, start, end, step, opts);
    }

    /**
     * A range query of one tenant scope ({@code tenant}: its key; {@code engine}: its engine), answered from that
     * scope's cached extents where possible; the result equals {@code engine.range}.
     */
    public QueryResult range(QueryEngine engine, String tenant, String query, long start, long end, long step, QueryOptions opts) {
        // hits and misses are counted once the answer is known: a query first tried on the event loop and handed to a
        // worker (QueryDeferred, possibly after some extents) is counted by the run that answers it, once
        long[] counts = new long[2];
        try {
            QueryResult r = range(engine, tenant, query, start, end, step, opts, counts);
            publish(counts);
            return r;
        } catch (QueryDeferred d) {
            throw d;
        } catch (RuntimeException e) {
            publish(counts);
            throw e;
        }
    }

    private void publish(long[] counts) {
        if (counts[0] > 0) hits.inc(counts[0]);
        if (counts[1] > 0) misses.inc(counts[1]);
    }

    /** As above, counting hits in {@code counts[0]} and misses in {@code counts[1]}. */
    private QueryResult range(QueryEngine engine, String tenant, String query, long start, long end, long step,
                              QueryOptions opts, long[] counts) {
        Expr expr = engine.parse(query);
        QueryWindow w = QueryWindow.of(expr, opts.lookbackMs(), Math.max(step, 60_000));
        if (w.usesAt()) return engine.range(query, start, end, step, opts);
        long phase = Math.floorMod(start, step);
        long n = pointsPerExtent(step);
        long span = n * step;
        long k0 = Math.floorDiv(start - phase, span), k1 = Math.floorDiv(end - phase, span);
        long now = nowMs.getAsLong();
        Acc acc = new Acc();
        long k = k0;
        while (k <= k1) {
            Key key = new Key(tenant, query, step, phase, opts.lookbackMs(), k);
            boolean cacheable = cacheable(k, phase, span, step, w, now);
            Extent hit = cacheable ? cache.getIfPresent(key) : null;
            if (hit != null) {
                counts[0]++;
                long es = phase + k * span, ee = es + span - step;
                if (hit.annotated() && (es < start || ee > end)) {
                    // Only part of the extent is requested: its annotations may come from the other part.
                    QueryResult part = engine.range(query, Math.max(start, es), Math.min(end, ee), step, opts);
                    acc.add(hit.series(), start, end, part.warnings(), part.infos());
                } else {
                    acc.add(hit.series(), start, end, hit.warnings(), hit.infos());
                }
                k++;
                continue;
            }
            // A run of consecutive misses, computed with one engine call and split into extents.
            long runStart = k;
            long runEnd = k;
            while (runEnd + 1 <= k1 && (runEnd + 2 - runStart) * n <= MAX_POINTS_PER_CALL) {
                long nk = runEnd + 1;
                boolean c = cacheable(nk, phase, span, step, w, now);
                if (c && cache.getIfPresent(new Key(tenant, query, step, phase, opts.lookbackMs(), nk)) != null) break;
                runEnd = nk;
            }
            boolean firstCacheable = cacheable(runStart, phase, span, step, w, now);
            boolean lastCacheable = cacheable(runEnd, phase, span, step, w, now);
            long from = firstCacheable ? phase + runStart * span : Math.max(start, phase + runStart * span);
            long to = lastCacheable ? phase + runEnd * span + span - step : Math.min(end, phase + runEnd * span + span - step);
            long startSeq = seq();
            QueryResult r;
            if (from < start || to > end) {
                // Widened to whole extents: an error at a step outside the requested window (two series colliding
                // after label_replace there, say) must not fail the request, so answer the exact window instead.
                try {
                    r = engine.range(query, from, to, step, opts);
                } catch (QueryException e) {
                    if (e.kind() != QueryException.Kind.EXECUTION) throw e;
                    return engine.range(query, start, end, step, opts);
                }
            } else {
                r = engine.range(query, from, to, step, opts);
            }
            if (!(r.value() instanceof Value.Matrix m)) return engine.range(query, start, end, step, opts);
            // Annotations belong to the evaluated window as a whole. None over the run means none over any part of
            // it; otherwise each cached extent gets those of its own window, the answer those of the requested part.
            boolean annotated = annotated(r);
            for (long kk = runStart; kk <= runEnd; kk++) {
                counts[1]++;
                if (!cacheable(kk, phase, span, step, w, now)) continue;
                long es = phase + kk * span, ee = es + span - step;
                List<Series> series = slice(m.series(), es, ee);
                List<String> warnings = r.warnings(), infos = r.infos();
                if (annotated && runEnd > runStart) {
                    QueryResult own;
                    try {
                        own = engine.range(query, es, ee, step, opts);
                    } catch (QueryException e) {
                        if (e.kind() != QueryException.Kind.EXECUTION) throw e;
                        continue; // fails on its own (outside the request): not cached
                    }
                    warnings = own.warnings();
                    infos = own.infos();
                }
                Extent ext = new Extent(series, warnings, infos, es - w.before(), ee + Math.max(0, w.after()));
                Key kkey = new Key(tenant, query, step, phase, opts.lookbackMs(), kk);
                maxCachedDataEnd.accumulateAndGet(ext.dataMax(), Math::max);
                cache.put(kkey, ext);
                if (writtenSince(startSeq, ext.dataMin(), ext.dataMax())) cache.invalidate(kkey);
            }
            if (annotated && (from < start || to > end)) {
                QueryResult exact = engine.range(query, Math.max(start, from), Math.min(end, to), step, opts);
                acc.add(m.series(), start, end, exact.warnings(), exact.infos());
            } else {
                acc.add(m.series(), start, end, r.warnings(), r.infos());
            }
            k = runEnd + 1;
        }
        return new QueryResult(new Value.Matrix(acc.build()), List.copyOf(acc.warnings), List.copyOf(acc.infos), QueryStats.EMPTY);
    }

    private static boolean annotated(QueryResult r) {
        return r.warnings() != null && !r.warnings().isEmpty() || r.infos() != null && !r.infos().isEmpty();
    }

    private boolean cacheable(long k, long phase, long span, long step, QueryWindow w, long now) {
        long es = phase + k * span, ee = es + span - step;
        return ee + Math.max(0, w.after()) < now - freshMarginMs && es - w.before() > now - retentionMs;
    }

    static List<Series> slice(List<Series> in, long from, long to) {
        List<Series> out = new ArrayList<>(in.size());
        for (Series s : in) {
            long[] ts = s.timestamps();
            int a = 0;
            while (a < s.count() && ts[a] < from) a++;
            int b = a;
            while (b < s.count() && ts[b] <= to) b++;
            long[] hts = s.histogramTimestamps();
            int ha = 0;
            while (ha < s.histogramCount() && hts[ha] < from) ha++;
            int hb = ha;
            while (hb < s.histogramCount() && hts[hb] <= to) hb++;
            if (hb > ha) {
                // the histograms are immutable results: the extent shares them with the answer
                out.add(new Series(s.labels(), Arrays.copyOfRange(ts, a, b), Arrays.copyOfRange(s.values(), a, b), b - a,
                        Arrays.copyOfRange(hts, ha, hb), Arrays.copyOfRange(s.histograms(), ha, hb), hb - ha));
            } else if (b > a) {
                out.add(new Series(s.labels(), Arrays.copyOfRange(ts, a, b), Arrays.copyOfRange(s.values(), a, b), b - a));
            }
        }
        return out;
    }

    /** Concatenates per-extent series (added in time order) by label set; output sorted by labels. */
    private static final class Acc {
        private static final class Buf {
            long[] t = new long[16];
            double[] v = new double[16];
            int n;
            long[] ht;
            FloatHistogram[] h;
            int hn;
        }

        final TreeMap<Labels, Buf> bufs = new TreeMap<>();
        final LinkedHashSet<String> warnings = new LinkedHashSet<>(), infos = new LinkedHashSet<>();

        void add(List<Series> series, long from, long to, List<String> w, List<String> i) {
            if (w != null) warnings.addAll(w);
            if (i != null) infos.addAll(i);
            for (Series s : series) {
                long[] t = s.timestamps();
                double[] v = s.values();
                Buf b = null;
                for (int j = 0; j < s.count(); j++) {
                    if (t[j] < from || t[j] > to) continue;
                    if (b == null) b = bufs.computeIfAbsent(s.labels(), x -> new Buf());
                    if (b.n == b.t.length) {
                        b.t = Arrays.copyOf(b.t, b.n * 2);
                        b.v = Arrays.copyOf(b.v, b.n * 2);
                    }
                    b.t[b.n] = t[j];
                    b.v[b.n] = v[j];
                    b.n++;
                }
                long[] ht = s.histogramTimestamps();
                FloatHistogram[] hs = s.histograms();
                for (int j = 0; j < s.histogramCount(); j++) {
                    if (ht[j] < from || ht[j] > to) continue;
                    if (b == null) b = bufs.computeIfAbsent(s.labels(), x -> new Buf());
                    if (b.h == null) { b.ht = new long[16]; b.h = new FloatHistogram[16]; }
                    if (b.hn == b.ht.length) {
                        b.ht = Arrays.copyOf(b.ht, b.hn * 2);
                        b.h = Arrays.copyOf(b.h, b.hn * 2);
                    }
                    b.ht[b.hn] = ht[j];
                    b.h[b.hn] = hs[j];
                    b.hn++;
                }
            }
        }

        List<Series> build() {
            List<Series> out = new ArrayList<>(bufs.size());
            for (Map.Entry<Labels, Buf> e : bufs.entrySet()) {
                Buf b = e.getValue();
                if (b.hn > 0) {
                    out.add(new Series(e.getKey(), Arrays.copyOf(b.t, b.n), Arrays.copyOf(b.v, b.n), b.n,
                            Arrays.copyOf(b.ht, b.hn), Arrays.copyOf(b.h, b.hn), b.hn));
                } else {
                    out.add(new Series(e.getKey(), Arrays.copyOf(b.t, b.n), Arrays.copyOf(b.v, b.n), b.n));
                }
            }
            return out;
        }
    }
}
