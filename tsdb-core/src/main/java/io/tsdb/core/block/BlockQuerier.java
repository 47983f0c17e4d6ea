package io.tsdb.core.block;

import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SampleCursor;
import io.tsdb.core.SeriesSet;
import io.tsdb.core.head.HistogramBuffer;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.histogram.Histogram;
import org.roaringbitmap.IntIterator;
import org.roaringbitmap.RoaringBitmap;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

import java.util.ArrayList;
import java.util.List;
import java.util.function.ToIntFunction;
import java.util.zip.CRC32C;

/**
 * {@link Querier} over one {@link Block} and a time range. Selection runs on postings bitmaps; samples are
 * decoded chunk by chunk into arrays reused across series. Holds a block reference until {@link #close()}.
 */
final class BlockQuerier implements Querier, SeriesIdSource {
    private final Block block;
    private final IndexReader index;
    private final ChunksReader chunks;
    private final long mint, maxt;
    /** Whether [mint, maxt] covers the whole block, so no per-series time filtering is needed. */
    private final boolean covers;
    private final boolean disjoint;
    private final CRC32C crc = new CRC32C();
    private final ChunkMetas scratch = new ChunkMetas();
    private DecBuf scratchDec;
    /** Symbols decoded by this querier's series sets, by symbol number (null until a set reads many series). */
    private String[] symbols;
    /** Series a set reads before it allocates the symbol cache (small selections decode their few symbols directly). */
    private static final int SYMBOL_CACHE_AFTER = 16;
    private BlockCursor filter;
    private boolean closed;
    /** Deleted intervals skipped by this querier (the block's when it was created, plus any extra ones). */
    private final Tombstones tombstones;

    BlockQuerier(Block block, long mint, long maxt) { this(block, mint, maxt, block.tombstones()); }

    /** @param tombstones the deleted intervals to skip (a block rewrite passes the block's plus the ones it applies) */
    BlockQuerier(Block block, long mint, long maxt, Tombstones tombstones) {
        this.tombstones = tombstones;
        this.block = block;
        this.index = block.index();
        this.chunks = block.chunks();
        this.mint = mint;
        this.maxt = maxt;
        this.covers = mint <= block.meta().minTime() && maxt >= block.meta().maxTime();
        this.disjoint = mint > maxt || !block.meta().overlaps(mint, maxt);
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("querier closed");
    }

    /**
     * The last selection, its matchers and whether it was exact: a query's cost estimate and its evaluation select the
     * same series through one querier (the query engine hands the estimate's querier on), so the postings (and for an
     * exact selection the series' time bounds) are read once. Callers only read the bitmap.
     */
    private List<Matcher> lastMatchers;
    private MutableRoaringBitmap lastSelected;
    private boolean lastExact;

    /** Selected series ids, restricted to series with a sample in the range (read only: it may be handed out again). */
    MutableRoaringBitmap selected(List<Matcher> matchers) { return selected(matchers, true); }

    /**
     * Selected series ids; with {@code exact}, restricted to series with a sample in the range, which decodes a chunk
     * where the range lies strictly inside it or deleted intervals apply. Without, the postings as they are: for
     * {@link #select}, whose series set skips a series without samples in the range as its cursor loads it, and for
     * {@link #sampleEstimate}, which reads the chunk bounds itself (an instant query's range lies inside each series'
     * last chunk: checking it here decoded that chunk once more per series).
     */
    private MutableRoaringBitmap selected(List<Matcher> matchers, boolean exact) {
        checkOpen();
        if (lastSelected != null && (lastExact || !exact) && matchers.equals(lastMatchers)) return lastSelected;
        MutableRoaringBitmap sel = selectNow(matchers, exact);
        lastMatchers = List.copyOf(matchers);
        lastSelected = sel;
        lastExact = exact;
        return sel;
    }

    private MutableRoaringBitmap selectNow(List<Matcher> matchers, boolean exact) {
        if (disjoint) return new MutableRoaringBitmap();
        MutableRoaringBitmap sel = PostingsSelector.select(index, matchers);
        if (sel.isEmpty() || !exact) return sel;
        if (filter == null) filter = new BlockCursor();
        if (covers) {
            // every selected series has samples in the range, unless deleted intervals remove all of them
            for (int k = 0; k < tombstones.seriesCount(); k++) {
                int id = tombstones.seriesAt(k);
                if (sel.contains(id) && !filter.load(id)) sel.remove(id);
            }
            return sel;
        }
        MutableRoaringBitmap out = new MutableRoaringBitmap();
        IntIterator it = sel.getIntIterator();
        while (it.hasNext()) {
            int id = it.next();
            if (filter.load(id)) out.add(id);
        }
        return out;
    }

    @Override public SeriesSet select(List<Matcher> matchers) {
        return new BlockSeriesSet(selected(matchers, false), null);
    }

    /** The filter is tested on each series' labels before its chunks are loaded. */
    @Override public SeriesSet select(List<Matcher> matchers, java.util.function.Predicate<Labels> filter) {
        return new BlockSeriesSet(selected(matchers, false), filter);
    }

    @Override public long seriesCount(List<Matcher> matchers) { return selected(matchers).getLongCardinality(); }

    /**
     * The postings' count, without the exact selection's check of each series' samples in the range (which decodes
     * a chunk per series when the range lies inside the block: milliseconds at 10,000 series).
     */
    @Override public long seriesUpperBound(List<Matcher> matchers) { return selected(matchers, false).getLongCardinality(); }

    @Override public boolean addSeriesIds(List<Matcher> matchers, ToIntFunction<Labels> resolver, RoaringBitmap out) {
        MutableRoaringBitmap sel = selected(matchers);
        if (sel.isEmpty()) return true;
        if (index.hasSeriesRefs()) {
            IntIterator it = sel.getIntIterator();
            while (it.hasNext()) {
                int g = index.seriesRef(it.next());
                if (g < 0) return false;
                out.add(g);
            }
            return true;
        }
        int[] ids = block.globalIds(resolver);
        IntIterator it = sel.getIntIterator();
        while (it.hasNext()) {
            int g = ids[it.next()];
            if (g < 0) return false;
            out.add(g);
        }
        return true;
    }

    @Override public long sampleEstimate(List<Matcher> matchers) {
        MutableRoaringBitmap sel = selected(matchers, false);
        long total = 0;
        IntIterator it = sel.getIntIterator();
        while (it.hasNext()) {
            scratchDec = index.chunks(it.next(), scratch, scratchDec);
            for (int i = 0; i < scratch.n; i++) {
                long cmin = scratch.mint[i], cmax = scratch.maxt[i];
                if (cmax < mint || cmin > maxt) continue;
                if (cmin >= mint && cmax <= maxt) { total += scratch.count[i]; continue; }
                long span = cmax - cmin + 1;
                long in = Math.min(cmax, maxt) - Math.max(cmin, mint) + 1;
                total += Math.max(1, Math.round((double) scratch.count[i] * in / span));
            }
        }
        return total;
    }

    @Override public List<String> labelNames(List<Matcher> matchers) {
        checkOpen();
        List<String> out = new ArrayList<>();
        if (disjoint) return out;
        if (matchers.isEmpty() && covers && tombstones.isEmpty()) {
            for (String n : index.labelNames()) out.add(n);
            return out;
        }
        MutableRoaringBitmap sel = selected(matchers);
        if (sel.isEmpty()) return out;
        for (String n : index.labelNames()) {
            if (ImmutableRoaringBitmap.intersects(index.postingsForName(index.entry(n)), sel)) out.add(n);
        }
        return out;
    }

    @Override public List<String> labelValues(String name, List<Matcher> matchers) {
        checkOpen();
        List<String> out = new ArrayList<>();
        IndexReader.LabelEntry e = index.entry(name);
        if (e == null || disjoint) return out;
        if (matchers.isEmpty() && covers && tombstones.isEmpty()) {
            for (int i = 0; i < e.count(); i++) out.add(e.value(i));
            return out;
        }
        MutableRoaringBitmap sel = selected(matchers);
        if (sel.isEmpty()) return out;
        for (int i = 0; i < e.count(); i++) {
            if (ImmutableRoaringBitmap.intersects(index.postings(e, i), sel)) out.add(e.value(i));
        }
        return out;
    }

    /** Decode columns this querier's cursors borrowed ({@link DecodeColumns}), given back at close. */
    private List<DecodeColumns> borrowed;

    private DecodeColumns borrowColumns(int n) {
        DecodeColumns c = DecodeColumns.borrow(n);
        if (borrowed == null) borrowed = new ArrayList<>(4);
        borrowed.add(c);
        return c;
    }

    @Override public void close() {
        if (closed) return;
        closed = true;
        block.release();
        if (borrowed != null) {
            for (DecodeColumns c : borrowed) DecodeColumns.giveBack(c);
            borrowed = null;
        }
    }

    /** Iterates selected series in id (= label) order; skips series without samples in range. */
    private final class BlockSeriesSet implements SeriesSet {
        private final IntIterator ids;
        private int loaded;
        private final BlockCursor cursor = new BlockCursor();
        /** The decoder of the series' labels, reused from series to series. */
        private DecBuf labelsDec;
        private Labels labels;
        /** The last label set decoded, whose names array the next series shares when it has the same names. */
        private Labels decoded;
        private int current = -1;

        private final java.util.function.Predicate<Labels> filter;

        BlockSeriesSet(MutableRoaringBitmap sel, java.util.function.Predicate<Labels> filter) {
            this.ids = sel.getIntIterator();
            this.filter = filter;
        }

        @Override public boolean next() {
            checkOpen();
            while (ids.hasNext()) {
                int id = ids.next();
                if (filter != null) {
                    if (symbols == null && ++loaded > SYMBOL_CACHE_AFTER) symbols = new String[index.symbolCount()];
                    Labels l = decoded = index.labels(id, symbols, decoded, labelsDec());
                    if (!filter.test(l) || !cursor.load(id)) continue;
                    labels = l;
                    current = id;
                    return true;
                }
                if (cursor.load(id)) {
                    // after a few series, decode each symbol once for the rest of this querier (see IndexReader.labels)
                    if (symbols == null && ++loaded > SYMBOL_CACHE_AFTER) symbols = new String[index.symbolCount()];
                    labels = decoded = index.labels(id, symbols, decoded, labelsDec());
                    current = id;
                    return true;
                }
            }
            labels = null;
            current = -1;
            return false;
        }

        private DecBuf labelsDec() {
            if (labelsDec == null) labelsDec = index.newSeriesDecoder();
            return labelsDec;
        }

        @Override public Labels labels() { return labels; }

        @Override public int seriesId() { return current < 0 ? -1 : index.seriesRef(current); }

        @Override public SampleCursor cursor() {
            cursor.rewind();
            return cursor;
        }
    }

    /**
     * Cursor over the chunks of one series, decoding into reusable column arrays (deleted samples removed); a native
     * histogram chunk is decoded into reusable histogram holders ({@link HistogramBuffer}), its timestamps into the
     * same column.
     */
    private final class BlockCursor implements SampleCursor {
        private final HistogramBuffer hist = new HistogramBuffer();
        /** Whether the decoded chunk holds histograms ({@link #hist}). */
        private boolean histChunk;
        private final ChunkMetas metas = new ChunkMetas();
        private long[] deleted;    // the series' deleted intervals, or null
        private DecBuf dec;
        private long[] t = new long[128];
        private double[] v = new double[128];
        private int first, last;   // chunk index range overlapping [mint, maxt]
        private int ci;            // chunk currently decoded into t/v, or first-1
        private int n, i;          // samples in the decoded chunk, current index
        private boolean done;
        /** t/v hold chunk {@code first} of the loaded series (decoded by load's check), so a rewind keeps it. */
        private boolean firstDecoded;

        /** Loads series metadata; false if it has no sample in [mint, maxt]. */
        boolean load(int id) {
            checkOpen();
            firstDecoded = false;
            dec = index.chunks(id, metas, dec);
            deleted = tombstones.intervals(id);
            first = 0;
            while (first < metas.n && metas.maxt[first] < mint) first++;
            last = metas.n - 1;
            while (last >= first && metas.mint[last] > maxt) last--;
            if (first > last) return false;
            int need = metas.maxCount();
            if (t.length < need) {
                DecodeColumns c = borrowColumns(need);
                t = c.t;
                v = c.v;
            }
            // a sample is in range unless the range lies strictly inside one chunk's span, or deleted
            // intervals cover some of it: decode to check
            if (deleted != null || first == last && metas.mint[first] < mint && metas.maxt[first] > maxt) {
                rewind();
                boolean has = next();
                rewind();
                return has;
            }
            return true;
        }

        void rewind() {
            if (firstDecoded) {
                // the check in load decoded the first chunk already: start over inside it instead of decoding it again
                ci = first;
                i = (metas.mint[ci] < mint ? lowerBound(0, mint) : 0) - 1;
                done = false;
                return;
            }
            ci = first - 1;
            n = 0;
            i = -1;
            done = false;
        }

        private void decode(int k) {
            checkOpen(); // once closed, the block's files may be unmapped: reading them would crash the JVM
            ci = k;
            // only the chunk's samples from mint on are read: when they lie in a kept tail, copy it (ChunkTails)
            boolean tailable = deleted == null && metas.mint[k] < mint && metas.count[k] > ChunkTails.MIN_SKIPPED;
            if (tailable) {
                ChunkTails.Tail tail = block.tails().get(block.instance(), metas.ref[k]);
                if (tail != null && tail.first() <= mint) {
                    n = tail.size();
                    tail.copyTo(t, v);
                    histChunk = false;
                    firstDecoded = k == first;
                    return;
                }
            }
            n = chunks.decode(metas.ref[k], metas.count[k], t, v, hist, crc);
            histChunk = hist.n > 0;
            if (tailable && !histChunk && first == last) {
                // this query's samples of the series lie in this one chunk; keep its tail when it spares enough decoding
                int from = lowerBound(0, mint);
                int need = n - from;
                from -= Math.min(from, need / 8 + 1); // slack for a later query starting a little earlier
                if (from >= ChunkTails.MIN_SKIPPED && n - from <= ChunkTails.MAX_TAIL) {
                    block.tails().put(block.instance(), metas.ref[k], t, v, from, n);
                }
            }
            if (deleted != null) {
                if (histChunk) {
                    hist.removeDeleted(deleted);
                    n = hist.n;
                    System.arraycopy(hist.t, 0, t, 0, n);
                } else {
                    n = Tombstones.filter(deleted, t, v, n);
                }
            }
            firstDecoded = k == first;
        }

        private int lowerBound(int from, long x) {
            int lo = from, hi = n;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (t[mid] < x) lo = mid + 1; else hi = mid;
            }
            return lo;
        }

        @Override public boolean next() {
            if (done) return false;
            i++;
            while (i >= n) {
                if (ci >= last) { done = true; return false; }
                decode(ci + 1);
                i = metas.mint[ci] < mint ? lowerBound(0, mint) : 0;
            }
            if (t[i] > maxt) { done = true; return false; }
            return true;
        }

        @Override public boolean seek(long x) {
            if (done) return false;
            long target = Math.max(x, mint);
            // (after a rewind into a chunk decoded before, i stands just before the range: that sample is not the answer)
            if (i >= 0 && i < n && t[i] >= target) return true;
            if (n == 0 || t[n - 1] < target) {
                int k = Math.max(ci + 1, first);
                while (true) {
                    while (k <= last && metas.maxt[k] < target) k++;
                    if (k > last) { done = true; return false; }
                    decode(k);
                    if (n > 0 && t[n - 1] >= target) break;   // deleted intervals may have emptied the chunk's tail
                    k++;
                }
                i = 0;
            }
            i = lowerBound(Math.max(i, 0), target);
            if (t[i] > maxt) { done = true; return false; }
            return true;
        }

        /** Copies the rest of the decoded chunk from the current sample on (up to maxt and this querier's maxt). */
        @Override public int readFloats(long upTo, long[] dt, double[] dv, int off, int max) {
            if (histChunk || done || i < 0 || i >= n || max <= 0) return 0;
            int k = io.tsdb.core.head.ArrayCursor.copyRun(t, v, i, n, Math.min(upTo, maxt), dt, dv, off, max);
            if (k > 0) i += k - 1;
            return k;
        }

        @Override public long timestamp() { return t[i]; }

        @Override public double value() {
            if (histChunk) throw new IllegalStateException("the current sample is a native histogram: check sampleType() and read it with histogram()/floatHistogram()");
            return v[i];
        }

        @Override public int sampleType() {
            if (!histChunk) return FLOAT;
            return hist.kind[i] == HistogramBuffer.INT ? HISTOGRAM : FLOAT_HISTOGRAM;
        }

        @Override public Histogram histogram(Histogram into) {
            if (!histChunk) throw new IllegalStateException("the current sample is a float, not a histogram");
            if (hist.kind[i] != HistogramBuffer.INT) throw new IllegalStateException("the current sample is a float histogram: read it with floatHistogram()");
            return into.copyFrom(hist.histogram(i));
        }

        @Override public FloatHistogram floatHistogram(FloatHistogram into) {
            if (!histChunk) throw new IllegalStateException("the current sample is a float, not a histogram");
            if (hist.kind[i] == HistogramBuffer.INT) return hist.histogram(i).toFloat(into);
            return into.copyFrom(hist.floatHistogram(i));
        }
    }
}
