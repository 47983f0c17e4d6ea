package io.tsdb.core.block;

import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.fs.FaultInjectingFileLayer;
import io.tsdb.core.fs.FaultInjectingFileLayer.Op;
import io.tsdb.core.testing.MemStorage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Every file operation of a block write, a compaction and a block deletion fails once, in turn (each operation
 * type at each of its calls, counted in a fault-free run first): the writer throws, the previous consistent state
 * stays (the store's blocks and their data, nothing half-written left in the directory, also after a simulated
 * power loss), and the same work succeeds once the fault is gone.
 */
class BlockWriteFaultTest {
    static final long H = Compactor.HOUR_MS;
    static final List<Matcher> ALL = List.of(Matcher.re("__name__", ".+"));
    static final Op[] OPS = {Op.MKDIR, Op.OPEN, Op.WRITE, Op.FSYNC, Op.FSYNC_DIR, Op.RENAME, Op.DELETE};
    static final AtomicInteger CASES = new AtomicInteger();
    @TempDir Path tmp;

    @AfterAll static void report() {
        System.out.println("BlockWriteFaultTest: " + CASES.get() + " injected-fault cases run");
    }

    static String under(Path dir) { return Pattern.quote(dir.toAbsolutePath().normalize().toString()); }

    static BlockMeta write(BlockStore store, MemStorage mem, long a, long z) throws IOException {
        try (Querier q = mem.querier(a, z)) {
            return store.write(q.select(List.of()), a, z);
        }
    }

    /** Names in the directory (ignoring nothing: a leftover .tmp or .deleting directory is a failure). */
    static Set<String> entries(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    /** Calls per operation type that {@code work} makes on {@code store}'s layer, without faults. */
    static Map<Op, Long> dryRun(FaultInjectingFileLayer fs, IoWork work) throws Exception {
        Map<Op, Long> before = new TreeMap<>();
        for (Op op : OPS) before.put(op, fs.calls(op));
        work.run();
        Map<Op, Long> m = new TreeMap<>();
        for (Op op : OPS) m.put(op, fs.calls(op) - before.get(op));
        return m;
    }

    interface IoWork { void run() throws Exception; }

    @Test void blockWriteFailingAtAnyFileOperationLeavesNoBlockAndNoDebris() throws Exception {
        MemStorage mem = BlockTestData.randomStorage(11, 30, 0, 2 * H - 1);
        MemStorage later = BlockTestData.randomStorage(12, 30, 2 * H, 2 * H - 1);
        Path base = tmp.resolve("base");
        String first;
        try (BlockStore store = BlockStore.open(base)) {
            first = write(store, mem, 0, 2 * H - 1).ulid();
        }
        Path work = tmp.resolve("work");
        Map<Op, Long> calls;
        copy(base, work);
        FaultInjectingFileLayer dry = new FaultInjectingFileLayer();
        try (BlockStore store = BlockStore.open(dry, work)) {
            calls = dryRun(dry, () -> write(store, later, 2 * H, 4 * H - 1));
        }
        System.out.println("block write: file operations per type " + calls);
        int cases = 0;
        for (Op op : OPS) {
            for (int k = 0; k < calls.get(op); k++) {
                delete(work);
                copy(base, work);
                FaultInjectingFileLayer fs = new FaultInjectingFileLayer();
                try (BlockStore store = BlockStore.open(fs, work)) {
                    FaultInjectingFileLayer.Rule rule = fs.on(op, under(work)).skip(k);
                    String what = op + " #" + k;
                    try {
                        write(store, later, 2 * H, 4 * H - 1);
                        fail(what + ": the write succeeded");
                    } catch (IOException expected) {
                        assertEquals(1, rule.fired(), what);
                    }
                    cases++;
                    assertEquals(List.of(first), ulids(store), what + ": the store is unchanged");
                    assertEquals(Set.of(first), entries(work), what + ": nothing half-written is left");
                    assertSame(mem, store, 0, 2 * H - 1, what);
                    fs.clear();
                    write(store, later, 2 * H, 4 * H - 1);   // works once the fault is gone
                    assertEquals(2, store.blocks().size(), what);
                    assertSame(later, store, 2 * H, 4 * H - 1, what);
                }
                fs.powerLoss();   // what the successful write made durable survives
                try (BlockStore store = BlockStore.open(work)) {
                    assertEquals(2, store.blocks().size(), op + " #" + k + " after a power loss: " + entries(work));
                    assertSame(later, store, 2 * H, 4 * H - 1, op + " #" + k + " after a power loss");
                }
            }
        }
        CASES.addAndGet(cases);
        assertTrue(cases >= 20, "cases: " + cases);
    }

    /**
     * Power loss right after a failed write: whatever the failure left (a renamed block whose directory fsync failed,
     * a temporary directory) the store opens with its previous blocks and nothing half-written.
     */
    @Test void powerLossAfterAFailedBlockWriteLeavesTheStoreOpenable() throws Exception {
        MemStorage mem = BlockTestData.randomStorage(13, 20, 0, 2 * H - 1);
        int cases = 0;
        for (Op op : new Op[]{Op.FSYNC, Op.FSYNC_DIR, Op.RENAME, Op.DELETE}) {
            for (int k = 0; k < 4; k++) {
                Path work = tmp.resolve("p-" + op + "-" + k);
                FaultInjectingFileLayer fs = new FaultInjectingFileLayer();
                try (BlockStore store = BlockStore.open(fs, work)) {
                    fs.fsyncDirectory(work.getParent());
                    fs.fsyncDirectory(work);
                    fs.on(op, under(work)).skip(k).always();
                    try {
                        write(store, mem, 0, 2 * H - 1);
                    } catch (IOException expected) {
                        // the usual outcome
                    }
                }
                if (fs.injected() == 0) continue;
                cases++;
                fs.powerLoss();
                try (BlockStore store = BlockStore.open(work)) {
                    for (String e : entries(work)) assertTrue(Ulid.isValid(e), op + " #" + k + ": leftover " + e);
                    if (!store.blocks().isEmpty()) assertSame(mem, store, 0, 2 * H - 1, op + " #" + k);
                }
            }
        }
        CASES.addAndGet(cases);
    }

    @Test void compactionFailingAtAnyFileOperationKeepsItsSources() throws Exception {
        MemStorage mem = BlockTestData.randomStorage(21, 25, 0, 6 * H - 1);
        Path base = tmp.resolve("base");
        List<String> sources;
        try (BlockStore store = BlockStore.open(base)) {
            for (int i = 0; i < 3; i++) write(store, mem, i * 2 * H, (i + 1) * 2 * H - 1);
            sources = ulids(store);
        }
        Compactor compactor = new Compactor(2 * H, 6 * H);
        Path work = tmp.resolve("work");
        Map<Op, Long> calls;
        copy(base, work);
        FaultInjectingFileLayer dry = new FaultInjectingFileLayer();
        try (BlockStore store = BlockStore.open(dry, work)) {
            calls = dryRun(dry, () -> assertEquals(1, store.compact(compactor)));
        }
        System.out.println("compaction: file operations per type " + calls);
        int cases = 0;
        for (Op op : OPS) {
            for (int k = 0; k < calls.get(op); k++) {
                delete(work);
                copy(base, work);
                FaultInjectingFileLayer fs = new FaultInjectingFileLayer();
                String what = op + " #" + k;
                try (BlockStore store = BlockStore.open(fs, work)) {
                    fs.on(op, under(work)).skip(k);
                    boolean failed;
                    try {
                        store.compact(compactor);
                        failed = false;
                    } catch (IOException expected) {
                        failed = true;
                    }
                    cases++;
                    assertEquals(1, fs.injected(), what);
                    assertSame(mem, store, 0, 6 * H - 1, what + " (compaction " + (failed ? "failed" : "succeeded") + ")");
                    if (failed) {
                        assertEquals(sources, ulids(store), what + ": the sources are still the store's blocks");
                        assertEquals(new TreeSet<>(sources), entries(work), what + ": nothing half-written is left");
                        fs.clear();
                        assertEquals(1, store.compact(compactor), what + ": compacts once the fault is gone");
                    }
                    // a failure while deleting the sources: the merged block is in use, leftovers go at the next open
                    assertEquals(1, store.blocks().size(), what);
                    assertSame(mem, store, 0, 6 * H - 1, what);
                }
                try (BlockStore store = BlockStore.open(work)) {
                    assertEquals(1, store.blocks().size(), what + ": " + entries(work));
                    assertEquals(1, entries(work).size(), what + ": leftovers removed at open: " + entries(work));
                    assertSame(mem, store, 0, 6 * H - 1, what + " after reopening");
                }
            }
        }
        CASES.addAndGet(cases);
        assertTrue(cases >= 20, "cases: " + cases);
    }

    /** A deletion (retention) that fails halfway leaves a *.deleting directory, never a half-deleted block. */
    @Test void deletionFailingHalfwayNeverLeavesAHalfDeletedBlock() throws Exception {
        MemStorage old = BlockTestData.randomStorage(31, 10, 0, 2 * H - 1);
        MemStorage mem = BlockTestData.randomStorage(32, 10, 2 * H, 2 * H - 1);   // every series has samples in its block
        int cases = 0;
        for (int k = 0; k < 6; k++) {
            Path work = tmp.resolve("d" + k);
            FaultInjectingFileLayer fs = new FaultInjectingFileLayer();
            try (BlockStore store = BlockStore.open(fs, work)) {
                write(store, old, 0, 2 * H - 1);
                String keep = write(store, mem, 2 * H, 4 * H - 1).ulid();
                fs.on(Op.DELETE, under(work)).skip(k);
                assertEquals(1, store.applyRetention(4 * H + 10 * H, 12 * H));   // the first block expired
                assertEquals(List.of(keep), ulids(store));
                if (fs.injected() > 0) cases++;
            }
            try (BlockStore store = BlockStore.open(work)) {
                assertEquals(1, store.blocks().size(), entries(work).toString());
                assertEquals(1, entries(work).size(), "the partly deleted directory was removed at open: " + entries(work));
                assertSame(mem, store, 2 * H, 4 * H - 1, "delete #" + k);
            }
        }
        assertEquals(5, cases, "meta.json, index, the chunk segment, chunks/ and the directory itself");
        CASES.addAndGet(cases);
    }

    static List<String> ulids(BlockStore store) {
        List<String> out = new ArrayList<>();
        for (BlockMeta m : store.metas()) out.add(m.ulid());
        return out;
    }

    static void assertSame(MemStorage mem, BlockStore store, long a, long z, String what) {
        try (Querier exp = mem.querier(a, z); Querier act = store.querier(a, z)) {
            BlockTestData.assertSameSeries(exp, act, ALL);
        } catch (AssertionError e) {
            throw new AssertionError(what + ": " + e.getMessage(), e);
        }
    }

    static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else Files.copy(p, t);
            }
        }
    }

    static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
