package io.tsdb.core.db;

import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SeriesSet;
import io.tsdb.core.index.LabelIndex;

import java.util.List;

/**
 * Delegates reads to the merged head+blocks querier and returns the read view once when closed.
 * {@link #seriesCount} over a range containing all stored data is the bitmap cardinality of the head's label
 * index (every series of every block passed through the head and stays registered; this also counts
 * registered series whose samples retention already deleted); over a narrower range it is the merged
 * querier's count, which honours the range.
 */
final class ViewQuerier implements Querier {
    private final Querier q;
    private final ReadView view;
    private final LabelIndex index;
    private final boolean coversAllData;
    private boolean closed;

    ViewQuerier(Querier q, ReadView view, LabelIndex index, boolean coversAllData) {
        this.q = q;
        this.view = view;
        this.index = index;
        this.coversAllData = coversAllData;
    }

    @Override public SeriesSet select(List<Matcher> matchers) { return q.select(matchers); }
    @Override public long seriesCount(List<Matcher> matchers) {
        return coversAllData ? index.count(matchers) : q.seriesCount(matchers);
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
