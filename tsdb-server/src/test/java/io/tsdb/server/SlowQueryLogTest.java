package io.tsdb.server;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The slow-query log keeps each tenant's queries apart and keeps only the most recent ones. */
class SlowQueryLogTest {
    @Test
    void eachTenantSeesOnlyItsOwnSlowQueries() {
        SlowQueryLog log = new SlowQueryLog(0, 10);   // every query is slow
        long now = System.currentTimeMillis();
        log.record("alpha_secret_total", "instant", System.nanoTime(), now, false, "alpha");
        log.record("rate(bravo_total[5m])", "range", System.nanoTime(), now, true, "bravo");
        log.record("up", "instant", System.nanoTime(), now, false, "");
        assertEquals(List.of("rate(bravo_total[5m])"), log.recent("bravo").stream().map(SlowQueryLog.Entry::query).toList());
        assertEquals(List.of("alpha_secret_total"), log.recent("alpha").stream().map(SlowQueryLog.Entry::query).toList());
        assertEquals(List.of("up"), log.recent("").stream().map(SlowQueryLog.Entry::query).toList());
        assertTrue(log.recent("bravo").get(0).failed());
        assertEquals(3, log.recent().size());
    }

    @Test
    void keepsTheMostRecentUpToItsCapacityAndOnlyThoseOverTheThreshold() {
        SlowQueryLog log = new SlowQueryLog(0, 2);
        long now = System.currentTimeMillis();
        for (int i = 0; i < 5; i++) log.record("q" + i, "instant", System.nanoTime(), now, false, "t");
        assertEquals(List.of("q4", "q3"), log.recent("t").stream().map(SlowQueryLog.Entry::query).toList());
        SlowQueryLog strict = new SlowQueryLog(60_000, 2);
        strict.record("fast", "instant", System.nanoTime(), now, false, "t");
        assertTrue(strict.recent().isEmpty());
    }
}
