package io.tsdb.core.block;

import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import org.roaringbitmap.RoaringBitmap;

import java.util.List;
import java.util.function.ToIntFunction;

/**
 * A querier that can add the storage-wide ids of its matching series with samples in its range to a bitmap,
 * so that the distinct series of several sources (blocks and head) are counted as the cardinality of a
 * union, without comparing labels.
 */
public interface SeriesIdSource {
    /**
     * @param resolver storage-wide id of a label set, or -1 when it has none
     * @return false when a series could not be resolved: {@code out} is then incomplete
     */
    boolean addSeriesIds(List<Matcher> matchers, ToIntFunction<Labels> resolver, RoaringBitmap out);
}
