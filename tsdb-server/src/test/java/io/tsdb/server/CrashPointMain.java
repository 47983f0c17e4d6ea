package io.tsdb.server;

import io.tsdb.core.CrashPoint;

/**
 * The server's {@link Main} with a crash at a chosen point (system property {@code tsdb.test.crashAt}, a
 * {@link CrashPoint} name): when storage code reaches it, the process halts at once with status 137 (no shutdown
 * hooks, no flush, as after kill -9). For crash tests that need a kill between two particular disk operations.
 */
public final class CrashPointMain {
    private CrashPointMain() {}

    public static void main(String[] args) throws Exception {
        String at = System.getProperty("tsdb.test.crashAt");
        if (at != null) {
            CrashPoint.install(p -> {
                if (p.equals(at)) {
                    System.out.println("{\"msg\":\"crash point " + p + " reached: halting\"}");
                    System.out.flush();
                    Runtime.getRuntime().halt(137);
                }
            });
        }
        Main.main(args);
    }
}
