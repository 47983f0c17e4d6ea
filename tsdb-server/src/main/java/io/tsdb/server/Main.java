package io.tsdb.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import io.tsdb.server.cli.Cli;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.PrintStream;

/**
 * Entry point: parses flags and the config file, starts {@link TsdbServer}, and on SIGTERM or SIGINT
 * stops gracefully (not ready, stop accepting, finish in-flight requests, flush and close storage) and
 * exits 0; a second signal while that stop is still running forces exit. SIGHUP reloads the rule files.
 * The subcommands {@code check rules} and {@code test rules} run the rule tools instead of the server. Exit codes: 0 normal (also after a
 * signal), 1 start-up failure, 2 bad command line or config, 3 forced by a second signal.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        main(args, Defaults.storage());
    }

    /** As {@link #main(String[])} on the storage {@code storage} opens (crash tests: a file layer with crash points). */
    static void main(String[] args, StorageFactory storage) {
        io.tsdb.core.StartupSteps.sinceOriginMillis();   // the origin of the start-up steps logged at ready
        System.setProperty("chronicle.analytics.disable", "true");
        System.setProperty("chronicle.announcer.disable", "true");   // its banner is logged at INFO, below net.openhft's WARN
        // Netty's buffer allocators emit JFR events when the JVM has JFR: their first use loads the flight recorder's
        // classes and generates an event handler class per event type (not archivable by CDS), about 110 classes and
        // 0.1-0.3 s of CPU at every start. -Dio.netty.jfr.enabled=true brings them back for a recording.
        if (System.getProperty("io.netty.jfr.enabled") == null) System.setProperty("io.netty.jfr.enabled", "false");
        preloadStorageClasses();
        int code;
        try {
            code = run(args, System.out, System.err, storage);
        } finally {
            DATA_DIR.complete(null);   // whatever run did: the preload does not wait for a start that is over
            STARTED.countDown();
        }
        awaitPreload();
        flushLogs();
        System.exit(code);
    }

    /** Counted down once logging is initialised by the preload thread (if one runs). */
    private static final java.util.concurrent.CountDownLatch LOGGING = new java.util.concurrent.CountDownLatch(1);
    private static volatile boolean preloading;
    private static volatile Thread preloadThread;

    /**
     * Initialises logging, then Chronicle Map's classes ({@link io.tsdb.core.registry.ChroniclePreload}: the
     * registry's open waits for it), on a second thread while this one parses flags: the static initialisation of
     * Chronicle is the longest single step of a start, and it does not depend on the configuration. Logging comes
     * first and this thread waits for it before logging (SLF4J hands out substitute loggers that drop events while
     * another thread initialises it). The Chronicle task runs whatever logging did: the registry waits for it.
     *
     * <p>On a first start (no registry in the data directory yet) the Chronicle task waits until the server is ready
     * (or failed to start): the new registry creates its first tier in the background, after this task, and only the
     * first series put waits for that (SeriesRegistry), so Chronicle's initialisation, about a third of a first
     * start's CPU, no longer competes with the start for the machine's cores. A restart's registry open needs
     * Chronicle at once: the task runs right after logging.
     */
    private static void preloadStorageClasses() {
        preloading = true;
        Runnable chronicle = io.tsdb.core.registry.ChroniclePreload.start();
        Thread t = new Thread(() -> {
            try {
                var step = io.tsdb.core.StartupSteps.begin("logging");
                LoggerFactory.getILoggerFactory();
                step.end();
            } finally {
                LOGGING.countDown();
                if (chronicle != null) {
                    if (!restart()) awaitStarted();
                    var step = io.tsdb.core.StartupSteps.begin("chronicle-init");
                    chronicle.run();
                    step.end();
                }
            }
        }, "tsdb-preload");
        t.setDaemon(true);
        preloadThread = t;
        t.start();
    }

    /** The data directory once the command line is parsed (null when the process runs no server). */
    private static final java.util.concurrent.CompletableFuture<java.nio.file.Path> DATA_DIR = new java.util.concurrent.CompletableFuture<>();
    /** Counted down when the server is ready or failed to start (or no server runs). */
    private static final java.util.concurrent.CountDownLatch STARTED = new java.util.concurrent.CountDownLatch(1);

    /** Whether the data directory holds a registry already (unknown: as for a restart). */
    private static boolean restart() {
        java.nio.file.Path dir = DATA_DIR.join();
        return dir == null || io.tsdb.core.registry.ChroniclePreload.registryExists(dir);
    }

    private static void awaitStarted() {
        try {
            STARTED.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Waits (at most 5 s) for the preload thread before the process exits: a start that fails at once (a read-only
     * data directory, a bad flag) would otherwise exit while Chronicle's classes initialise, and their static
     * initialisers, refused a shutdown hook once shutdown began, print stack traces after the one-line error.
     */
    private static void awaitPreload() {
        Thread t = preloadThread;
        if (t == null) return;
        try {
            t.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void awaitLogging() {
        if (!preloading) return;
        try {
            LOGGING.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        return run(args, out, err, Defaults.storage());
    }

    static int run(String[] args, PrintStream out, PrintStream err, StorageFactory storage) {
        var cli = io.tsdb.core.StartupSteps.begin("cli");
        Cli.Result r = Cli.parse(args);
        cli.end();
        if (r instanceof Cli.Exit e) {
            DATA_DIR.complete(null);
            STARTED.countDown();
            out.print(e.stdout());
            err.print(e.stderr());
            out.flush();
            err.flush();
            return e.code();
        }
        ServerConfig cfg = ((Cli.Run) r).config();
        DATA_DIR.complete(cfg.dataDir);
        var waitLogging = io.tsdb.core.StartupSteps.begin("await-logging");
        awaitLogging();
        waitLogging.end();
        setLogLevel(cfg.logLevel);
        Logger log = LoggerFactory.getLogger(Main.class);
        log.atInfo().addKeyValue("version", BuildInfo.VERSION).addKeyValue("flags", io.tsdb.server.cli.Flags.values(cfg))
                .log("starting tsdb");
        // Signals are handled from the start: one arriving during start-up stops the server right after
        // it has started (storage opened consistently), instead of killing the JVM mid-open.
        java.util.concurrent.atomic.AtomicReference<TsdbServer> running = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicBoolean stopRequested = new java.util.concurrent.atomic.AtomicBoolean();
        Runnable stop = () -> {
            stopRequested.set(true);
            TsdbServer s = running.get();
            if (s != null) s.stop();
        };
        SignalStop signals = new SignalStop(stop, code -> {
            flushLogs();
            Runtime.getRuntime().halt(code);
        }, log);
        installSignalHandler("TERM", signals, log);
        installSignalHandler("INT", signals, log);
        installReloadHandler(running, log);
        TsdbServer server;
        try {
            server = TsdbServer.builder(cfg).storage(storage).start();
        } catch (Exception e) {
            STARTED.countDown();
            // the data directory's file system (read-only, no permission, no space): the operator's to fix, no stack trace
            if (e instanceof io.tsdb.core.StorageUnavailableException) log.atError().log("tsdb failed to start: " + e.getMessage());
            else log.atError().setCause(e).log("tsdb failed to start: " + e.getMessage());
            err.println(Cli.NAME + ": failed to start: " + e.getMessage());
            return 1;
        }
        STARTED.countDown();
        running.set(server);
        if (stopRequested.get()) server.stop();
        // Any other JVM exit (System.exit elsewhere, SIGQUIT-less kills) still stops cleanly; stop() is idempotent.
        Runtime.getRuntime().addShutdownHook(new Thread(server::stop, "tsdb-shutdown-hook"));
        server.awaitStopped();
        return 0;
    }

    /**
     * Handling the signal ourselves (rather than in a shutdown hook) lets the process finish the graceful
     * stop and then exit with status 0 instead of the JVM's 143; a second signal forces exit (see
     * {@link SignalStop}).
     */
    @SuppressWarnings("restriction")
    private static void installSignalHandler(String name, SignalStop signals, Logger log) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> signals.signal(name));
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            log.atWarn().addKeyValue("signal", name).log("cannot handle signal; relying on the shutdown hook");
        }
    }

    /**
     * SIGHUP reloads the rule files (as in Prometheus) instead of stopping the server; a failed reload keeps the
     * previous rules and is logged. A HUP before the server is ready is ignored with a log line.
     */
    @SuppressWarnings("restriction")
    private static void installReloadHandler(java.util.concurrent.atomic.AtomicReference<TsdbServer> running, Logger log) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> {
                Thread t = new Thread(() -> {
                    TsdbServer s = running.get();
                    if (s == null) {
                        log.atWarn().log("SIGHUP received before the server is ready; nothing reloaded");
                        return;
                    }
                    Reloadable.Outcome o = s.reload();
                    if (o.ok()) log.atInfo().addKeyValue("signal", "SIGHUP").addKeyValue("result", o.message()).log("reloaded");
                    else log.atError().addKeyValue("signal", "SIGHUP").addKeyValue("err", o.message())
                            .log("reload failed; the previous configuration keeps running");
                }, "tsdb-reload-SIGHUP");
                t.setDaemon(true);
                t.start();
            });
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            log.atWarn().addKeyValue("signal", "HUP").log("cannot handle SIGHUP; reload with POST /-/reload");
        }
    }

    static void setLogLevel(String level) {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx) {
            ctx.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(Level.toLevel(level, Level.INFO));
        }
    }

    private static void flushLogs() {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx) ctx.stop();
    }
}
