package io.tsdb.core.db;

import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SeriesSet;
import io.tsdb.core.block.MergeQuerier;
import io.tsdb.core.block.SeriesIdSource;
import io.tsdb.core.index.LabelIndex;
import org.roaringbitmap.RoaringBitmap;

import java.util.List;
import java.util.function.ToIntFunction;

/**
 * Delegates reads to the merged head+blocks querier and returns the read view once when closed.
 * {@link #seriesCount} over a range containing all stored data is the bitmap cardinality of the head's label
 * index (every series of every block passed through the head and stays registered; this also counts
 * registered series whose samples retention already deleted); over a narrower range it is the cardinality
 * of the union of the storage-wide ids of the series each source (blocks, head) has in the range.
 */
final class ViewQuerier implements Querier {
    private final List<Querier> sources;
    private final Querier q;
    private final ReadView view;
    private final LabelIndex index;
    private final boolean coversAllData;
    private final ToIntFunction<Labels> seriesIdOf;
    private boolean closed;

    /** @param seriesIdOf storage-wide series id of a label set, -1 when unknown */
    ViewQuerier(List<Querier> sources, ReadView view, LabelIndex index, boolean coversAllData, ToIntFunction<Labels> seriesIdOf) {
        this.sources = List.copyOf(sources);
        this.q = MergeQuerier.of(this.sources);
        this.seriesIdOf = seriesIdOf;
        this.view = view;
        this.index = index;
        this.coversAllData = coversAllData;
    }

    @Override public SeriesSet select(List<Matcher> matchers) { return q.select(matchers); }
    @Override public long seriesCount(List<Matcher> matchers) {
        if (coversAllData) return index.count(matchers);
        if (sources.size() == 1) return q.seriesCount(matchers);
        RoaringBitmap ids = new RoaringBitmap();
        for (Querier s : sources) {
            if (!(s instanceof SeriesIdSource src) || !src.addSeriesIds(matchers, seriesIdOf, ids)) return q.seriesCount(matchers);
        }
        return ids.getLongCardinality();
    }
    @Override public long sampleEstimate(List<Matcher> matchers) { return q.sampleEstimate(matchers); }
    @Override public List<String> labelNames(List<Matcher> matchers) { return q.labelNames(matchers); }
    @Override public List<String> labelValues(String name, List<Matcher> matchers) { return q.labelValues(name, matchers); }

    @Override public void close() {
        if (closed) return;
        closed = true;
        try {
            q.close();
        } finally {
            view.release();
        }
    }
}
