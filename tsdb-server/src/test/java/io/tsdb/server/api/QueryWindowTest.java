package io.tsdb.server.api;

import io.tsdb.query.parser.QueryParser;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QueryWindowTest {
    static QueryWindow w(String q) { return QueryWindow.of(QueryParser.parse(q), 300_000, 60_000); }

    @Test void dataWindowCoversLookbackRangesOffsetsAndSubqueries() {
        assertEquals(new QueryWindow(300_000 + 60_000, 0, false), w("up"));
        assertEquals(new QueryWindow(3_600_000 + 300_000 + 60_000, -3_600_000, false), w("up offset 1h"));
        // a negative offset reads the future: (t+5m, t+10m]
        assertEquals(new QueryWindow(-600_000 + 300_000 + 60_000, 600_000, false), w("up offset -10m"));
        assertEquals(new QueryWindow(600_000 + 60_000, 0, false), w("rate(x[10m])"));
        // inner rate window 5m + subquery range 30m + step 1m + offset 5m, each with the slack
        assertEquals(new QueryWindow(300_000 + 60_000 + 300_000 + 1_800_000 + 60_000 + 60_000, 0, false), // after: -5m, widened to 0 by the call
                w("max_over_time(rate(x[5m])[30m:1m] offset 5m)"));
        assertEquals(w("rate(x[1h])").before(), w("sum(rate(x[1h])) / on() group_left up").before());
        assertEquals(new QueryWindow(0, 0, false), w("1 + 2"));
    }

    @Test void rangeDependentQueriesAreFlagged() {
        assertTrue(w("up @ 1700000000").usesAt());
        assertTrue(w("rate(x[5m] @ end())").usesAt());
        assertTrue(w("max_over_time(up[10m:1m] @ start())").usesAt());
        assertTrue(w("vector(end())").usesAt());
        assertTrue(w("up * range()").usesAt());
        assertFalse(w("sum by (a) (rate(x[5m]))").usesAt());
    }
}
