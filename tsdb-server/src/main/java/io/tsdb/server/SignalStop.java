package io.tsdb.server;

import org.slf4j.Logger;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * What SIGTERM / SIGINT do: the first one starts the graceful stop (on its own thread, so the signal
 * dispatcher is free); any further one while that stop is still running (e.g. hung waiting for a request or
 * a stuck storage flush) forces the process out at once with {@link #FORCED_EXIT_CODE}, skipping the rest of
 * the stop (acknowledged writes are in the WAL; the next start replays it).
 */
final class SignalStop {
    /** Exit status after a forced stop by a second signal. */
    static final int FORCED_EXIT_CODE = 3;

    private final Runnable stop;
    private final IntConsumer halt;
    private final Logger log;
    private final AtomicInteger received = new AtomicInteger();

    /**
     * @param stop the graceful stop
     * @param halt ends the process without running shutdown hooks (whose graceful stop would wait for the
     *             hung one); {@code Runtime.getRuntime()::halt} in production
     */
    SignalStop(Runnable stop, IntConsumer halt, Logger log) {
        this.stop = stop;
        this.halt = halt;
        this.log = log;
    }

    /** Called from the signal handler for each SIGTERM / SIGINT. */
    void signal(String name) {
        if (received.getAndIncrement() == 0) {
            log.atInfo().addKeyValue("signal", "SIG" + name).log("signal received, shutting down");
            new Thread(stop, "tsdb-stop-SIG" + name).start();
        } else {
            log.atWarn().addKeyValue("signal", "SIG" + name).addKeyValue("exit_code", FORCED_EXIT_CODE)
                    .log("second signal while stopping: exiting now without finishing the graceful stop");
            halt.accept(FORCED_EXIT_CODE);
        }
    }
}
