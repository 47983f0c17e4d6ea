package io.tsdb.core.registry;

import java.nio.file.Path;

/**
 * Child process of {@link RegistryShrinkCrashTest}: opens the registry in {@code args[0]}, removes the series
 * whose id is not a multiple of 3 ({@link SeriesRegistry#retainOnly}) and halts the JVM abruptly (no shutdown
 * hooks, no clean close: what kill -9 leaves) at the rewrite step {@code args[1]}, or after the whole rewrite
 * when the step is "end". Ids {@code args[2]} (comma-separated) count as active (came back meanwhile).
 */
public final class RegistryShrinkMain {
    public static void main(String[] args) throws Exception {
        String haltAt = args[1];
        java.util.Set<Integer> active = new java.util.HashSet<>();
        if (args.length > 2) for (String s : args[2].split(",")) active.add(Integer.parseInt(s));
        SeriesRegistry r = SeriesRegistry.open(Path.of(args[0]), 1024);
        int[] calls = {0};
        r.rewriteHookForTesting(step -> {
            if (step.equals(haltAt)) {
                System.out.println("HALT " + step);
                System.out.flush();
                Runtime.getRuntime().halt(137);
            }
        });
        r.retainOnly(id -> id % 3 == 0, active::contains, Runnable::run, 0.25);
        System.out.println("HALT end");
        System.out.flush();
        Runtime.getRuntime().halt(137);
    }

    private RegistryShrinkMain() {}
}
