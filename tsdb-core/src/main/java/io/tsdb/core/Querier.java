package io.tsdb.core;

import java.util.List;

/**
 * Read access over a fixed time range [mint, maxt]. Not thread-safe. Close releases resources
 * (memory-mapped block references).
 */
public interface Querier extends AutoCloseable {

    /** Series matching all matchers (at least one matcher must not match the empty string), sorted by labels. */
    SeriesSet select(List<Matcher> matchers);

    /**
     * As {@link #select(List)}, keeping only the series whose labels {@code filter} accepts; a series it refuses is
     * skipped before its samples are read (implementations test the labels first; this default reads and drops).
     * A query evaluated in shards on several threads gives each shard its own querier and a filter that takes its
     * part of the series (Prometheus's select hints have the same idea: ShardIndex / ShardCount).
     */
    default SeriesSet select(List<Matcher> matchers, java.util.function.Predicate<Labels> filter) {
        SeriesSet in = select(matchers);
        return new SeriesSet() {
            @Override public boolean next() {
                while (in.next()) if (filter.test(in.labels())) return true;
                return false;
            }
            @Override public Labels labels() { return in.labels(); }
            @Override public SampleCursor cursor() { return in.cursor(); }
            @Override public int seriesId() { return in.seriesId(); }
        };
    }

    /**
     * Number of series matching with samples in [mint, maxt], from the label index bitmaps and series/chunk
     * time bounds, without decoding samples where the implementation can. Never fewer than {@link #select}
     * returns; it may be more where only bounds are checked (a series whose samples straddle the range with
     * no sample inside it; in {@code Tsdb}, over a range containing all stored data, every registered series).
     */
    long seriesCount(List<Matcher> matchers);

    /**
     * At least {@link #seriesCount}, from the label index alone where the implementation can: no time bounds
     * checked, series present in several sources counted once per source. For deciding cheaply whether a query
     * is small before anything is counted exactly or read (a few bitmap operations, whatever the selection's size).
     */
    default long seriesUpperBound(List<Matcher> matchers) { return seriesCount(matchers); }

    /** Estimated number of samples within [mint, maxt] for the matching series, from chunk stats. */
    long sampleEstimate(List<Matcher> matchers);

    /** Sorted label names of series matching (all series when matchers is empty). */
    List<String> labelNames(List<Matcher> matchers);

    /** Sorted values of one label among series matching (all series when matchers is empty). */
    List<String> labelValues(String name, List<Matcher> matchers);

    @Override void close();
}
