package io.tsdb.bench.harness;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WarmUpRuleTest {
    @Test
    void settlesAfterTwoQuietWindowsOnceCompilationStops() {
        WarmUp.Rule r = new WarmUp.Rule();
        assertFalse(r.window(0.40, 1.0, 100, 1.0));   // compiling
        assertFalse(r.window(0.10, 0.8, 200, 1.0));   // still compiling, CPU per run falling
        assertFalse(r.window(0.00, 0.5, 250, 1.0));   // compiler quiet, but CPU per run still falling (4 -> 2 ms)
        assertFalse(r.window(0.00, 0.5, 250, 1.0));   // first quiet window
        assertTrue(r.window(0.01, 0.51, 250, 1.0));   // second in a row
    }

    @Test
    void compilerActivityResetsTheCount() {
        WarmUp.Rule r = new WarmUp.Rule();
        r.window(0, 0.5, 250, 1.0);
        assertFalse(r.window(0, 0.5, 250, 1.0));
        assertFalse(r.window(0.05, 0.5, 250, 1.0));   // 5 % of the window in the compiler
        assertFalse(r.window(0, 0.5, 250, 1.0));
        assertTrue(r.window(0, 0.5, 250, 1.0));
    }

    @Test
    void aNativeServerSettlesWhenItsCpuPerRunStopsFalling() {
        WarmUp.Rule r = new WarmUp.Rule();
        assertFalse(r.window(0, 0.30, 1000, 1.0));
        assertFalse(r.window(0, 0.20, 1000, 1.0));    // fell by a third
        assertFalse(r.window(0, 0.20, 1000, 1.0));
        assertTrue(r.window(0, 0.21, 1000, 1.0));
    }
}
