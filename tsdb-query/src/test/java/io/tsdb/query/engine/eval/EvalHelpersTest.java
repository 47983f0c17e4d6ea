package io.tsdb.query.engine.eval;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

class EvalHelpersTest {
    @Test
    void xxhash64KnownVectors() {
        assertEquals(0xEF46DB3751D8E999L, XxHash64.hash(new byte[0]));
        assertEquals(0xD24EC4F1A98C6E5BL, XxHash64.hash("a".getBytes(StandardCharsets.UTF_8)));
        assertEquals(0x415872f599cea71eL, XxHash64.hash("asdf".getBytes(StandardCharsets.UTF_8)));
        // 63 bytes exercise every code path (vectors from cespare/xxhash, which Prometheus uses)
        assertEquals(0x02a2e85470d6fd96L, XxHash64.hash(
                "Call me Ishmael. Some years ago--never mind how long precisely-".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void goFloatFormatting() {
        assertEquals("1e+06", GoFmt.g(1e6));
        assertEquals("123456", GoFmt.g(123456));
        assertEquals("0.0001", GoFmt.g(0.0001));
        assertEquals("1e-05", GoFmt.g(0.00001));
        assertEquals("1.1", GoFmt.g(1.1));
        assertEquals("0.25", GoFmt.openMetrics(0.25));
        assertEquals("1.0", GoFmt.openMetrics(1));
        assertEquals("2.0", GoFmt.openMetrics(2));
        assertEquals("1e+06", GoFmt.plain(1e6).equals("1000000") ? "1e+06" : "x");
    }

    @Test
    void quantileSortsNaNFirst() {
        double[] b = {3, Double.NaN, 1, 2};
        assertEquals(1.5, RangeFunctions.quantile(0.5, b, 4), 0);
        assertTrue(Double.isNaN(b[0]));
    }

    @Test
    void naturalSortOrder() {
        assertTrue(NatSort.less("4m5", "4m600"));
        assertTrue(NatSort.less("4m600", "4m1000"));
        assertFalse(NatSort.less("b", "a"));
    }
}
