package io.tsdb.core.db;

import io.tsdb.core.Querier;
import io.tsdb.core.block.Block;
import io.tsdb.core.block.BlockMeta;
import io.tsdb.core.block.BlockStore;
import io.tsdb.core.block.BlockWriter;
import io.tsdb.core.block.Compactor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The persisted blocks of a database ({@code <data>/blocks/<ulid>/}), oldest first. The list is
 * copy-on-write: readers take a snapshot; blocks are reference counted so retention never deletes files
 * under a running query.
 */
final class BlockSet implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BlockSet.class);

    private final Path dir;
    private volatile List<Block> blocks = List.of();
    private volatile boolean closed;

    BlockSet(Path dir) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir);
        List<Block> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.sorted().toList()) {
                String name = p.getFileName().toString();
                if (!Files.isDirectory(p)) continue;
                if (name.endsWith(BlockWriter.TMP_SUFFIX)) {
                    log.info("removing incomplete block directory {}", p);
                    deleteTree(p);
                    continue;
                }
                if (name.contains(".")) continue;
                try {
                    out.add(Block.open(p));
                } catch (IOException | RuntimeException e) {
                    log.error("cannot open block {}: {}; it is ignored", p, e.toString());
                }
            }
        }
        // a crash between a compaction's new block becoming durable and the deletion of its sources
        Set<String> superseded = BlockStore.superseded(out.stream().map(Block::meta).toList());
        List<Block> live = new ArrayList<>();
        for (Block b : out) {
            if (superseded.contains(b.meta().ulid())) {
                log.info("removing block {}: already compacted into a larger block", b.dir());
                b.markForDeletion();
            } else {
                live.add(b);
            }
        }
        out = live;
        out.sort(Comparator.comparingLong((Block b) -> b.meta().minTime()).thenComparing(b -> b.meta().ulid()));
        blocks = List.copyOf(out);
        if (!out.isEmpty()) log.info("opened {} blocks in {}", out.size(), dir);
    }

    Path dir() { return dir; }

    List<Block> snapshot() { return blocks; }

    synchronized void add(Block b) {
        List<Block> l = new ArrayList<>(blocks);
        l.add(b);
        l.sort(Comparator.comparingLong((Block x) -> x.meta().minTime()).thenComparing(x -> x.meta().ulid()));
        blocks = List.copyOf(l);
    }

    /** Deletes blocks entirely older than {@code cutoff} (once no querier uses them); returns how many. */
    synchronized int applyRetention(long cutoff) {
        List<Block> keep = new ArrayList<>();
        List<Block> drop = new ArrayList<>();
        for (Block b : blocks) (b.meta().maxTime() < cutoff ? drop : keep).add(b);
        if (drop.isEmpty()) return 0;
        blocks = List.copyOf(keep);
        for (Block b : drop) {
            log.info("retention: deleting block {} ({}..{})", b.meta().ulid(), b.meta().minTime(), b.meta().maxTime());
            try {
                b.markForDeletion();
            } catch (RuntimeException e) {
                log.error("cannot delete block {}", b.dir(), e);
            }
        }
        return drop.size();
    }

    /**
     * Queriers of the blocks overlapping [mint, maxt], oldest-created first (later blocks win on equal
     * timestamps in a merge). A block released between taking the snapshot and opening its querier was
     * replaced by compaction or expired: the snapshot is taken again, so no compacted data goes missing.
     */
    List<Querier> queriers(long mint, long maxt) {
        while (true) {
            List<Block> snap = blocks;
            List<Block> acquired = new ArrayList<>();
            boolean ok = true;
            for (Block b : snap) {
                if (!b.meta().overlaps(mint, maxt)) continue;
                if (!b.tryAcquire()) { ok = false; break; }
                acquired.add(b);
            }
            if (ok) {
                acquired.sort(Comparator.comparing(b -> b.meta().ulid()));
                List<Querier> out = new ArrayList<>(acquired.size());
                for (Block b : acquired) {
                    Querier q = b.querier(mint, maxt); // takes its own reference
                    b.release();
                    out.add(q);
                }
                return out;
            }
            for (Block b : acquired) b.release();
            if (closed) return new ArrayList<>();
        }
    }

    /**
     * Runs the compactions {@code compactor} plans until none is due; returns how many blocks were written.
     * The merged block is durable before its sources leave the list; sources are deleted once no querier
     * uses them. Called from the maintenance thread only.
     */
    int compact(Compactor compactor) throws IOException {
        int done = 0;
        while (!closed) {
            List<BlockMeta> plan = compactor.plan(blocks.stream().map(Block::meta).toList());
            if (plan.isEmpty()) break;
            Set<String> ids = new HashSet<>();
            for (BlockMeta m : plan) ids.add(m.ulid());
            List<Block> group = new ArrayList<>();
            for (Block b : blocks) if (ids.contains(b.meta().ulid())) group.add(b);
            BlockMeta merged = compactor.compact(dir, group);
            Block nb = Block.open(dir.resolve(merged.ulid()));
            synchronized (this) {
                if (closed) { nb.close(); break; } // sources are superseded: removed on the next open
                List<Block> l = new ArrayList<>(blocks);
                l.removeAll(group);
                l.add(nb);
                l.sort(Comparator.comparingLong((Block x) -> x.meta().minTime()).thenComparing(x -> x.meta().ulid()));
                blocks = List.copyOf(l);
            }
            for (Block b : group) b.markForDeletion();
            log.info("compacted {} blocks into {} (level {}, {}..{}, {} series, {} samples)", group.size(), merged.ulid(),
                    merged.level(), merged.minTime(), merged.maxTime(), merged.numSeries(), merged.numSamples());
            done++;
        }
        return done;
    }

    long samples() {
        long n = 0;
        for (Block b : blocks) n += b.meta().numSamples();
        return n;
    }

    long bytes() {
        long n = 0;
        for (Block b : blocks) {
            try {
                n += b.sizeBytes();
            } catch (RuntimeException e) {
                // deleted concurrently
            }
        }
        return n;
    }

    BlockMeta newest() {
        List<Block> l = blocks;
        BlockMeta m = null;
        for (Block b : l) if (m == null || b.meta().maxTime() > m.maxTime()) m = b.meta();
        return m;
    }

    private static void deleteTree(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(x);
        }
    }

    @Override public synchronized void close() {
        closed = true;
        for (Block b : blocks) {
            try {
                b.close();
            } catch (RuntimeException e) {
                log.warn("closing block {}: {}", b.dir(), e.toString());
            }
        }
        blocks = List.of();
    }
}
