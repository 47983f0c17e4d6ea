package io.tsdb.core.head;

import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SampleCursor;
import io.tsdb.core.SeriesSet;
import io.tsdb.core.block.MergeQuerier;
import io.tsdb.core.block.SeriesIdSource;
import io.tsdb.core.index.LabelIndex;
import org.roaringbitmap.PeekableIntIterator;
import org.roaringbitmap.RoaringBitmap;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;

/**
 * Querier over the head for [mint, maxt]. Series are selected through the label index, sorted by
 * labels, and decoded one at a time into reusable column arrays (histogram samples into reusable holders; a
 * series with some is read through a {@link MixedCursor}).
 */
public final class HeadQuerier implements Querier, MergeQuerier.LabelsOnly, SeriesIdSource {
    private final Head head;
    private final LabelIndex index;
    private final long mint, maxt;
    private final Supplier<ReadMode> mode;

    public HeadQuerier(Head head, LabelIndex index, long mint, long maxt) {
        this(head, index, mint, maxt, () -> ReadMode.CURRENT);
    }

    /**
     * @param mode asked before reading each series (under the series' lock): e.g. {@link ReadMode#ALL} once a
     *             flush froze the samples of a querier that does not see the flush's block
     */
    public HeadQuerier(Head head, LabelIndex index, long mint, long maxt, Supplier<ReadMode> mode) {
        this.head = head;
        this.index = index;
        this.mint = mint;
        this.maxt = maxt;
        this.mode = mode;
    }

    private List<HeadSeries> series(RoaringBitmap ids) {
        List<HeadSeries> out = new ArrayList<>(ids.getCardinality());
        PeekableIntIterator it = ids.getIntIterator();
        while (it.hasNext()) {
            HeadSeries s = head.byId(it.next());
            if (s != null) out.add(s);
        }
        return out;
    }

    @Override public SeriesSet select(List<Matcher> matchers) { return select(matchers, null); }

    /** The filter is tested on each series' labels before the series is sorted or read. */
    @Override public SeriesSet select(List<Matcher> matchers, java.util.function.Predicate<Labels> filter) {
        // Only series whose time bounds meet the range are sorted and read: after a flush, or for a range before
        // the head, the head's series are empty there and cost one bounds check each instead of a sort and a read.
        List<HeadSeries> list = new ArrayList<>();
        if (!disjointFromHead()) {
            for (HeadSeries s : series(index.select(matchers))) {
                if ((filter == null || filter.test(s.labels)) && s.hasSamplesIn(mint, maxt, mode)) list.add(s);
            }
        }
        list.sort(Comparator.comparing(s -> s.labels));
        return new SeriesSet() {
            final SampleBuffer buf = new SampleBuffer(256);
            final ArrayCursor cursor = new ArrayCursor();
            final MixedCursor mixed = new MixedCursor();
            int i = -1;

            @Override public boolean next() {
                while (++i < list.size()) {
                    list.get(i).read(mint, maxt, buf, mode);
                    if (buf.n > 0 || buf.hasHistograms()) return true;
                }
                return false;
            }

            @Override public Labels labels() { return list.get(i).labels; }

            @Override public int seriesId() { return list.get(i).id; }

            @Override public SampleCursor cursor() { return buf.hasHistograms() ? mixed.reset(buf, buf.hist) : cursor.reset(buf); }
        };
    }

    /**
     * Series matching with samples in [mint, maxt] (by each series' time bounds, see
     * {@link HeadSeries#hasSamplesIn}): one bounds check per selected series, no decoding; a range that
     * misses the head entirely costs nothing beyond the shortcut.
     */
    @Override public long seriesCount(List<Matcher> matchers) {
        if (disjointFromHead()) return 0;
        long n = 0;
        PeekableIntIterator it = index.select(matchers).getIntIterator();
        while (it.hasNext()) {
            HeadSeries s = head.byId(it.next());
            if (s != null && s.hasSamplesIn(mint, maxt, mode)) n++;
        }
        return n;
    }

    /** The series the label index selects, without the per-series time bounds of {@link #seriesCount}. */
    @Override public long seriesUpperBound(List<Matcher> matchers) {
        return disjointFromHead() ? 0 : index.select(matchers).getLongCardinality();
    }

    /** Adds the ids of the series {@link #seriesCount} counts (head ids are storage-wide already). */
    @Override public boolean addSeriesIds(List<Matcher> matchers, ToIntFunction<Labels> resolver, RoaringBitmap out) {
        if (disjointFromHead()) return true;
        PeekableIntIterator it = index.select(matchers).getIntIterator();
        while (it.hasNext()) {
            int id = it.next();
            HeadSeries s = head.byId(id);
            if (s != null && s.hasSamplesIn(mint, maxt, mode)) out.add(id);
        }
        return true;
    }

    /** The range misses the head's current samples and this querier does not read frozen ones. */
    private boolean disjointFromHead() {
        if (mint > maxt) return true;
        if (mode.get() != ReadMode.CURRENT) return false;
        long hmin = head.minTime(), hmax = head.maxTime();
        return hmin > hmax || maxt < hmin || mint > hmax;
    }

    /**
     * Series matching with samples in [mint, maxt] by the same test as {@link #seriesCount}, sorted by
     * labels, without reading samples: for counting distinct series across sources (its cursors are empty).
     */
    @Override public SeriesSet selectLabels(List<Matcher> matchers) {
        List<HeadSeries> list = new ArrayList<>();
        if (!disjointFromHead()) {
            for (HeadSeries s : series(index.select(matchers))) if (s.hasSamplesIn(mint, maxt, mode)) list.add(s);
        }
        list.sort(Comparator.comparing(s -> s.labels));
        return new SeriesSet() {
            int i = -1;
            @Override public boolean next() { return ++i < list.size(); }
            @Override public Labels labels() { return list.get(i).labels; }
            @Override public SampleCursor cursor() { return new ArrayCursor().reset(new SampleBuffer(0)); }
        };
    }

    @Override public long sampleEstimate(List<Matcher> matchers) {
        long hmin = head.minTime(), hmax = head.maxTime();
        if (hmin > hmax || maxt < hmin || mint > hmax) return 0;
        long total = 0;
        for (HeadSeries s : series(index.select(matchers))) total += s.sampleCount();
        // assume samples are spread evenly over the head's time range
        double span = (double) hmax - hmin + 1;
        double overlap = (double) Math.min(maxt, hmax) - Math.max(mint, hmin) + 1;
        return (long) Math.ceil(total * Math.min(1.0, overlap / span));
    }

    @Override public List<String> labelNames(List<Matcher> matchers) {
        return index.labelNames(matchers.isEmpty() ? null : index.select(matchers));
    }

    @Override public List<String> labelValues(String name, List<Matcher> matchers) {
        return index.labelValues(name, matchers.isEmpty() ? null : index.select(matchers));
    }

    @Override public void close() {}
}
