package io.tsdb.bench.harness;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The harness's own JVM: a heap of fixed size, touched when the JVM starts. With the default heap G1 grew the
 * harness's young generation to about 2 GB while its senders pushed the payloads, and the first target's query
 * measurements were the first to allocate through that newly committed memory: page faults in the client added
 * 0.2-0.4 ms to each of the first-listed database's small queries, whichever database it was (docs/benchmarks.md,
 * "G1's marking threshold"). {@link #relaunchPreTouched} starts the same main class again in a JVM with
 * {@code -Xms = -Xmx} and {@code -XX:+AlwaysPreTouch}, unless the options already hold {@code -XX:+AlwaysPreTouch} or
 * {@code -Dtsdb.harness.relaunch=false} is given. The harness, {@code SmallQueryBench}, {@code BurstBench} and
 * {@code ChurnBench} relaunch so.
 */
final class OwnJvm {
    private OwnJvm() {}

    static final String PRE_TOUCH = "-XX:+AlwaysPreTouch";

    /** Heap for {@code samples} samples of payload: 24 bytes each, at least 1 GiB, at most half the machine's memory. */
    static long heapMiB(long samples) {
        long mib = Math.max(1024, samples * 24 / (1 << 20));
        long machine = Runtime.getRuntime().maxMemory() * 4 / (1 << 20);   // the default ceiling is a quarter of it
        return Math.min(mib, Math.max(1024, machine / 2));
    }

    /**
     * For a bench's {@code main}: true when it ran again in a pre-touched JVM ({@link #relaunchPreTouched}) and the
     * caller returns; that JVM's failure exits this one with its status. False: this JVM is the one to measure from.
     */
    static boolean ranPreTouched(Class<?> main, String[] args, long heapMiB) throws Exception {
        int code = relaunchPreTouched(main, args, heapMiB);
        if (code < 0) return false;
        if (code != 0) System.exit(code);
        return true;
    }

    /**
     * Runs {@code main} with {@code args} in a new JVM with a pre-touched heap of {@code heapMiB} and this JVM's own
     * options, waits for it and returns its exit code; -1 when no relaunch is needed (the caller goes on).
     */
    static int relaunchPreTouched(Class<?> main, String[] args, long heapMiB) throws Exception {
        List<String> own = ManagementFactory.getRuntimeMXBean().getInputArguments();
        if (own.contains(PRE_TOUCH) || "false".equals(System.getProperty("tsdb.harness.relaunch"))) return -1;
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(own);
        cmd.addAll(List.of("-Xms" + heapMiB + "m", "-Xmx" + heapMiB + "m", PRE_TOUCH,
                "-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(Arrays.asList(args));
        System.out.println("harness: relaunched with a pre-touched heap of " + heapMiB + " MiB (-Xms" + heapMiB + "m -Xmx"
                + heapMiB + "m " + PRE_TOUCH + "; -Dtsdb.harness.relaunch=false runs without)");
        return new ProcessBuilder(cmd).inheritIO().start().waitFor();
    }
}
