package io.tsdb.core.registry;

import io.tsdb.core.fs.FileLayer;
import net.openhft.chronicle.hash.impl.VanillaChronicleHash;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * One tier file of the series registry: a persisted Chronicle Map from canonical label bytes to a series id
 * (format: {@link RegistryFormat}). Opened (memory-mapped) while it is the newest tier or while it is being
 * read; otherwise sealed (closed). Not thread-safe: {@link SeriesRegistry} serialises access.
 */
final class RegistryTier {
    private static final Logger log = LoggerFactory.getLogger(RegistryTier.class);

    final int index;
    final Path file;
    /** Series entries (not counting reserved keys). */
    long count;
    /** Smallest and largest series id in the tier (ids are assigned in increasing order, so tiers hold ranges). */
    int minId = Integer.MAX_VALUE, maxId = -1;
    private ChronicleMap<byte[], Integer> map;
    /** Sealed, but still fully allocated: {@link SeriesRegistry#closeIdleTiers} gives back its unused blocks. */
    boolean releasePending;
    /** System.nanoTime() of the last use while a sealed tier was kept open for lookups. */
    long lastUsedNanos;
    /**
     * Takes no more series: its map grew beyond the blocks allocated at its creation ({@link #grown}), or a write
     * through its mapping faulted ({@link #putGuarded}). The next new series starts the next tier. (A map that refuses
     * an entry for want of room needs no flag: the next tier is started at once and becomes the newest.)
     */
    boolean full;

    RegistryTier(int index, Path file) {
        this.index = index;
        this.file = file;
    }

    static ChronicleMapBuilder<byte[], Integer> builder(String name, long entries, int keyBytes) {
        return ChronicleMapBuilder.of(byte[].class, Integer.class)
                .name(name)
                .entries(entries)
                .averageKeySize(keyBytes)
                .actualChunkSize(RegistryFormat.CHUNK_BYTES)
                // No room reserved beyond the capacity: Chronicle touches pages of the reserved extra tiers in
                // every segment (with 8.0, 2 MB for 1,000 series in a 16k map against 0.36 MB with 1.0).
                // A tier that runs out of room before its capacity (keys longer than the hint) is followed by
                // the next tier, see SeriesRegistry.putEncoded.
                .maxBloatFactor(1.0)
                .sparseFile(true); // file pages are allocated as entries use them
    }

    /**
     * Opens (creating it for {@code entries} entries of about {@code keyBytes} bytes if absent) the tier file. An
     * existing file keeps the configuration in its header. With {@code recover}, Chronicle Map's recovery runs first
     * (unclean close).
     */
    static ChronicleMap<byte[], Integer> openMap(Path file, int index, long entries, int keyBytes, boolean recover) throws IOException {
        ChronicleMap<byte[], Integer> m = openAnyVersion(file, index, entries, keyBytes, recover);
        Integer v = m.get(RegistryFormat.VERSION_KEY);
        if (v == null) {
            m.put(RegistryFormat.VERSION_KEY, RegistryFormat.VERSION);
        } else if (v != RegistryFormat.VERSION) {
            m.close();
            throw new IOException("series registry " + file + " has format version " + v + ", expected " + RegistryFormat.VERSION
                    + (v == 2 || v == 3 ? " (an older tier whose keys hold the label names; opening the registry migrates its tiers"
                    + " while " + LabelNameTable.FILE_NAME + " is absent or " + RegistryFormat.MIGRATING_MARKER + " is present)" : ""));
        }
        return m;
    }

    /** {@link #openMap} without the version check (the caller reads {@link RegistryFormat#VERSION_KEY}). */
    static ChronicleMap<byte[], Integer> openAnyVersion(Path file, int index, long entries, int keyBytes, boolean recover) throws IOException {
        ChronicleMapBuilder<byte[], Integer> b = builder("tsdb-series-registry-" + index, entries, keyBytes);
        if (recover && Files.exists(file)) {
            log.warn("series registry {} was not closed cleanly; running Chronicle Map recovery", file);
            // false: take the configuration from the file's header (firstCapacity may have changed since).
            return b.recoverPersistedTo(file.toFile(), false);
        }
        return b.createPersistedTo(file.toFile());
    }

    /** Free space required before a tier file is created: Chronicle Map writes its headers through the mapping. */
    static final long MIN_FREE_BYTES = 4L << 20;

    /** The marker saying that every block of {@code file} is allocated. */
    static Path allocatedMarker(Path file) {
        return file.resolveSibling(file.getFileName() + RegistryFormat.ALLOCATED_SUFFIX);
    }

    /**
     * Creates tier file {@code file} for {@code capacity} entries with every block allocated on disk, so that no
     * later write through its mapping can meet a full disk (a write to an unallocated page of a mapped file on a
     * full disk raises SIGBUS in the JVM, an {@code InternalError} at best, never an {@link IOException}). The map
     * is created under a temporary name, {@code init} writes its first entries, the file is written out block by
     * block through {@code fs} (its own bytes written back: every block gets allocated, ENOSPC is an
     * {@code IOException} here), fsynced, renamed to {@code file}, marked allocated and the directory fsynced. On
     * failure nothing is left (at worst the temporary, removed at the next open) and the caller gets an
     * {@code IOException} naming the cause.
     */
    static void createAllocated(FileLayer fs, Path file, int index, long capacity, int keyBytes,
                                Consumer<ChronicleMap<byte[], Integer>> init) throws IOException {
        Path dir = file.getParent();
        Path tmp = file.resolveSibling(file.getFileName() + RegistryFormat.TMP_SUFFIX);
        fs.deleteIfExists(tmp);
        checkFreeSpace(dir, file);
        boolean renamed = false;
        try {
            try (ChronicleMap<byte[], Integer> m = openMap(tmp, index, capacity, keyBytes, false)) {
                init.accept(m);
            } catch (InternalError e) {   // the JVM's translation of SIGBUS on a mapped write: the disk filled meanwhile
                throw new IOException("no space left on device while creating series registry tier " + file.getFileName(), e);
            }
            long t0 = System.nanoTime();
            long size = allocate(fs, tmp);
            Path marker = allocatedMarker(file);
            fs.deleteIfExists(marker);
            fs.rename(tmp, file);
            renamed = true;
            try {
                fs.writeFileDurably(marker, new byte[0]);
                fs.fsyncDirectory(dir);
            } catch (IOException e) {
                // the new tier is not known to be durable: it must not be used (a crash could lose it while the WAL
                // names its series); without its marker the next open allocates it again if it survived
                deleteQuietly(fs, marker);
                deleteQuietly(fs, file);
                throw e;
            }
            log.info("series registry: created tier {} for {} series, {} MiB allocated in {} ms", file.getFileName(), capacity,
                    size >> 20, (System.nanoTime() - t0) / 1_000_000);
        } finally {
            if (!renamed) deleteQuietly(fs, tmp);
        }
    }

    /** Deletes a file if it exists; a failure is logged (leftover temporaries are removed at the next open). */
    static void deleteQuietly(FileLayer fs, Path p) {
        try {
            fs.deleteIfExists(p);
        } catch (IOException e) {
            log.warn("series registry: cannot remove {}: {}", p, e.toString());
        }
    }

    /** Throws the "no space left" {@code IOException} when {@code dir} has less than {@link #MIN_FREE_BYTES} free for tier {@code file}. */
    static void checkFreeSpace(Path dir, Path file) throws IOException {
        long free = Files.getFileStore(dir).getUsableSpace();
        if (free < MIN_FREE_BYTES)
            throw new IOException("no space left on device to create series registry tier " + file.getFileName() + " (" + (free >> 10)
                    + " KiB free in " + dir + ", at least " + (MIN_FREE_BYTES >> 20) + " MiB needed)");
    }

    /**
     * Writes every block of {@code file} back with its own bytes through {@code fs} (the map must not be open), so
     * that all of them are allocated on disk, and fsyncs it; returns its size. Fails with an {@code IOException}
     * (ENOSPC) on a full disk.
     */
    static long allocate(FileLayer fs, Path file) throws IOException {
        try (FileChannel ch = fs.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
            long size = ch.size();
            for (long pos = 0; pos < size; ) {
                buf.clear();
                buf.limit((int) Math.min(buf.capacity(), size - pos));
                while (buf.hasRemaining() && ch.read(buf, pos + buf.position()) >= 0) { }
                buf.flip();
                while (buf.hasRemaining()) ch.write(buf, pos + buf.position());
                pos += buf.limit();
            }
            ch.force(true);
            return size;
        }
    }

    /**
     * Gives back the disk blocks of a sealed tier that hold only zeros (unused capacity): the file is copied with
     * those blocks left as holes, fsynced and renamed over the original (a crash leaves either, both valid), and
     * its allocated marker removed. A sealed tier is only read, so its holes are never written. Best effort: on
     * failure (e.g. no room for the copy) the allocated file stays.
     */
    static void releaseUnusedBlocks(FileLayer fs, Path file) {
        Path tmp = file.resolveSibling(file.getFileName() + RegistryFormat.TMP_SUFFIX);
        try {
            fs.deleteIfExists(tmp);
            SparseFiles.copy(fs, file, tmp);
            fs.replace(tmp, file);
            fs.deleteIfExists(allocatedMarker(file));
            fs.fsyncDirectory(file.getParent());
        } catch (IOException | RuntimeException e) {
            log.warn("series registry: could not release the unused blocks of sealed tier {} (it stays fully allocated): {}", file, e.toString());
            deleteQuietly(fs, tmp);
        }
    }

    boolean isOpen() { return map != null; }

    ChronicleMap<byte[], Integer> map() { return map; }

    /**
     * {@code map().put(key, id)}, with the key's hash computed by the caller ({@link RegistryKey}) instead of by
     * Chronicle Map; returns the previous id or null. Throws as {@code put} does when the tier has no room left.
     */
    Integer put(RegistryKey key, int id) {
        try (var q = map.queryContext(key)) {
            q.updateLock().lock();
            var e = q.entry();
            if (e != null) {
                Integer prev = e.value().get();
                q.replaceValue(e, q.wrapValueAsData(id));
                return prev;
            }
            q.insert(q.absentEntry(), q.wrapValueAsData(id));
            return null;
        }
    }

    /**
     * {@link #put}, where a fault writing the mapping (SIGBUS: a block the full disk could not allocate, which the JVM
     * raises as an {@code InternalError}) is an {@code IOException} and leaves the tier {@link #full}.
     */
    Integer putGuarded(RegistryKey key, int id) throws IOException {
        try {
            return put(key, id);
        } catch (InternalError e) {
            full = true;
            throw new IOException("no space left on device for series registry tier " + file.getFileName()
                    + " (a fault writing its memory mapping: " + e.getMessage() + ")", e);
        }
    }

    /** Series put since the map was (re)opened; see {@link SeriesRegistry#REMAP_AFTER_PUTS}. */
    int putsSinceOpen;
    /** System.nanoTime() when the map was last (re)opened. */
    long openedNanos;

    void open(long capacity, boolean recover) throws IOException {
        if (map == null) {
            map = openMap(file, index, capacity, RegistryFormat.AVERAGE_KEY_BYTES, recover);
            full |= grown(map);
            putsSinceOpen = 0;
            openedNanos = System.nanoTime();
        }
    }

    void seal() {
        if (map != null) {
            map.close();
            map = null;
        }
    }

    /**
     * Whether {@code m} has grown beyond the size it was created with: Chronicle Map gives a segment that overflows an
     * extra tier from a bulk appended to the file, whose blocks are not allocated (a write there on a full disk is a
     * SIGBUS). A tier's key size hint follows the keys registered before it ({@link RegistryFormat#keySizeHint}) so
     * that this does not happen before it holds its capacity; when keys come much longer than the hint it still can,
     * and the tier is then sealed at once ({@link #noteGrowth}).
     */
    static boolean grown(ChronicleMap<byte[], Integer> m) {
        return m instanceof VanillaChronicleHash<?, ?, ?, ?> h && h.hasExtraTierBulks();
    }

    /** After a put: marks the tier {@link #full} when its map has {@link #grown}. */
    void noteGrowth() {
        if (!full && grown(map)) {
            full = true;
            log.warn("series registry: tier {} grew beyond its allocated size after {} series (keys longer than its size hint); "
                    + "the next new series starts a new tier", file.getFileName(), count);
        }
    }

    /**
     * Creates map file {@code file} (a tier being rewritten) sized for {@code keys}, allocates its blocks and opens
     * it: the keys can then be put without the file growing (the hint follows their average size).
     */
    static ChronicleMap<byte[], Integer> createAllocatedFor(FileLayer fs, Path file, int index, java.util.List<byte[]> keys) throws IOException {
        return createAllocatedFor(fs, file, index, keys.size(), keys);
    }

    /** As {@link #createAllocatedFor(FileLayer, Path, int, java.util.List)}, for at least {@code capacity} entries. */
    static ChronicleMap<byte[], Integer> createAllocatedFor(FileLayer fs, Path file, int index, long capacity, java.util.List<byte[]> keys) throws IOException {
        long entries = Math.max(1024, Math.max(capacity, keys.size()));
        int hint = keys.isEmpty() ? RegistryFormat.MIN_KEY_HINT_BYTES
                : RegistryFormat.keySizeHint(keys.stream().mapToInt(k -> k.length).average().orElse(0));
        try (ChronicleMap<byte[], Integer> m = openMap(file, index, entries, hint, false)) {
            m.size();   // created; its blocks are allocated before anything is written into it through the mapping
        }
        allocate(fs, file);
        return openMap(file, index, entries, hint, false);
    }

    /** Notes an id stored in this tier. */
    void noteId(int id) {
        if (id < minId) minId = id;
        if (id > maxId) maxId = id;
    }

    boolean mayHold(int id) { return id >= minId && id <= maxId; }

    /** Takes the count and id range the lookup file recorded (null: none; they are read from the map again). */
    void describedBy(RegistryLookupFile.Tier lt) {
        count = lt == null ? 0 : lt.count();
        minId = lt == null ? Integer.MAX_VALUE : lt.minId();
        maxId = lt == null ? -1 : lt.maxId();
    }

    /** Whether the key is one of the reserved (non-series) keys. */
    static boolean reserved(byte[] key) {
        return Arrays.equals(key, RegistryFormat.VERSION_KEY) || Arrays.equals(key, RegistryFormat.NEXT_ID_KEY);
    }

    @Override public String toString() { return file.getFileName() + "[" + count + " series, ids " + minId + ".." + maxId + "]"; }
}
