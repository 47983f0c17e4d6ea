package io.tsdb.core.registry;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Initialises Chronicle Map's classes ahead of the first registry open, on a spare thread at server start while
 * the command line is parsed: their static set-up (Chronicle Core's JVM probes, Chronicle Wire's formats for the
 * tiers' YAML headers, the map's generated contexts) is the longest single step of a start and needs no
 * configuration.
 *
 * <p>Invariant: Chronicle's classes are never initialised by two threads at once. Their static initialisers
 * depend on each other, and two threads entering such a cycle at different classes would deadlock on the JVM's
 * class-initialisation locks; so once a preload has been started, {@link SeriesRegistry#open} waits for it to
 * finish ({@link #await}) before it touches Chronicle. No other state; the only Chronicle class this one references is
 * {@code PosixAPIHolder}, whose binding it replaces before anything else (it has no static initialiser).
 */
public final class ChroniclePreload {
    /** The classes initialised, in the order a tier's creation or opening first reaches them. */
    static final String[] CLASSES = {"net.openhft.chronicle.map.ChronicleMapBuilder",
            "net.openhft.chronicle.map.VanillaChronicleMap", "net.openhft.chronicle.wire.TextWire",
            "net.openhft.chronicle.wire.YamlWireOut", "net.openhft.chronicle.wire.Wires",
            "net.openhft.chronicle.map.impl.CompiledMapQueryContext", "net.openhft.chronicle.map.impl.CompiledMapIterationContext"};

    private static final AtomicBoolean STARTED = new AtomicBoolean();
    private static final CountDownLatch DONE = new CountDownLatch(1);

    private ChroniclePreload() {}

    /**
     * Marks the preload as started and returns its task, to be run once on a spare thread (null when a preload was
     * started already). From this call on, registry opens wait until the task has run.
     */
    public static Runnable start() {
        if (!STARTED.compareAndSet(false, true)) return null;
        return () -> {
            try {
                // First: Chronicle Core's JVM probes ask for the POSIX binding when they initialise, and unless the
                // no-op one is installed before, that is jnr-ffi's: native stubs generated with ASM at every start
                // (250 classes more, ~30 of them from outside the class-data archive; 1.8 s of this thread on a
                // machine loaded 8 times over). The registry needs none of its calls (SeriesRegistry's static
                // initialiser does the same when no preload runs).
                net.openhft.posix.internal.PosixAPIHolder.useNoOpPosixApi();
                for (String c : CLASSES) Class.forName(c, true, ChroniclePreload.class.getClassLoader());
            } catch (Throwable e) {
                // the registry's open reports any real problem
            } finally {
                DONE.countDown();
            }
        };
    }

    /** Returns once a started preload has finished (at once when none was started). */
    static void await() {
        if (!STARTED.get()) return;
        boolean interrupted = false;
        while (true) {
            try {
                DONE.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    /**
     * Whether the data directory {@code dataDir} holds a series registry (tier files, or a version 1 registry): a
     * restart, whose storage open needs Chronicle Map at once. A first start's registry creates its first tier in the
     * background and needs Chronicle only for its first series.
     */
    public static boolean registryExists(java.nio.file.Path dataDir) {
        java.nio.file.Path dir = dataDir.resolve("registry");
        if (!java.nio.file.Files.isDirectory(dir)) return false;
        try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.list(dir)) {
            return files.anyMatch(p -> {
                String n = p.getFileName().toString();
                return RegistryFormat.tierIndex(n) >= 0 || n.equals(RegistryFormat.LEGACY_FILE_NAME);
            });
        } catch (java.io.IOException | RuntimeException e) {
            return true;   // the open will tell; preload as for a restart
        }
    }

    /** Whether a started preload has finished (tests). */
    static boolean done() { return DONE.getCount() == 0; }
}
