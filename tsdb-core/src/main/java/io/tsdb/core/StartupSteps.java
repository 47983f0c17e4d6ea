package io.tsdb.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The steps of this process' start-up, for the one {@code start-up steps} log line the server writes when it is
 * ready: each step's thread, when it began (ms after this class was first used, normally at the top of
 * {@code main}), its wall time and the CPU time its thread spent in it. CPU comes from
 * {@code /proc/thread-self/schedstat} (nanoseconds the thread ran; 0 where that file does not exist), so a step whose
 * CPU is far below its wall time was waiting: for another thread, for a core (a loaded machine) or for the disk.
 *
 * <p>Cheap enough to stay on: one file read per step boundary and a synchronized list of a few dozen entries.
 */
public final class StartupSteps {
    private static final long ORIGIN = System.nanoTime();
    private static final Path SCHEDSTAT = Path.of("/proc/thread-self/schedstat");
    private static final List<String> STEPS = new ArrayList<>();
    private static volatile boolean closed;

    private StartupSteps() {}

    /** A step begun on the calling thread; {@link #end} records it. */
    public record Step(String name, long startNanos, long startCpuNanos) {
        public void end() { StartupSteps.end(this); }
    }

    /** Begins step {@code name} on the calling thread. */
    public static Step begin(String name) {
        return new Step(name, System.nanoTime(), threadCpuNanos());
    }

    static void end(Step s) {
        if (closed) return;
        long now = System.nanoTime();
        long cpu = threadCpuNanos();
        String e = s.name() + "=" + Thread.currentThread().getName() + "@" + ms(s.startNanos() - ORIGIN) + "+" + ms(now - s.startNanos())
                + "ms/cpu" + (cpu > 0 && s.startCpuNanos() > 0 ? ms(cpu - s.startCpuNanos()) : "?");
        synchronized (STEPS) {
            if (STEPS.size() < 200) STEPS.add(e);   // a test JVM opens storage many times and never logs them
        }
    }

    /** Milliseconds since this class was initialised (the origin of every step's start). */
    public static long sinceOriginMillis() { return (System.nanoTime() - ORIGIN) / 1_000_000; }

    /**
     * The steps recorded so far, in the order they ended, as {@code name=thread@start+wall ms/cpu ms}; later steps
     * (work moved after ready) are still recorded until {@link #close}.
     */
    public static List<String> steps() {
        synchronized (STEPS) {
            return List.copyOf(STEPS);
        }
    }

    /** Stops recording (the process keeps no growing list once its start-up is logged). */
    public static void close() {
        closed = true;
        synchronized (STEPS) {
            STEPS.clear();
        }
    }

    private static String ms(long nanos) {
        return Long.toString(nanos / 1_000_000);
    }

    /** CPU time of the calling thread in nanoseconds, or 0 when unknown. */
    public static long threadCpuNanos() {
        try {
            byte[] b = Files.readAllBytes(SCHEDSTAT);
            long v = 0;
            for (byte c : b) {
                if (c < '0' || c > '9') break;
                v = v * 10 + (c - '0');
            }
            return v;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** CPU time of this whole process (user + system, all threads, those that ended too) in ms, or -1 when unknown. */
    public static long processCpuMillis() {
        try {
            String s = Files.readString(Path.of("/proc/self/stat"));
            String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
            // fields 14 and 15 of stat (utime, stime) are 12 and 13 after the command name; clock ticks of 10 ms
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
