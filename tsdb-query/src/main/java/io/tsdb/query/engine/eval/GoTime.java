package io.tsdb.query.engine.eval;

import java.time.LocalDate;

/**
 * The UTC calendar fields Go's {@code time.Unix(sec, 0).UTC()} yields for any int64 second, as Prometheus' date
 * functions ({@code hour(v)}, {@code month(v)}, ...) compute them: Go keeps times as seconds since January 1 of an
 * "absolute" year -292277022399 (which is 1 mod 400, so its calendar repeats year 1's every 400 years) in
 * wrapping 64-bit arithmetic, so seconds beyond java.time's range, and {@link #goInt64} of NaN, +/-Inf or values
 * out of int64 range (all -2^63 on amd64), still give a date: the proleptic Gregorian calendar counted from that
 * year, modulo 2^64 seconds.
 */
final class GoTime {
    private static final long UNIX_TO_INTERNAL = 62_135_596_800L;             // 1970-01-01 minus 0001-01-01, in seconds
    private static final long INTERNAL_TO_ABSOLUTE = 9_223_371_966_579_724_800L; // 0001-01-01 minus absolute year start
    private static final long ABSOLUTE_ZERO_YEAR = -292_277_022_399L;
    private static final long DAYS_PER_400_YEARS = 146_097;
    private static final LocalDate YEAR_ONE = LocalDate.of(1, 1, 1);

    final long year;
    final int month, dayOfMonth, dayOfYear, daysInMonth, hour, minute;
    /** Sunday = 0, as Go's Weekday. */
    final int dayOfWeek;

    private GoTime(long year, LocalDate inCycle, int secondOfDay) {
        this.year = year;
        this.month = inCycle.getMonthValue();
        this.dayOfMonth = inCycle.getDayOfMonth();
        this.dayOfYear = inCycle.getDayOfYear();
        this.daysInMonth = inCycle.lengthOfMonth();
        this.dayOfWeek = inCycle.getDayOfWeek().getValue() % 7;
        this.hour = secondOfDay / 3600;
        this.minute = secondOfDay % 3600 / 60;
    }

    /** Calendar fields of a Unix time in seconds (any long; overflow wraps as in Go). */
    static GoTime ofUnixSeconds(long sec) {
        long abs = sec + UNIX_TO_INTERNAL + INTERNAL_TO_ABSOLUTE; // unsigned seconds since the absolute year start
        long days = Long.divideUnsigned(abs, 86_400);
        int secondOfDay = (int) Long.remainderUnsigned(abs, 86_400);
        long cycles = days / DAYS_PER_400_YEARS; // days < 2^64 / 86400: positive as a signed long
        LocalDate inCycle = YEAR_ONE.plusDays(days % DAYS_PER_400_YEARS);
        return new GoTime(ABSOLUTE_ZERO_YEAR + 400 * cycles + inCycle.getYear() - 1, inCycle, secondOfDay);
    }

    /** Go's int64(float64) conversion on amd64: truncation; NaN, +/-Inf and out-of-range values give -2^63. */
    static long goInt64(double x) {
        if (Double.isNaN(x) || x >= 0x1p63 || x < -0x1p63) return Long.MIN_VALUE;
        return (long) x;
    }
}
