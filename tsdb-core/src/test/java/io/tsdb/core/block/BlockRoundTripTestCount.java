package io.tsdb.core.block;

import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SeriesSet;

import java.util.List;

/** Counts series a querier's select returns (MemStorage's seriesCount ignores the time range). */
final class BlockRoundTripTestCount {
    private BlockRoundTripTestCount() {}

    static long count(Querier q, List<Matcher> ms) {
        SeriesSet s = q.select(ms);
        long n = 0;
        while (s.next()) n++;
        return n;
    }
}
