package io.tsdb.server.rules;

import io.tsdb.core.AppendStatus;
import io.tsdb.core.Appender;
import io.tsdb.core.Labels;
import io.tsdb.core.Querier;
import io.tsdb.core.Storage;
import io.tsdb.core.StorageStats;
import io.tsdb.core.testing.MemStorage;
import io.tsdb.query.engine.PromqlEngine;
import io.tsdb.query.engine.QueryOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Stopping a group (server stop, or a reload replacing it) while it commits a rule's samples: the commit is not
 * interrupted (an interrupt reaching the WAL's write or fsync closes the segment's channel and loses the commit),
 * the group finishes that rule and ends; a group waiting for its next slot stops at once.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RuleGroupStopTest {
    /** MemStorage whose commits block on {@code release} once {@code armed}, noting whether they were interrupted. */
    static final class BlockingStorage implements Storage {
        final MemStorage mem = new MemStorage();
        final AtomicBoolean armed = new AtomicBoolean();
        final CountDownLatch inCommit = new CountDownLatch(1), release = new CountDownLatch(1);
        final AtomicBoolean interrupted = new AtomicBoolean();

        @Override public Appender appender() {
            Appender a = mem.appender();
            return new Appender() {
                @Override public AppendStatus append(Labels labels, long timestampMs, double value) { return a.append(labels, timestampMs, value); }
                @Override public String lastError() { return a.lastError(); }
                @Override public int pending() { return a.pending(); }
                @Override public void rollback() { a.rollback(); }
                @Override public void commit() throws IOException {
                    if (armed.compareAndSet(true, false)) {
                        inCommit.countDown();
                        try {
                            release.await();
                        } catch (InterruptedException e) {
                            interrupted.set(true);
                            throw new java.io.InterruptedIOException("interrupted while committing");
                        }
                        if (Thread.currentThread().isInterrupted()) interrupted.set(true);
                    }
                    a.commit();
                }
            };
        }

        @Override public Querier querier(long mint, long maxt) { return mem.querier(mint, maxt); }
        @Override public StorageStats stats() { return mem.stats(); }
        @Override public void flush() throws IOException { mem.flush(); }
        @Override public void close() throws IOException { mem.close(); }
    }

    static RuleGroup group(Storage storage, String interval) {
        RuleFileLoader.Result r = RuleFileLoader.parse("/rules/stop.yml", """
                groups:
                  - name: stop
                    interval: %s
                    rules:
                      - record: one
                        expr: vector(1)
                      - record: two
                        expr: vector(2)
                """.formatted(interval), false);
        assertTrue(r.ok(), r.errors().toString());
        QueryOptions qo = QueryOptions.DEFAULTS;
        RuleEnv.Options o = new RuleEnv.Options(1000, 0, 60_000, 3_600_000, 600_000, Map.of(), "http://tsdb:9201");
        RuleEnv env = new RuleEnv(storage, new PromqlEngine(storage, qo, 1000), qo, o, RuleClock.SYSTEM, alerts -> { }, null);
        return new RuleGroup(r.groups().get(0), env, false);
    }

    @Test
    void stopDuringACommitLetsItFinishUninterrupted() throws Exception {
        BlockingStorage storage = new BlockingStorage();
        RuleGroup g = group(storage, "1s");
        storage.armed.set(true);
        g.start();
        assertTrue(storage.inCommit.await(30, TimeUnit.SECONDS), "no evaluation");
        Thread stopper = new Thread(g::stop, "stopper");
        stopper.start();
        while (stopper.getState() != Thread.State.TIMED_WAITING) {   // stop() waits for the group's thread
            assertTrue(stopper.isAlive(), "stop returned while the commit was blocked");
            Thread.sleep(5);
        }
        storage.release.countDown();
        stopper.join(30_000);
        assertFalse(stopper.isAlive());
        assertFalse(storage.interrupted.get(), "the commit was interrupted");
        assertEquals(Rule.Health.OK, g.rules().get(0).health(), String.valueOf(g.rules().get(0).lastError()));
        assertEquals(Rule.Health.UNKNOWN, g.rules().get(1).health(), "the group ended after the rule it was on");
        try (Querier q = storage.querier(0, Long.MAX_VALUE / 2)) {
            assertTrue(q.select(List.of(io.tsdb.core.Matcher.eq("__name__", "one"))).next(), "the committed rule's sample is stored");
        }
    }

    @Test
    void stopWhileWaitingForTheNextSlotReturns() throws Exception {
        RuleGroup g = group(new BlockingStorage(), "1h");   // the next slot is up to an hour away: stop interrupts the wait
        g.start();
        Thread stopper = new Thread(g::stop, "stopper");
        stopper.start();
        stopper.join(30_000);
        assertFalse(stopper.isAlive(), "stop waited for the slot");
    }
}
