package io.tsdb.bench.harness;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The harness's own heap: 24 bytes per sample of the data set, at least 1 GiB, at most half the machine's memory. */
class OwnJvmTest {
    @Test void heapFollowsTheDataSetWithinItsBounds() {
        long half = Math.max(1024, Runtime.getRuntime().maxMemory() * 4 / (1 << 20) / 2);
        assertEquals(Math.min(1024, half), OwnJvm.heapMiB(1_000));
        assertEquals(Math.min(1024, half), OwnJvm.heapMiB(43_200_000));        // 10k series, 12 h: 988 MiB -> the floor
        assertEquals(Math.min(2288, half), OwnJvm.heapMiB(100_000_000));       // 2,288 MiB
        assertTrue(OwnJvm.heapMiB(Long.MAX_VALUE / 64) <= half, "capped at half the machine");
    }
}
