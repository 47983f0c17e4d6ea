package io.tsdb.core.db;

import io.tsdb.core.Querier;
import io.tsdb.core.block.Block;
import io.tsdb.core.block.BlockMeta;
import io.tsdb.core.block.BlockWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
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

    /** Queriers of the blocks overlapping [mint, maxt]; blocks deleted meanwhile are skipped. */
    static List<Querier> queriers(List<Block> blocks, long mint, long maxt) {
        List<Querier> out = new ArrayList<>();
        for (Block b : blocks) {
            if (!b.meta().overlaps(mint, maxt)) continue;
            try {
                out.add(b.querier(mint, maxt));
            } catch (IllegalStateException e) {
                // deleted by retention after the snapshot was taken: its data is expired
            }
        }
        return out;
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
