package io.tsdb.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SignalStopTest {
    @Test
    void firstSignalStopsGracefullySecondForcesExitWhileTheStopHangs() throws Exception {
        CountDownLatch stopStarted = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<Integer> halts = new CopyOnWriteArrayList<>();
        SignalStop s = new SignalStop(() -> {
            stopStarted.countDown();
            try {
                release.await(); // a graceful stop that hangs
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, halts::add, LoggerFactory.getLogger(SignalStopTest.class));
        s.signal("TERM");
        stopStarted.await();
        assertEquals(List.of(), halts, "the first signal only starts the graceful stop");
        s.signal("INT");
        assertEquals(List.of(SignalStop.FORCED_EXIT_CODE), halts);
        release.countDown();
    }
}
