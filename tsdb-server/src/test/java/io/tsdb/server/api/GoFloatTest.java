package io.tsdb.server.api;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class GoFloatTest {
    @Test void apiFormatMatchesGoStrconvF() {
        assertEquals("1", GoFloat.api(1));
        assertEquals("0", GoFloat.api(0));
        assertEquals("-0", GoFloat.api(-0.0));
        assertEquals("0.1", GoFloat.api(0.1));
        assertEquals("-2.5", GoFloat.api(-2.5));
        assertEquals("123456789012", GoFloat.api(123456789012.0));
        assertEquals("0.30000000000000004", GoFloat.api(0.1 + 0.2));
        assertEquals("0.0000015", GoFloat.api(1.5e-6));
        assertEquals("1e-07", GoFloat.api(1e-7));
        assertEquals("-1.2345e-10", GoFloat.api(-1.2345e-10));
        assertEquals("250000000000000000000", GoFloat.api(2.5e20));
        assertEquals("1e+21", GoFloat.api(1e21));
        assertEquals("1.7976931348623157e+308", GoFloat.api(Double.MAX_VALUE));
        assertEquals("5e-324", GoFloat.api(Double.MIN_VALUE));
        assertEquals("NaN", GoFloat.api(Double.NaN));
        assertEquals("+Inf", GoFloat.api(Double.POSITIVE_INFINITY));
        assertEquals("-Inf", GoFloat.api(Double.NEGATIVE_INFINITY));
        // Java 17's Double.toString prints 2.82879384806159008E17 here, which is not the shortest form.
        assertEquals("282879384806159000", GoFloat.api(2.82879384806159E17));
    }

    @Test void integralFastPathAgreesWithTheGeneralPath() {
        java.util.Random rnd = new java.util.Random(7);
        for (int i = 0; i < 100_000; i++) {
            double v = switch (i % 4) {
                case 0 -> rnd.nextInt();
                case 1 -> rnd.nextLong() % 1_000_000_000_000_000L;
                case 2 -> Math.scalb(1.0, rnd.nextInt(60)) * (rnd.nextBoolean() ? 1 : -1);
                default -> rnd.nextInt(1000) / 8.0;
            };
            String expected = Math.abs(v) < 1e-6 && v != 0 || Math.abs(v) >= 1e21 ? GoFloat.format(v, 'e') : GoFloat.format(v, 'f');
            assertEquals(expected, GoFloat.api(v), "value " + v);
        }
        assertEquals("999999999999999", GoFloat.api(999999999999999.0));
        assertEquals("1000000000000000", GoFloat.api(1e15));
        assertEquals("-0", GoFloat.api(-0.0));
    }

    @Test void textFormatMatchesGoStrconvG() {
        assertEquals("1", GoFloat.text(1));
        assertEquals("100000", GoFloat.text(100000));
        assertEquals("1e+06", GoFloat.text(1e6));
        assertEquals("1.048576e+06", GoFloat.text(1048576));
        assertEquals("0.0001", GoFloat.text(1e-4));
        assertEquals("1e-05", GoFloat.text(1e-5));
        assertEquals("0.25", GoFloat.text(0.25));
        assertEquals("123456.5", GoFloat.text(123456.5));
        assertEquals("1.2345675e+06", GoFloat.text(1234567.5));
        assertEquals("0", GoFloat.text(0));
        assertEquals("+Inf", GoFloat.text(Double.POSITIVE_INFINITY));
    }

    @Test void timestampsAsPrometheusWritesThem() {
        assertEquals("1435781451.781", GoFloat.timestamp(1435781451781L));
        assertEquals("4", GoFloat.timestamp(4000));
        assertEquals("1.050", GoFloat.timestamp(1050));
        assertEquals("0.005", GoFloat.timestamp(5));
        assertEquals("-1.500", GoFloat.timestamp(-1500));
    }

    /** The char[] forms ApiJson.writePoint uses write exactly what the String forms return. */
    @Test void charFormsWriteWhatTheStringFormsReturn() {
        char[] buf = new char[48];
        long[] stamps = {0, 1, 5, 10, 999, 1000, 1050, 1500, -1, -1500, -999, 1435781451781L, 1796534100000L, 1796534100437L,
                Long.MAX_VALUE, Long.MIN_VALUE, Long.MIN_VALUE + 1};
        for (long ms : stamps) {
            int n = GoFloat.timestamp(ms, buf, 3);
            assertEquals(GoFloat.timestamp(ms), new String(buf, 3, n), "timestamp " + ms);
        }
        double[] integral = {0, 1, -1, 42, 100, -100, 123456789012.0, 999999999999999.0, -999999999999999.0, 9007199254740.0};
        for (double v : integral) {
            int n = GoFloat.apiIntegral(v, buf, 2);
            assertEquals(GoFloat.api(v), new String(buf, 2, n), "value " + v);
        }
        double[] others = {-0.0, 0.5, 1e15, -1e15, 1e21, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
                StaleNaNBits.VALUE, 1e-7};
        for (double v : others) assertEquals(-1, GoFloat.apiIntegral(v, buf, 0), "value " + v);
    }

    private static final class StaleNaNBits { static final double VALUE = Double.longBitsToDouble(0x7ff0000000000002L); }

    /** The plain-notation shortcut of api (|v| in [1e-3, 1e7)) writes what the general 'f' formatting writes. */
    @org.junit.jupiter.api.Test void apiShortcutAgreesWithGeneralFormat() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(7);
        double[] edges = {1e-3, Math.nextUp(1e-3), Math.nextDown(1e7), 0.1, 0.3, 1.5, 93.45, 123456.789, 9999999.999999998,
                0.0012345678901234567, 2.5e-3, 1 / 3.0, 2 / 3.0, Math.PI, Math.E * 1e6};
        for (double e : edges) {
            assertEquals(GoFloat.format(e, 'f'), GoFloat.api(e), "v=" + e);
            assertEquals(GoFloat.format(-e, 'f'), GoFloat.api(-e), "v=" + -e);
        }
        for (int i = 0; i < 200_000; i++) {
            double v = Math.pow(10, -3 + 10 * r.nextDouble()) * (r.nextBoolean() ? 1 : -1);   // 1e-3 .. 1e7
            if (i % 3 == 0) v = Math.round(v * 100) / 100.0;   // two decimals, as gauges often have
            if (v == (long) v) continue;
            assertEquals(GoFloat.format(v, 'f'), GoFloat.api(v), "v=" + v);
        }
    }
}
