package io.tsdb.bench.harness;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Unmeasured runs of a query before it is measured, for every database alike, until the server has reached its
 * steady speed: a JVM server answers its first requests of a kind interpreted and its JIT compiler threads then
 * compete with the queries for the machine's two cores for a while (a fixed 3 s was too short: the first database
 * measured paid its compilation inside the measured runs).
 *
 * <p>The runs go in windows of at least {@link #WINDOW_MS} and at least {@link #WINDOW_RUNS} runs. A window is
 * <em>quiet</em> when the JIT compiler threads ({@code C1 CompilerThre}, {@code C2 CompilerThre} in
 * /proc/PID/task/TID/stat) of the server and of this harness together used less than {@link #COMPILER_SHARE} of the
 * window's wall time, and the server's CPU per run (user + system of the whole process, /proc/PID/stat) did not fall
 * by more than {@link #FALL} against the previous window. Warm-up ends after {@link #QUIET_WINDOWS} quiet windows in
 * a row (a native server has no compiler threads: for it only its CPU per run counts), once at least
 * {@code minRuns} runs and {@code minMs} have passed; or at the cap, whichever comes first.
 */
final class WarmUp {
    static final long WINDOW_MS = 1000;
    static final int WINDOW_RUNS = 5;
    static final double COMPILER_SHARE = 0.02;
    static final double FALL = 0.05;
    static final int QUIET_WINDOWS = 2;

    /** How one warm-up went, for the log and the report. */
    record Outcome(int runs, long ms, boolean settled, double lastCpuPerRunMs) {
        @Override public String toString() {
            return String.format(Locale.ROOT, "%d warm-up runs in %d ms, %s, last %.3f ms CPU per run", runs, ms,
                    settled ? "settled" : "capped", lastCpuPerRunMs);
        }
    }

    interface Run { void run() throws Exception; }

    /** The decision, fed one window at a time (kept apart from /proc so that it can be tested). */
    static final class Rule {
        private double lastCpuPerRun = Double.NaN;
        private int quietInARow;

        /** Records a window; true once the last {@link #QUIET_WINDOWS} windows were quiet. */
        boolean window(double compilerCpuSeconds, double processCpuSeconds, int runs, double wallSeconds) {
            double perRun = processCpuSeconds / Math.max(1, runs);
            boolean compilerQuiet = compilerCpuSeconds < COMPILER_SHARE * wallSeconds;
            boolean notFalling = !Double.isNaN(lastCpuPerRun) && perRun >= (1 - FALL) * lastCpuPerRun;
            lastCpuPerRun = perRun;
            quietInARow = compilerQuiet && notFalling ? quietInARow + 1 : 0;
            return quietInARow >= QUIET_WINDOWS;
        }

        double lastCpuPerRun() { return lastCpuPerRun; }
    }

    private WarmUp() {}

    static Outcome untilSettled(Target t, Run run, int minRuns, long minMs, long capMs) throws Exception {
        Rule rule = new Rule();
        long t0 = System.nanoTime();
        int runs = 0;
        while (true) {
            long w0 = System.nanoTime();
            double cpu0 = t.cpuSeconds(), comp0 = compilerCpuSeconds(t.pid()) + compilerCpuSeconds(ProcessHandle.current().pid());
            int n = 0;
            while (n < WINDOW_RUNS || System.nanoTime() - w0 < WINDOW_MS * 1_000_000) {
                run.run();
                n++;
                if (System.nanoTime() - t0 > capMs * 1_000_000) break;
            }
            runs += n;
            double comp = compilerCpuSeconds(t.pid()) + compilerCpuSeconds(ProcessHandle.current().pid()) - comp0;
            boolean settled = rule.window(Math.max(0, comp), t.cpuSeconds() - cpu0, n, (System.nanoTime() - w0) / 1e9);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            if (settled && runs >= minRuns && ms >= minMs) return new Outcome(runs, ms, true, rule.lastCpuPerRun() * 1e3);
            if (ms >= capMs) return new Outcome(runs, ms, false, rule.lastCpuPerRun() * 1e3);
        }
    }

    /** CPU seconds of the JIT compiler threads of a process so far (threads that ended no longer count). */
    static double compilerCpuSeconds(long pid) {
        double sum = 0;
        try (Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    if (!name.startsWith("C1 CompilerThre") && !name.startsWith("C2 CompilerThre")) continue;
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    sum += (Long.parseLong(f[11]) + Long.parseLong(f[12])) / (double) Target.CLOCK_TICKS;
                } catch (java.io.IOException | RuntimeException e) {
                    // the thread ended
                }
            }
        } catch (java.io.IOException e) {
            return 0;
        }
        return sum;
    }
}
