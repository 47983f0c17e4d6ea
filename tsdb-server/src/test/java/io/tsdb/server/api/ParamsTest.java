package io.tsdb.server.api;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ParamsTest {
    @Test void times() {
        assertEquals(1435781451781L, Params.parseTime("1435781451.781"));
        assertEquals(1435781451781L, Params.parseTime("2015-07-01T20:10:51.781Z"));
        assertEquals(1435781451781L, Params.parseTime("2015-07-01T22:10:51.781+02:00"));
        assertEquals(4000, Params.parseTime("4"));
        assertEquals(-1500, Params.parseTime("-1.5"));
        assertEquals(1001, Params.parseTime("1.0006")); // rounded to ms
        assertEquals(-1250, Params.parseTime("-1.25"));
        assertEquals(Params.MAX_TIME, Params.parseTime("292277025-08-18T07:12:54.999999999Z"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Params.parseTime("yesterday"));
        assertEquals("cannot parse \"yesterday\" to a valid timestamp", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Params.parseTime("2015-07-01"));
    }

    @Test void durations() {
        assertEquals(15_000, Params.parseDuration("15"));
        assertEquals(500, Params.parseDuration("0.5"));
        assertEquals(5_400_000, Params.parseDuration("1h30m"));
        assertEquals(90_000, Params.parseDuration("1m30s"));
        assertEquals(250, Params.parseDuration("250ms"));
        assertEquals(86_400_000L * 8, Params.parseDuration("1w1d"));
        assertEquals(0, Params.parseDuration("0"));
        assertEquals("cannot parse \"5x\" to a valid duration",
                assertThrows(IllegalArgumentException.class, () -> Params.parseDuration("5x")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Params.parseDuration(""));
        assertThrows(IllegalArgumentException.class, () -> Params.parseDuration("1e300"));
    }
}
