package io.tsdb.core.db;

import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SeriesSet;
import io.tsdb.core.block.MergeQuerier;
import io.tsdb.core.block.SeriesIdSource;
import org.roaringbitmap.RoaringBitmap;

import java.util.List;
import java.util.function.ToIntFunction;

/**
 * Delegates reads to the merged head+blocks querier and returns the read view once when closed.
 * {@link #seriesCount} is the cardinality of the union of the storage-wide ids of the series each source
 * (blocks, head) has in the range; where a source cannot name its ids (blocks written before index version 2
 * whose series are unknown to the head and the registry) it falls back to merging label sets.
 */
final class ViewQuerier implements Querier {
    private final List<Querier> sources;
    private final Querier q;
    private final ReadView view;
    private final ToIntFunction<Labels> seriesIdOf;
    private boolean closed;

    /** @param seriesIdOf storage-wide series id of a label set, -1 when unknown */
    ViewQuerier(List<Querier> sources, ReadView view, ToIntFunction<Labels> seriesIdOf) {
        this.sources = List.copyOf(sources);
        this.q = MergeQuerier.of(this.sources);
        this.seriesIdOf = seriesIdOf;
        this.view = view;
    }

    @Override public SeriesSet select(List<Matcher> matchers) { return q.select(matchers); }
    @Override public SeriesSet select(List<Matcher> matchers, java.util.function.Predicate<Labels> filter) {
        return q.select(matchers, filter);
    }
    @Override public long seriesCount(List<Matcher> matchers) {
        if (sources.size() == 1) return q.seriesCount(matchers);
        RoaringBitmap ids = new RoaringBitmap();
        for (Querier s : sources) {
            if (!(s instanceof SeriesIdSource src) || !src.addSeriesIds(matchers, seriesIdOf, ids)) return q.seriesCount(matchers);
        }
        return ids.getLongCardinality();
    }
    @Override public long seriesUpperBound(List<Matcher> matchers) { return q.seriesUpperBound(matchers); }
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
