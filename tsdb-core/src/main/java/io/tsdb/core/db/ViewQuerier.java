package io.tsdb.core.db;

import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SeriesSet;

import java.util.List;

/** Delegates to the merged head+blocks querier and returns the read view once when closed. */
final class ViewQuerier implements Querier {
    private final Querier q;
    private final ReadView view;
    private boolean closed;

    ViewQuerier(Querier q, ReadView view) {
        this.q = q;
        this.view = view;
    }

    @Override public SeriesSet select(List<Matcher> matchers) { return q.select(matchers); }
    @Override public long seriesCount(List<Matcher> matchers) { return q.seriesCount(matchers); }
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
