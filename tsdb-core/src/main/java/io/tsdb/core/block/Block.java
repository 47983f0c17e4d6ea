package io.tsdb.core.block;

import io.tsdb.core.fs.FileLayer;
import io.tsdb.core.Labels;
import io.tsdb.core.Querier;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToIntFunction;
import org.roaringbitmap.RoaringBitmap;

/**
 * An open, immutable on-disk block: meta.json, memory-mapped index and chunk segments.
 *
 * <p>Lifetime is reference counted. The opener holds one reference; every {@link #querier} takes another
 * and returns it on {@link Querier#close()}. {@link #close()} drops the opener's reference;
 * {@link #markForDeletion()} drops it and arranges for the directory to be deleted once the last querier
 * is closed, so compaction and retention never pull files out from under a running query. When the last
 * reference is returned the index and chunk files are unmapped at once (not left to the garbage collector),
 * before a block marked for deletion is deleted.
 */
public final class Block implements AutoCloseable {
    /** Suffix of a block directory being deleted: renamed first, so a partly deleted block is never opened as one. */
    public static final String DELETING_SUFFIX = ".deleting";

    private final FileLayer fs;
    private final Path dir;
    private final BlockMeta meta;
    private final IndexReader index;
    private final ChunksReader chunks;
    private final AtomicInteger refs = new AtomicInteger(1);
    private volatile boolean deleteOnRelease;
    private volatile boolean deleted;
    private volatile boolean unmapped;
    private volatile long sizeBytes = -1;
    /** Deleted intervals (replaced, never mutated, by {@link #addTombstones}); queriers read it once when created. */
    private volatile Tombstones tombstones;
    /** The kept chunk tails this block reads through (its store's), and its number there. */
    private final ChunkTails tails;
    private final long instance;

    private Block(FileLayer fs, Path dir, BlockMeta meta, IndexReader index, ChunksReader chunks, Tombstones tombstones, ChunkTails tails) {
        this.tails = tails;
        this.instance = tails.newBlock();
        this.fs = fs;
        this.dir = dir;
        this.meta = meta;
        this.index = index;
        this.chunks = chunks;
        this.tombstones = tombstones;
    }

    /**
     * Opens a block directory, validating meta.json, the index (header, TOC and every section checksum) and
     * the chunk segment headers.
     * @throws CorruptBlockException naming the file and section that failed validation
     */
    public static Block open(Path dir) throws IOException {
        return open(FileLayer.SYSTEM, dir);
    }

    /** As {@link #open(Path)}; the block's directory is deleted through {@code fs} when marked for deletion. */
    public static Block open(FileLayer fs, Path dir) throws IOException {
        return open(fs, dir, new ChunkTails(ChunkTails.MAX_BYTES));
    }

    /** As {@link #open(FileLayer, Path)}, keeping chunk tails in {@code tails} (its store's). */
    static Block open(FileLayer fs, Path dir, ChunkTails tails) throws IOException {
        BlockMeta meta = BlockMeta.read(dir);
        if (!dir.getFileName().toString().equals(meta.ulid())) {
            throw new CorruptBlockException(dir.resolve(BlockMeta.FILE), "ulid", "ulid " + meta.ulid() + " does not match directory name");
        }
        IndexReader index = IndexReader.open(dir.resolve(BlockIndexFormat.FILE));
        try {
            if (index.numSeries() != meta.numSeries()) {
                throw new CorruptBlockException(dir.resolve(BlockIndexFormat.FILE), BlockIndexFormat.TOC,
                        "index has " + index.numSeries() + " series, meta.json says " + meta.numSeries());
            }
            ChunksReader chunks = new ChunksReader(dir);
            Files.deleteIfExists(dir.resolve(TombstonesFormat.TMP_FILE));   // a tombstones write cut short by a crash
            Tombstones ts = Tombstones.read(dir);
            if (!ts.isEmpty() && ts.seriesAt(ts.seriesCount() - 1) >= index.numSeries()) {
                throw new CorruptBlockException(dir.resolve(TombstonesFormat.FILE), TombstonesFormat.ENTRIES,
                        "series id " + ts.seriesAt(ts.seriesCount() - 1) + " beyond the index's " + index.numSeries() + " series");
            }
            return new Block(fs, dir, meta, index, chunks, ts, tails);
        } catch (IOException | RuntimeException e) {
            index.unmap();
            throw e;
        }
    }

    public BlockMeta meta() { return meta; }
    public Path dir() { return dir; }

    /** The block's deleted intervals (see {@link Tombstones}); empty for most blocks. */
    public Tombstones tombstones() { return tombstones; }

    /**
     * Adds deleted intervals: the tombstones file is replaced atomically and durably, then queriers created
     * from now on skip them (running ones keep what they saw). The caller serialises calls (BlockStore).
     */
    synchronized void addTombstones(Tombstones more) throws IOException {
        if (more.isEmpty()) return;
        Tombstones merged = tombstones.merge(more);
        merged.write(fs, dir);
        tombstones = merged;
    }
    IndexReader index() { return index; }
    ChunksReader chunks() { return chunks; }

    /** Bytes on disk: index + chunks + meta.json (measured once; blocks are immutable). */
    public long sizeBytes() {
        long s = sizeBytes;
        if (s < 0) {
            try {
                s = BlockFiles.sizeRecursively(dir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            sizeBytes = s;
        }
        return s;
    }

    private record IdMap(ToIntFunction<Labels> resolver, int[] ids) {}
    private volatile IdMap idMap;

    /**
     * Storage-wide id of each of this block's series (index = block series id, -1 when {@code resolver} has
     * none), for blocks whose index does not record them (version 1): built on first use for a resolver (one
     * label lookup per series) and kept while the block is open, 4 bytes per series. The caller holds a
     * reference (e.g. an open querier).
     */
    int[] globalIds(ToIntFunction<Labels> resolver) {
        IdMap m = idMap;
        if (m != null && m.resolver() == resolver) return m.ids();
        int[] ids = new int[index.numSeries()];
        String[] symbols = new String[index.symbolCount()];
        for (int i = 0; i < ids.length; i++) ids[i] = resolver.applyAsInt(index.labels(i, symbols));
        idMap = new IdMap(resolver, ids);
        return ids;
    }

    /** Whether the index records each series' storage-wide id (index version 2 and later). */
    public boolean hasSeriesIds() { return index.hasSeriesRefs(); }

    /**
     * Adds the storage-wide id of every series of the block to {@code out}; false (nothing added) when the
     * index does not record them or one is unknown. The caller holds a reference.
     */
    public boolean addSeriesIds(RoaringBitmap out) {
        if (!index.hasSeriesRefs()) return false;
        int n = index.numSeries();
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = index.seriesRef(i);
            if (ids[i] < 0) return false;
        }
        out.addN(ids, 0, n);
        return true;
    }

    /** This open block's number, unique in the process. */
    long instance() { return instance; }

    /** The kept chunk tails of this block's reads. */
    ChunkTails tails() { return tails; }

    /** A querier over [mint, maxt] holding a reference until closed. */
    public Querier querier(long mint, long maxt) {
        if (!tryAcquire()) throw new IllegalStateException("block " + meta.ulid() + " is closed or deleted");
        return new BlockQuerier(this, mint, maxt);
    }

    /** A querier for a reference the caller already took with {@link #tryAcquire()}; closing it releases that reference. */
    Querier querierAcquired(long mint, long maxt) { return new BlockQuerier(this, mint, maxt); }

    /** Takes a reference; false if the block is already fully released. */
    public boolean tryAcquire() {
        while (true) {
            int r = refs.get();
            if (r <= 0) return false;
            if (refs.compareAndSet(r, r + 1)) return true;
        }
    }

    /** Returns a reference taken by {@link #tryAcquire()}. */
    public void release() {
        int r = refs.decrementAndGet();
        if (r < 0) throw new IllegalStateException("block " + meta.ulid() + " released more often than acquired");
        if (r == 0) {
            // the last reference: nobody can read the mappings any more (tryAcquire fails from now on)
            unmap();
            if (deleteOnRelease) tryDelete();
        }
    }

    /**
     * Deletes the directory of a block marked for deletion whose last reference is gone; a failure (an I/O error,
     * a full disk refusing the rename's directory update) is logged, never thrown at the querier that happened to
     * return the last reference: {@link BlockStore#retryDeletions} tries again later. Returns whether it is gone.
     */
    boolean tryDelete() {
        if (deleted) return true;
        if (!deleteOnRelease || refs.get() > 0) return false;
        try {
            deleteNow();
            return true;
        } catch (RuntimeException e) {
            deleteFailures++;
            if (deleteFailures == 1) LOG.warn("cannot delete block {} (retried by maintenance): {}", dir, e.toString());
            return false;
        }
    }

    private volatile int deleteFailures;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Block.class);

    private void unmap() {
        if (unmapped) return;
        unmapped = true;
        tails.dropBlock(instance);
        index.unmap();
        chunks.unmap();
    }

    /** Whether the memory mappings were released (the last reference was returned). */
    public boolean isUnmapped() { return unmapped; }

    /** Current number of references (the opener's plus open queriers'). */
    public int refCount() { return refs.get(); }

    /** Whether the directory has been removed. */
    public boolean isDeleted() { return deleted; }

    /** Drops the opener's reference and deletes the directory once no querier uses the block. */
    public void markForDeletion() {
        deleteOnRelease = true;
        release();
    }

    /**
     * Renames the directory out of the way first (atomic), then deletes it: a crash in between leaves a
     * {@code .deleting} directory that the next open removes, never a half-deleted block under its ulid.
     */
    private synchronized void deleteNow() {
        if (deleted) return;
        try {
            deleteDirectory(fs, dir);
            deleted = true;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete block " + dir, e);
        }
    }

    /**
     * Deletes a block directory crash-safely: renamed to {@code <ulid>.deleting} first (atomic, fsynced), then
     * removed; a crash in between leaves a directory that {@link BlockStore#open} removes, never a block that is
     * half deleted under its own name.
     */
    static void deleteDirectory(FileLayer fs, Path dir) throws IOException {
        Path gone = dir.resolveSibling(dir.getFileName() + DELETING_SUFFIX);
        if (Files.exists(dir)) {
            fs.deleteRecursively(gone);
            fs.rename(dir, gone);
        }
        // the rename must be durable before any file goes: also when an earlier attempt's directory fsync failed (a
        // power loss could otherwise bring the block back under its name with files missing)
        if (Files.exists(gone)) fs.fsyncDirectory(dir.getParent());
        fs.deleteRecursively(gone);
    }

    /** Drops the opener's reference (the files stay; unmapped once no querier holds the block). */
    @Override public void close() { release(); }

    @Override public String toString() {
        return "Block[" + meta.ulid() + " " + meta.minTime() + ".." + meta.maxTime() + " level " + meta.level() + "]";
    }
}
