package io.tsdb.bench.harness;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class SlopeBandTest {
    /** RSS every 10 s for 20 minutes: a level, a 10-minute sawtooth of the given height, noise, and a trend (MiB/min). */
    static List<double[]> series(double trendPerMin, double saw, long seed) {
        Random rnd = new Random(seed);
        List<double[]> pts = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            double t = 600 + i * 10;
            double y = 500 + trendPerMin * t / 60 + saw * ((t % 600) / 600) + rnd.nextGaussian() * 3;
            pts.add(new double[]{t, y});
        }
        return pts;
    }

    static double[] bandPerMin(List<double[]> pts) {
        double[] b = LifecycleBench.slopeBand(pts, 12, 2000, 42);
        return new double[]{b[0] * 60, b[1] * 60};
    }

    /** A 95 % band: over many runs of a flat level it holds 0 about 95 times in 100; a real trend it excludes. */
    @Test void aSteadyTrendIsOutsideTheBandAndALevelIsInside() {
        int flatInside = 0, trendOutside = 0, trendCovered = 0;
        for (long seed = 0; seed < 100; seed++) {
            double[] flat = bandPerMin(series(0, 0, seed));
            if (flat[0] <= 0 && 0 <= flat[1]) flatInside++;
            double[] rising = bandPerMin(series(2, 0, seed));
            if (rising[0] > 0) trendOutside++;
            if (rising[0] <= 2 && 2 <= rising[1]) trendCovered++;
        }
        assertTrue(flatInside >= 85, "a flat level inside the band in " + flatInside + " of 100 runs");
        assertEquals(100, trendOutside, "2 MiB/min against 3 MiB of noise is a trend every time");
        assertTrue(trendCovered >= 85, "the band holds the true slope in " + trendCovered + " of 100 runs");
    }

    @Test void aSawtoothWidensTheBand() {
        double[] quiet = bandPerMin(series(0, 0, 3)), saw = bandPerMin(series(0, 100, 3));
        assertTrue(saw[1] - saw[0] > 5 * (quiet[1] - quiet[0]), java.util.Arrays.toString(quiet) + " " + java.util.Arrays.toString(saw));
    }

    @Test void theSlopeIsTheLeastSquaresOne() {
        List<double[]> pts = List.of(new double[]{0, 1}, new double[]{1, 3}, new double[]{2, 5});
        assertEquals(2.0, LifecycleBench.slope(pts), 1e-12);
    }
}
