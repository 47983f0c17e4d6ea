package io.tsdb.bench.chunk;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Companion of {@link ChunkBench} for a shared, overloaded machine: runs the same benchmark methods
 * and reports ns/sample of <em>thread CPU time</em> (time the thread actually ran), which is far less
 * disturbed by other processes than JMH's wall-clock figures. Best (minimum) of several rounds.
 * Run: {@code java --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED -cp benchmarks/target/benchmarks.jar io.tsdb.bench.chunk.ChunkCpuTime [pattern...]}
 */
public final class ChunkCpuTime {
    public static void main(String[] args) throws Exception {
        String[] patterns = args.length > 0 ? args : Patterns.NAMES;
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Blackhole bh = new Blackhole("Today's password is swordfish. I understand instantiating Blackholes directly is dangerous.");
        String[] ops = {"encodeColumnar", "appendHead", "decodeColumnar", "decodeHead", "cursorColumnar"};
        System.out.printf("%-12s", "pattern");
        for (String op : ops) System.out.printf(" %15s", op);
        System.out.println("   (ns/sample, thread CPU time, best of 15 rounds)");
        for (String p : patterns) {
            ChunkBench b = new ChunkBench();
            b.pattern = p;
            b.chunkSize = 720;
            b.setup();
            System.out.printf("%-12s", p);
            for (String op : ops) {
                double best = Double.MAX_VALUE;
                for (int round = 0; round < 15; round++) {
                    int reps = 200;
                    long t0 = mx.getCurrentThreadCpuTime();
                    for (int r = 0; r < reps; r++) run(b, op, bh);
                    long t1 = mx.getCurrentThreadCpuTime();
                    best = Math.min(best, (double) (t1 - t0) / reps / ChunkBench.SAMPLES);
                }
                System.out.printf(" %15.2f", best);
            }
            System.out.println();
        }
    }

    private static void run(ChunkBench b, String op, Blackhole bh) {
        switch (op) {
            case "encodeColumnar": bh.consume(b.encodeColumnar()); break;
            case "appendHead": bh.consume(b.appendHead()); break;
            case "decodeColumnar": b.decodeColumnar(bh); break;
            case "decodeHead": b.decodeHead(bh); break;
            default: bh.consume(b.cursorColumnar());
        }
    }
}
