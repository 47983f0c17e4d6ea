package io.tsdb.server.logging;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

class JsonLineEncoderTest {
    /** The "ts" field is exactly Instant.toString of the event's millisecond, whatever order the events come in. */
    @Test
    void timestampIsInstantToString() {
        JsonLineEncoder enc = new JsonLineEncoder();
        long t0 = 1_796_584_500_000L;
        // every millisecond across two second boundaries (whole seconds print without a fraction)
        for (long ms = t0 - 1_500; ms <= t0 + 1_500; ms++) assertEquals(Instant.ofEpochMilli(ms).toString(), enc.timestamp(ms), "ms " + ms);
        SplittableRandom r = new SplittableRandom(14);
        for (int i = 0; i < 100_000; i++) {
            // back and forth in time, near and far (before 1970 too), on and off whole seconds
            long ms = switch (i % 4) {
                case 0 -> t0 + r.nextLong(-5_000, 5_000);
                case 1 -> r.nextLong(-100_000_000_000_000L, 100_000_000_000_000L);
                case 2 -> r.nextLong(-3_000_000, 3_000_000) * 1000;
                default -> t0 + r.nextInt(1000) * 10;
            };
            assertEquals(Instant.ofEpochMilli(ms).toString(), enc.timestamp(ms), "ms " + ms);
        }
    }
}
