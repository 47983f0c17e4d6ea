package io.tsdb.core.db;

import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SeriesSet;
import io.tsdb.core.index.LabelIndex;

import java.util.List;

/**
 * Delegates reads to the merged head+blocks querier and returns the read view once when closed.
 * Cardinalities come straight from the head's label index: every series of every block passed through
 * the head and stays registered, so the index holds the exact set of series (no sample access).
 */
final class ViewQuerier implements Querier {
    private final Querier q;
    private final ReadView view;
    private final LabelIndex index;
    private boolean closed;

    ViewQuerier(Querier q, ReadView view, LabelIndex index) {
        this.q = q;
        this.view = view;
        this.index = index;
    }

    @Override public SeriesSet select(List<Matcher> matchers) { return q.select(matchers); }
    @Override public long seriesCount(List<Matcher> matchers) { return index.count(matchers); }
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
