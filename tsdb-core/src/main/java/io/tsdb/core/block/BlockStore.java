package io.tsdb.core.block;

import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.RetentionRule;
import io.tsdb.core.SeriesSet;
import io.tsdb.core.fs.FileLayer;
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

    private final FileLayer fs;
    private final Path dir;
    private final Object maintenance = new Object();
    private volatile List<Block> blocks;
    private volatile boolean closed;

    /** The kept chunk tails of this store's blocks ({@link ChunkTails}): one bound for the store, shared by nothing else. */
    private final ChunkTails tails;

    /** This store's kept chunk tails (for tests). */
    ChunkTails tails() { return tails; }

    private BlockStore(FileLayer fs, Path dir, List<Block> blocks, ChunkTails tails) {
        this.tails = tails;
        this.fs = fs;
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
        return open(FileLayer.SYSTEM, dir);
    }

    /** As {@link #open(Path)}; blocks are written, compacted and deleted through {@code fs}. */
    public static BlockStore open(FileLayer fs, Path dir) throws IOException {
        fs.createDirectoriesDurably(dir);
        List<BlockMeta> metas = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (name.endsWith(BlockWriter.TMP_SUFFIX) && Files.isDirectory(p)) {
                    LOG.warn("removing incomplete block directory {}", p);
                    BlockFiles.deleteRecursively(fs, p);
                } else if (name.endsWith(Block.DELETING_SUFFIX) && Files.isDirectory(p)) {
                    LOG.info("finishing the deletion of {}", p);
                    BlockFiles.deleteRecursively(fs, p);
                } else if (Ulid.isValid(name) && Files.isDirectory(p)) {
                    metas.add(BlockMeta.read(p));
                } else {
                    LOG.debug("ignoring {}: not a block directory", p);
                }
            }
        }
        Set<String> superseded = superseded(metas);
        ChunkTails tails = new ChunkTails(ChunkTails.MAX_BYTES);
        List<Block> open = new ArrayList<>();
        try {
            for (BlockMeta m : metas) {
                Path p = dir.resolve(m.ulid());
                if (superseded.contains(m.ulid())) {
                    LOG.warn("removing block {} already compacted or rewritten into another block", p);
                    Block.deleteDirectory(fs, p);
                    continue;
                }
                if (m.numSamples() == 0) {
                    LOG.info("removing block {}: it holds no samples (everything in it was deleted)", p);
                    Block.deleteDirectory(fs, p);
                    continue;
                }
                open.add(Block.open(fs, p, tails));
            }
        } catch (IOException | RuntimeException e) {
            for (Block b : open) b.close();
            throw e;
        }
        open.sort(ORDER);
        if (!open.isEmpty()) LOG.info("opened {} blocks in {}", open.size(), dir);
        return new BlockStore(fs, dir, List.copyOf(open), tails);
    }

    /**
     * Ulids of blocks whose data is contained in another block: a block of a higher level whose sources include
     * all of theirs, or a block naming them among its parents (a compaction or a rewrite by {@link BlockRewriter}).
     * They are leftovers of a compaction or rewrite interrupted before it deleted its inputs.
     */
    public static Set<String> superseded(List<BlockMeta> metas) {
        Set<String> out = new HashSet<>();
        for (BlockMeta y : metas) out.addAll(y.parents());
        for (BlockMeta x : metas) {
            for (BlockMeta y : metas) {
                if (x != y && y.level() > x.level() && y.sources().containsAll(x.sources())) { out.add(x.ulid()); break; }
            }
        }
        return out;
    }

    public Path dir() { return dir; }

    /** The file layer blocks are written and deleted through. */
    public FileLayer fileLayer() { return fs; }

    /** Snapshot of the open blocks, sorted by minTime. */
    public List<Block> blocks() { return blocks; }

    public List<BlockMeta> metas() {
        List<BlockMeta> out = new ArrayList<>();
        for (Block b : blocks) out.add(b.meta());
        return out;
    }

    /** Writes a level-1 block (e.g. the head cut at [mint, maxt]) and adds it; returns its meta. */
    public BlockMeta write(SeriesSet series, long mint, long maxt) throws IOException {
        BlockMeta m = new BlockWriter(fs, dir).write(series, mint, maxt);
        add(m.ulid());
        return m;
    }

    /** Opens the block {@code <dir>/<ulid>} (already written there) and adds it. */
    public Block add(String ulid) throws IOException {
        Block b = Block.open(fs, dir.resolve(ulid), tails);
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
                    merged = compactor.compact(fs, dir, group); // holds a reference to each source while reading
                } catch (IllegalStateException e) {
                    if (closed) break; // a source was closed under us by close()
                    throw e;
                }
                Block nb = Block.open(fs, dir.resolve(merged.ulid()), tails);
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

    private void delete(Block b) {
        deleting.add(b);
        try {
            b.markForDeletion();   // deleted now, or when its last querier closes; failures are retried by retryDeletions
        } catch (RuntimeException e) {
            LOG.error("cannot delete block {}", b.dir(), e); // stays on disk; superseded or expired again at the next open
        }
    }

    /** Blocks marked for deletion whose directory may still be on disk (removed from here once deleted). */
    private final java.util.Set<Block> deleting = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * Retries the deletion of blocks marked for deletion whose directory could not be deleted (an I/O error, a full
     * disk); called by the storage's maintenance. Returns how many are still waiting (in use or failing).
     */
    public int retryDeletions() {
        deleting.removeIf(Block::tryDelete);
        return deleting.size();
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

    // ---- deletion, rewrites, snapshots (admin API, retention by selector) ------------------------------

    /**
     * Tombstones the samples in [mint, maxt] of the series matching any of {@code selectors} in every block
     * overlapping the range (each block's tombstones file is replaced durably before this returns); returns the
     * number of (block, series) pairs that got a deleted interval. Queriers created afterwards skip the data.
     */
    public long deleteSeries(List<List<Matcher>> selectors, long mint, long maxt) throws IOException {
        synchronized (maintenance) {
            long n = 0;
            for (Block b : blocks) {
                BlockMeta m = b.meta();
                if (!m.overlaps(mint, maxt)) continue;
                long lo = Math.max(mint, m.minTime()), hi = Math.min(maxt, m.maxTime());
                Tombstones add = matching(b, selectors, lo, hi, lo, hi);
                if (add == null) continue;   // released meanwhile (closed)
                b.addTombstones(add);
                n += add.seriesCount();
            }
            return n;
        }
    }

    /**
     * Tombstones giving the series of {@code b} that match one of {@code selectors} and still have samples in
     * [selectMint, selectMaxt] the deleted interval [deleteMint, deleteMaxt]; null when the block is released.
     */
    private static Tombstones matching(Block b, List<List<Matcher>> selectors, long selectMint, long selectMaxt,
                                       long deleteMint, long deleteMaxt) {
        if (!b.tryAcquire()) return null;
        Tombstones.Builder tb = new Tombstones.Builder();
        try (BlockQuerier q = new BlockQuerier(b, selectMint, selectMaxt)) {   // close() returns the reference
            for (List<Matcher> sel : selectors) {
                org.roaringbitmap.IntIterator it = q.selected(sel).getIntIterator();
                while (it.hasNext()) tb.add(it.next(), deleteMint, deleteMaxt);
            }
        }
        return tb.build();
    }

    /** Whether some block has deleted intervals not yet cleaned. */
    public boolean hasTombstones() {
        for (Block b : blocks) if (!b.tombstones().isEmpty()) return true;
        return false;
    }

    /**
     * Rewrites every block that has tombstones without the deleted data ({@link BlockRewriter}); returns how many
     * blocks were rewritten. Running queries keep reading the old blocks until they close.
     */
    public int cleanTombstones() throws IOException {
        synchronized (maintenance) {
            int n = 0;
            for (Block b : blocks) {
                if (closed) break;
                if (b.tombstones().isEmpty()) continue;
                rewrite(b, Tombstones.EMPTY, "tombstones cleaned");
                n++;
            }
            return n;
        }
    }

    /**
     * Retention by selector: in every block whose whole time range is older than {@code nowMs} minus a rule's
     * retention, the series matching that rule are removed by rewriting the block (blocks older than the default
     * retention are deleted whole by {@link #applyRetention}). Returns how many blocks were rewritten.
     */
    public int applyRetentionRules(List<RetentionRule> rules, long nowMs) throws IOException {
        if (rules.isEmpty()) return 0;
        synchronized (maintenance) {
            int n = 0;
            for (Block b : blocks) {
                if (closed) break;
                BlockMeta m = b.meta();
                List<List<Matcher>> expired = new ArrayList<>();
                List<String> names = new ArrayList<>();
                for (RetentionRule r : rules) {
                    if (m.maxTime() < nowMs - r.retention().toMillis()) { expired.add(r.matchers()); names.add(r.text()); }
                }
                if (expired.isEmpty()) continue;
                Tombstones drop = matching(b, expired, m.minTime(), m.maxTime(), m.minTime(), m.maxTime());
                if (drop == null || drop.isEmpty()) continue;
                rewrite(b, drop, "retention rules " + names + " expired " + drop.seriesCount() + " series");
                n++;
            }
            return n;
        }
    }

    /** Writes {@code b} without its deleted data and {@code extra}, swaps the copy in, deletes {@code b} (maintenance lock held). */
    private void rewrite(Block b, Tombstones extra, String why) throws IOException {
        BlockMeta nm;
        try {
            nm = new BlockRewriter(fs, dir).rewrite(b, extra);
        } catch (IllegalStateException e) {
            if (closed) return;
            throw e;
        }
        Block nb = nm.numSamples() == 0 ? null : Block.open(fs, dir.resolve(nm.ulid()), tails);
        synchronized (this) {
            if (closed) {
                if (nb != null) nb.close();   // both on disk: the next open keeps the new one (its parent is the old)
                return;
            }
            List<Block> next = new ArrayList<>(blocks);
            next.remove(b);
            if (nb != null) next.add(nb);
            next.sort(ORDER);
            blocks = List.copyOf(next);
        }
        fs.crashPoint("rewrite.swapped");
        delete(b);
        if (nb == null) Block.deleteDirectory(fs, dir.resolve(nm.ulid()));
        LOG.info("rewrote block {} as {} ({}): {} -> {} samples", b.meta().ulid(), nb == null ? "(nothing left)" : nm.ulid(),
                why, b.meta().numSamples(), nm.numSamples());
    }

    /**
     * Hard-links every block into {@code target} (one directory per block, files linked, directories fsynced), for
     * a snapshot; returns the ulids linked. Blocks are referenced while linked, so none is deleted under the copy,
     * and compaction, retention and deletions wait until it is done.
     */
    public List<String> linkTo(Path target) throws IOException {
        synchronized (maintenance) {
            Files.createDirectories(target);
            List<String> out = new ArrayList<>();
            for (Block b : blocks) {
                if (!b.tryAcquire()) continue;
                try {
                    Path dst = target.resolve(b.meta().ulid());
                    BlockFiles.linkTree(b.dir(), dst, TombstonesFormat.TMP_FILE);
                    out.add(b.meta().ulid());
                } finally {
                    b.release();
                }
            }
            BlockFiles.fsyncDir(target);
            return out;
        }
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
