package io.tsdb.server.launcher;

import com.sun.management.HotSpotDiagnosticMXBean;
import io.tsdb.core.Storage;
import io.tsdb.core.db.Tsdb;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.management.ManagementFactory;
import java.util.function.Supplier;

/**
 * Gives heap back to the system after the storage let go of memory. A head flush, a compaction or the head's
 * series GC ends with a burst of garbage (the flushed head's chunks, the dropped series, the merge's buffers)
 * after the collector has grown the heap to hold it. The serial collector shrinks the heap only at a full
 * collection, G1 only at the end of a marking cycle, and steady ingest may start neither for a long time, so
 * the process' RSS stayed at the high-water mark of the last burst (measured under series churn: 330 MiB
 * after one flush, 510 MiB after a compaction). This thread asks for a collection once such an event happened:
 * the heap then shrinks to what {@code -XX:MaxHeapFreeRatio} allows.
 *
 * <p>The collection is a full one ({@link System#gc()} without {@code -XX:+ExplicitGCInvokesConcurrent}): a
 * concurrent G1 cycle marks the garbage but leaves it in old regions that only mixed collections reclaim, a few
 * regions at each young collection, so a server that ingests slowly or not at all after a compaction kept it for
 * minutes (series churn, a minute after the last flush: 388 MiB with a concurrent cycle, 249 MiB with a full
 * collection, whose pauses were 46-470 ms for 66-270 MB live on the loaded 2-core machine). With
 * {@code -XX:+ExplicitGCInvokesConcurrent} in {@code TSDB_JAVA_OPTS} the request is a concurrent cycle again.
 *
 * <p>With each collection it also has the storage let go of the series registry's pages that new series touched
 * ({@link Tsdb#releaseResidentPages}): file-backed, they counted in the RSS until the registry's next remap (series
 * churn: 9 MB after generation 48, growing with the registry's tiers). It drops the kept request body arrays and the
 * idle appender stagings ({@link Tsdb#releaseIdleStagings}), both kept at the size of the largest write seen (the
 * stagings alone, harness at 10,000 series: RSS after the ingest, flushed and settled, 181-186 MiB with them, 153-157
 * without).
 *
 * <p>It also asks for one when the committed heap stayed far above what the collections leave of it for a minute
 * ({@link HeapSlack}, at most one per two minutes): G1 grows its young generation or keeps a burst's old regions
 * between such events too, and steady ingest then holds that size.
 *
 * <p>On only when the launcher says so ({@code -Dtsdb.heap.trim=true}). Only after a storage event, so an idle or
 * steady server never collects because of it; while writes come in, at most one request per {@link
 * #MIN_INTERVAL_MS}. Once the server took no write and the storage no further event for a check ({@link
 * #CHECK_INTERVAL_MS}) the event's request goes at once: the flush at the end of an ingest used to come within
 * 30 s of the trim after the ingest's last compaction, and its garbage then stayed until that interval had passed
 * (harness, 10,000 series: RSS after ingest and flush 257-285 MiB when the trim waited, 178-180 when it had come).
 * No state is shared with anything else: one daemon thread, stopped with the server.
 */
public final class HeapTrimmer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HeapTrimmer.class);
    /** How often the storage's counters are looked at. */
    static final long CHECK_INTERVAL_MS = 1_000;
    /** Least time between two requested cycles while the server takes writes (none once it went quiet). */
    static final long MIN_INTERVAL_MS = 30_000;

    private final Supplier<Storage> storage;
    private final Thread thread;
    private volatile boolean closed;
    private long lastKey = Long.MIN_VALUE;
    private long lastTrimMs;
    private volatile long trims;
    private final HeapSlack slack = new HeapSlack();
    private final java.lang.management.MemoryMXBean memory = ManagementFactory.getMemoryMXBean();

    private HeapTrimmer(Supplier<Storage> storage) {
        this.storage = storage;
        this.thread = new Thread(this::run, "tsdb-heap-trim");
        thread.setDaemon(true);
        thread.setPriority(Thread.MIN_PRIORITY);
    }

    /** The system property that turns trimming on (the launcher sets it). */
    public static final String PROPERTY = "tsdb.heap.trim";

    /** Starts a trimmer when {@link #PROPERTY} is true and explicit GCs are not disabled; otherwise returns null. */
    public static HeapTrimmer startIfEnabled(Supplier<Storage> storage) {
        if (!Boolean.getBoolean(PROPERTY) || explicitGcDisabled()) return null;
        HeapTrimmer t = new HeapTrimmer(storage);
        t.thread.start();
        return t;
    }

    static boolean explicitGcDisabled() {
        try {
            HotSpotDiagnosticMXBean hs = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            return hs == null || "true".equals(hs.getVMOption("DisableExplicitGC").getValue());
        } catch (RuntimeException e) {
            return true;   // not HotSpot, or the option is unknown
        }
    }

    /** A number that changes whenever the storage flushed, compacted, deleted blocks or dropped head series. */
    static long eventKey(Storage s) {
        if (s == null) return Long.MIN_VALUE;
        long key = s.stats().blocks();
        if (s instanceof Tsdb db) key = key * 31 + db.flushes() * 17 + db.seriesRemoved();
        return key;
    }

    /**
     * A number that changes whenever samples are appended (or the storage is replaced); the same number at two
     * checks in a row means the server took no writes in between.
     */
    static long writeKey(Storage s) {
        if (s == null) return Long.MIN_VALUE;
        if (s instanceof Tsdb db) return db.counters().samplesAppended() + db.counters().commits();
        return s.stats().headSamples();
    }

    private void run() {
        long lastWrites = Long.MIN_VALUE, prevKey = Long.MIN_VALUE;
        while (!closed) {
            try {
                Thread.sleep(CHECK_INTERVAL_MS);
                Storage s = storage.get();
                long key = eventKey(s), writes = writeKey(s);
                // quiet: no write since the last check; settled: no event either (a flush is followed by its
                // compactions within seconds: one collection after the last of them, not one after each)
                boolean quiet = writes == lastWrites, settled = key == prevKey;
                lastWrites = writes;
                prevKey = key;
                long now = System.currentTimeMillis();
                if (lastKey == Long.MIN_VALUE) {
                    lastKey = key;
                } else if (key != lastKey && ((quiet && settled) || now - lastTrimMs >= MIN_INTERVAL_MS)) {
                    lastKey = key;
                    trim(now, s);
                } else {
                    java.lang.management.MemoryUsage heap = memory.getHeapMemoryUsage();
                    if (slack.observe(now, heap.getUsed(), heap.getCommitted())) {
                        log.debug("heap committed {} MB for {} MB used: asking for a collection", heap.getCommitted() >> 20, heap.getUsed() >> 20);
                        trim(now, s);
                    }
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                log.atDebug().setCause(e).log("heap trim check failed");   // storage closing: try again later
            }
        }
    }

    private void trim(long now, Storage s) {
        lastTrimMs = now;
        trims++;
        if (s instanceof Tsdb db) {
            try {
                db.releaseResidentPages();   // the registry's newest tier: pages touched by the new series since its last remap
            } catch (java.io.IOException | RuntimeException e) {
                log.atDebug().setCause(e).log("registry pages not released");
            }
            db.releaseIdleStagings();   // the idle appenders' staging arrays and WAL buffers go with the collection
        }
        io.tsdb.server.ingest.BodyBuffers.clear();   // the kept body arrays go with the collection (an idle server keeps none)
        System.gc();   // the heap shrinks to MaxHeapFreeRatio at the collection
        trimNativeHeap();
        slack.trimmed(System.currentTimeMillis());
    }

    private static final String DIAGNOSTIC_COMMANDS = "com.sun.management:type=DiagnosticCommand";
    private static final String TRIM_NATIVE_HEAP = "systemTrimNativeHeap";
    /** Whether this JVM has {@code jcmd System.trim_native_heap} (HotSpot 17.0.9 and later); null: not known yet. */
    private Boolean nativeTrim;
    private volatile long nativeTrims;

    /**
     * Asks the C library to give back the native heap memory the JVM freed ({@code jcmd PID System.trim_native_heap},
     * glibc's {@code malloc_trim}): the compiler threads' arenas and other transient native buffers are freed into
     * glibc's per-thread arenas, which keep them (measured under series churn: 24 MB given back by one trim).
     * Nothing happens on a JVM without the command.
     */
    void trimNativeHeap() {
        try {
            javax.management.MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            javax.management.ObjectName name = new javax.management.ObjectName(DIAGNOSTIC_COMMANDS);
            if (nativeTrim == null) {
                nativeTrim = java.util.Arrays.stream(server.getMBeanInfo(name).getOperations())
                        .anyMatch(o -> o.getName().equals(TRIM_NATIVE_HEAP));
                if (!nativeTrim) log.debug("this JVM has no System.trim_native_heap; native memory is not trimmed");
            }
            if (!nativeTrim) return;
            Object out = server.invoke(name, TRIM_NATIVE_HEAP, new Object[]{new String[0]}, new String[]{String[].class.getName()});
            nativeTrims++;
            log.debug("{}", out);
        } catch (javax.management.JMException | RuntimeException e) {
            nativeTrim = false;
            log.atDebug().setCause(e).log("native heap trim failed; not trying again");
        }
    }

    /** Native heap trims done so far. */
    long nativeTrims() { return nativeTrims; }

    /** Cycles requested so far. */
    public long trims() { return trims; }

    @Override public void close() {
        closed = true;
        thread.interrupt();
    }
}
