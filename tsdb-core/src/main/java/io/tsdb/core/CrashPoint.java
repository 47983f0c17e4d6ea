package io.tsdb.core;

import java.util.function.Consumer;

/**
 * Named points inside multi-step disk operations (block rewrites, snapshots) where a crash test can stop the
 * process, e.g. with {@code Runtime.halt}, to prove that a restart finds either the old or the new state. The
 * hook is unset in production: {@link #reached} is then one volatile read.
 */
public final class CrashPoint {
    private static volatile Consumer<String> hook;

    private CrashPoint() {}

    /** Installs (or with null removes) the hook called with each point's name. For crash tests only. */
    public static void install(Consumer<String> h) { hook = h; }

    /** Called by storage code at a named point. */
    public static void reached(String name) {
        Consumer<String> h = hook;
        if (h != null) h.accept(name);
    }
}
