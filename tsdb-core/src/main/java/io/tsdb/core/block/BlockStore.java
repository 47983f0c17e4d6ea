package io.tsdb.core.block;

import io.tsdb.core.Querier;
import io.tsdb.core.SeriesSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The one manager of a block directory ({@code <data>/blocks/}): opening (crash cleanup and validation),
 * adding blocks cut from the head, queriers over the blocks overlapping a time range, compaction and
 * retention. Thread-safe: the block list is an immutable snapshot swapped atomically (readers never lock);
 * compaction and retention run one at a time; blocks are reference counted, so a block replaced by
 * compaction or expired by retention is unmapped and deleted only when the last querier using it closes
 * (see {@link Block#markForDeletion()}). {@link #close()} does not wait for a running compaction: a
 * compaction finishing after it leaves its sources on disk, superseded, and the next {@link #open} removes them.
 */
public final class BlockStore implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BlockStore.class);
    private static final Comparator<Block> ORDER = Comparator.comparingLong((Block b) -> b.meta().minTime()).thenComparing(b -> b.meta().ulid());

    private final Path dir;
    private final Object maintenance = new Object();
    private volatile List<Block> blocks;
    private volatile boolean closed;

    private BlockStore(Path dir, List<Block> blocks) {
        this.dir = dir;
        this.blocks = blocks;
    }

    /**
     * Opens every block in {@code dir}. Leftovers of interrupted writes ({@code *.tmp}) are removed, and so are
     * blocks superseded by a compacted block that was made durable before a crash (a block whose sources are
     * all contained in a block of a higher level).
     * Entries that are neither {@code <ULID>} nor {@code *.tmp} directories are left alone.
     * @throws CorruptBlockException if a block fails validation (meta.json, index, chunk headers; the message
     *         names file and section): the store does not open rather than silently serve partial data
     */
    public static BlockStore open(Path dir) throws IOException {
        Files.createDirectories(dir);
        List<BlockMeta> metas = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (name.endsWith(BlockWriter.TMP_SUFFIX) && Files.isDirectory(p)) {
                    LOG.warn("removing incomplete block directory {}", p);
                    BlockFiles.deleteRecursively(p);
                } else if (Ulid.isValid(name) && Files.isDirectory(p)) {
                    metas.add(BlockMeta.read(p));
                } else {
                    LOG.debug("ignoring {}: not a block directory", p);
                }
            }
        }
        Set<String> superseded = superseded(metas);
        List<Block> open = new ArrayList<>();
        try {
            for (BlockMeta m : metas) {
                Path p = dir.resolve(m.ulid());
                if (superseded.contains(m.ulid())) {
                    LOG.warn("removing block {} already compacted into a larger block", p);
                    BlockFiles.deleteRecursively(p);
                    continue;
                }
                open.add(Block.open(p));
            }
        } catch (IOException | RuntimeException e) {
            for (Block b : open) b.close();
            throw e;
        }
        open.sort(ORDER);
        if (!open.isEmpty()) LOG.info("opened {} blocks in {}", open.size(), dir);
        return new BlockStore(dir, List.copyOf(open));
    }

    /**
     * Ulids of blocks whose data is contained in a block of a higher level (all their sources are among its
     * sources): leftovers of a compaction interrupted before it deleted its inputs.
     */
    public static Set<String> superseded(List<BlockMeta> metas) {
        Set<String> out = new HashSet<>();
        for (BlockMeta x : metas) {
            for (BlockMeta y : metas) {
                if (x != y && y.level() > x.level() && y.sources().containsAll(x.sources())) { out.add(x.ulid()); break; }
            }
        }
        return out;
    }

    public Path dir() { return dir; }

    /** Snapshot of the open blocks, sorted by minTime. */
    public List<Block> blocks() { return blocks; }

    public List<BlockMeta> metas() {
        List<BlockMeta> out = new ArrayList<>();
        for (Block b : blocks) out.add(b.meta());
        return out;
    }

    /** Writes a level-1 block (e.g. the head cut at [mint, maxt]) and adds it; returns its meta. */
    public BlockMeta write(SeriesSet series, long mint, long maxt) throws IOException {
        BlockMeta m = new BlockWriter(dir).write(series, mint, maxt);
        add(m.ulid());
        return m;
    }

    /** Opens the block {@code <dir>/<ulid>} (already written there) and adds it. */
    public Block add(String ulid) throws IOException {
        Block b = Block.open(dir.resolve(ulid));
        synchronized (this) {
            if (closed) { b.close(); throw new IllegalStateException("block store closed"); }
            List<Block> next = new ArrayList<>(blocks);
            next.add(b);
            next.sort(ORDER);
            blocks = List.copyOf(next);
        }
        return b;
    }

    /**
     * Queriers over the blocks overlapping [mint, maxt], in merge priority order (oldest created first), each
     * holding a reference to its block until closed. The caller closes them (e.g. via {@link MergeQuerier}).
     */
    public List<Querier> queriers(long mint, long maxt) {
        while (true) {
            List<Block> snap = blocks;
            List<Block> acquired = new ArrayList<>();
            boolean ok = true;
            for (Block b : snap) {
                if (!b.meta().overlaps(mint, maxt)) continue;
                if (!b.tryAcquire()) { ok = false; break; }
                acquired.add(b);
            }
            if (!ok) {
                // lost a race with compaction/retention: the replacement list is already published
                for (Block b : acquired) b.release();
                if (closed) throw new IllegalStateException("block store closed");
                continue;
            }
            acquired.sort(Comparator.comparing(b -> b.meta().ulid()));
            List<Querier> out = new ArrayList<>(acquired.size());
            for (Block b : acquired) out.add(b.querierAcquired(mint, maxt));
            return out;
        }
    }

    /** A querier merging all blocks overlapping [mint, maxt]. */
    public Querier querier(long mint, long maxt) { return new MergeQuerier(queriers(mint, maxt)); }

    /**
     * Runs compactions planned by {@code compactor} until none is due; returns how many blocks were written.
     * Each new block is durable before its sources are removed from the list and marked for deletion.
     */
    public int compact(Compactor compactor) throws IOException {
        synchronized (maintenance) {
            int done = 0;
            while (!closed) {
                List<BlockMeta> plan = compactor.plan(metas());
                if (plan.isEmpty()) break;
                Set<String> ids = new HashSet<>();
                for (BlockMeta m : plan) ids.add(m.ulid());
                List<Block> group = new ArrayList<>();
                for (Block b : blocks) if (ids.contains(b.meta().ulid())) group.add(b);
                BlockMeta merged;
                try {
                    merged = compactor.compact(dir, group); // holds a reference to each source while reading
                } catch (IllegalStateException e) {
                    if (closed) break; // a source was closed under us by close()
                    throw e;
                }
                Block nb = Block.open(dir.resolve(merged.ulid()));
                synchronized (this) {
                    if (closed) { nb.close(); break; } // sources are superseded: removed by the next open
                    List<Block> next = new ArrayList<>(blocks);
                    next.removeAll(group);
                    next.add(nb);
                    next.sort(ORDER);
                    blocks = List.copyOf(next);
                }
                for (Block b : group) delete(b);
                LOG.info("compacted {} blocks into {} (level {}, {}..{}, {} series, {} samples)", group.size(), merged.ulid(),
                        merged.level(), merged.minTime(), merged.maxTime(), merged.numSeries(), merged.numSamples());
                done++;
            }
            return done;
        }
    }

    private static void delete(Block b) {
        try {
            b.markForDeletion();
        } catch (RuntimeException e) {
            LOG.error("cannot delete block {}", b.dir(), e); // stays on disk; superseded or expired again at the next open
        }
    }

    /**
     * Deletes blocks whose maxTime is older than {@code nowMs - retentionMs} (blocks still in use are deleted
     * when their last querier closes); returns how many were removed from the store.
     */
    public int applyRetention(long nowMs, long retentionMs) {
        long cutoff = nowMs - retentionMs;
        synchronized (maintenance) {
            List<Block> expired = new ArrayList<>();
            synchronized (this) {
                List<Block> next = new ArrayList<>();
                for (Block b : blocks) (b.meta().maxTime() < cutoff ? expired : next).add(b);
                if (expired.isEmpty()) return 0;
                blocks = List.copyOf(next);
            }
            for (Block b : expired) {
                LOG.info("retention: deleting block {} ({}..{}, maxTime < {})", b.meta().ulid(), b.meta().minTime(), b.meta().maxTime(), cutoff);
                delete(b);
            }
            return expired.size();
        }
    }

    /**
     * The union of the storage-wide series ids of every block, or null when a block does not record them
     * (index version 1, or a series whose id was unknown when the block was written).
     */
    public org.roaringbitmap.RoaringBitmap seriesIds() {
        org.roaringbitmap.RoaringBitmap out = new org.roaringbitmap.RoaringBitmap();
        for (Block b : blocks) {
            if (!b.tryAcquire()) continue;   // deleted meanwhile by retention or compaction
            try {
                if (!b.addSeriesIds(out)) return null;
            } finally {
                b.release();
            }
        }
        return out;
    }

    /** Highest storage-wide series id recorded by any block, or -1. */
    public int maxSeriesId() {
        org.roaringbitmap.RoaringBitmap ids = seriesIds();
        return ids == null || ids.isEmpty() ? -1 : ids.last();
    }

    /** Oldest sample time over all blocks (Long.MAX_VALUE when there is none). */
    public long minTime() {
        long m = Long.MAX_VALUE;
        for (Block b : blocks) m = Math.min(m, b.meta().minTime());
        return m;
    }

    /** Newest sample time over all blocks (Long.MIN_VALUE when there is none). */
    public long maxTime() {
        long m = Long.MIN_VALUE;
        for (Block b : blocks) m = Math.max(m, b.meta().maxTime());
        return m;
    }

    /** Total bytes on disk of the open blocks. */
    public long sizeBytes() {
        long n = 0;
        for (Block b : blocks) {
            try {
                n += b.sizeBytes();
            } catch (RuntimeException e) {
                // deleted concurrently by retention or compaction
            }
        }
        return n;
    }

    public long numSamples() {
        long n = 0;
        for (Block b : blocks) n += b.meta().numSamples();
        return n;
    }

    /**
     * Closes all blocks (files stay); queriers still open keep their blocks mapped until closed. Later
     * {@link #queriers}/{@link #add} calls throw {@link IllegalStateException}.
     */
    @Override public void close() {
        List<Block> old;
        synchronized (this) {
            if (closed) return;
            closed = true;
            old = blocks;
            blocks = List.of();
        }
        for (Block b : old) {
            try {
                b.close();
            } catch (RuntimeException e) {
                LOG.warn("closing block {}: {}", b.dir(), e.toString());
            }
        }
    }
}
