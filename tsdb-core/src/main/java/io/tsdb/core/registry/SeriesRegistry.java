package io.tsdb.core.registry;

import io.tsdb.core.Labels;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.function.ObjIntConsumer;
import java.util.stream.Stream;

/**
 * Persistent map canonical label set -> series id, backed by Chronicle Map files so a restart loads series
 * without reading logs. Thread-safe. Ids are assigned by the caller (the head), never reused; the caller
 * puts each label set once.
 *
 * <h2>Tiers</h2>
 * A Chronicle Map is created for a fixed number of entries and lays them out over segments spread across the
 * whole (sparse) file, so a map sized for far more series than it holds dirties about one page per series:
 * 38 MB for 10k series in a map sized for 1M, against 4 MB in a map sized for 16k. The registry therefore
 * grows by <em>tiers</em> (see {@link RegistryFormat}): tier {@code k} is sized for
 * {@code firstCapacity << k} entries, new series go to the newest tier, and a full tier is followed by a new
 * one twice its size. Nothing is ever copied; a registry of {@code n} series has about {@code log2(n /
 * firstCapacity)} files, each at least half full except the newest. Lookups ({@link #get}) probe every tier,
 * but the head keeps its own in-memory map of series, so the registry is only written at series creation and
 * read at start-up ({@link #forEach}).
 *
 * <p>Only the newest tier stays open (memory-mapped). Older tiers are full and never written again, so they
 * are <em>sealed</em>: closed once the next tier exists and opened briefly when {@link #forEach} or
 * {@link #get} needs them. Their mapped pages would otherwise stay in the process' resident set for its
 * whole life (about 250 bytes per series at 1M series).
 */
public final class SeriesRegistry implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(SeriesRegistry.class);

    private final Path dir;
    private final long firstCapacity;
    /** Open maps by tier index; {@code null} for a sealed (closed) tier. The newest tier is always open. */
    private final List<ChronicleMap<byte[], Integer>> tiers = new ArrayList<>();
    /** Series (not counting the version entry) in each tier. */
    private long[] counts = new long[4];
    private volatile boolean closed;

    private SeriesRegistry(Path dir, long firstCapacity) {
        this.dir = dir;
        this.firstCapacity = firstCapacity;
    }

    /**
     * Opens or creates the registry in {@code dir}; {@code firstCapacity} sizes the first tier (later tiers
     * double). A version 1 registry (one map) found in {@code dir} is migrated into tiers.
     */
    public static SeriesRegistry open(Path dir, long firstCapacity) throws IOException {
        Files.createDirectories(dir);
        Path clean = dir.resolve(RegistryFormat.CLEAN_MARKER);
        boolean wasClean = Files.exists(clean);
        SeriesRegistry r = new SeriesRegistry(dir, Math.max(1024, firstCapacity));
        try {
            Path legacy = dir.resolve(RegistryFormat.LEGACY_FILE_NAME);
            if (Files.exists(legacy)) {
                r.migrate(legacy, wasClean);
            } else {
                r.openTiers(wasClean);
            }
            r.sealOlderTiers();
        } catch (IOException | RuntimeException e) {
            r.abandon();
            throw e;
        }
        Files.deleteIfExists(clean);
        return r;
    }

    private void openTiers(boolean wasClean) throws IOException {
        TreeMap<Integer, Path> found = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.forEach(p -> {
                int k = RegistryFormat.tierIndex(p.getFileName().toString());
                if (k >= 0) found.put(k, p);
            });
        }
        int expected = 0;
        for (var e : found.entrySet()) {
            if (e.getKey() != expected)
                throw new IOException("series registry " + dir + " lacks tier file " + RegistryFormat.tierFileName(expected)
                        + " (found " + e.getValue().getFileName() + "); the registry is damaged");
            ChronicleMap<byte[], Integer> m = openTier(expected, e.getValue(), !wasClean);
            addTier(m);
            expected++;
        }
        if (tiers.isEmpty()) addTier(openTier(0, dir.resolve(RegistryFormat.tierFileName(0)), false));
    }

    private ChronicleMap<byte[], Integer> openTier(int k, Path file, boolean recover) throws IOException {
        ChronicleMapBuilder<byte[], Integer> b = ChronicleMapBuilder.of(byte[].class, Integer.class)
                .name("tsdb-series-registry-" + k)
                .entries(RegistryFormat.tierCapacity(firstCapacity, k))
                .averageKeySize(RegistryFormat.AVERAGE_KEY_BYTES)
                // No room reserved beyond the capacity: Chronicle touches pages of the reserved extra tiers in
                // every segment (with 8.0, 2 MB for 1,000 series in a 16k map against 0.36 MB with 1.0).
                // A tier that runs out of room before its capacity (keys longer than the hint) is followed by
                // the next tier, see putEncoded.
                .maxBloatFactor(1.0)
                .sparseFile(true); // file pages are allocated as entries use them
        ChronicleMap<byte[], Integer> m;
        File f = file.toFile();
        if (recover && Files.exists(file)) {
            log.warn("series registry {} was not closed cleanly; running Chronicle Map recovery", file);
            // false: take the configuration from the file's header (firstCapacity may have changed since).
            m = b.recoverPersistedTo(f, false);
        } else {
            m = b.createPersistedTo(f);
        }
        Integer v = m.get(RegistryFormat.VERSION_KEY);
        if (v == null) {
            m.put(RegistryFormat.VERSION_KEY, RegistryFormat.VERSION);
        } else if (v != RegistryFormat.VERSION) {
            m.close();
            throw new IOException("series registry " + file + " has format version " + v + ", expected " + RegistryFormat.VERSION);
        }
        return m;
    }

    private void addTier(ChronicleMap<byte[], Integer> m) {
        if (tiers.size() == counts.length) counts = Arrays.copyOf(counts, counts.length * 2);
        counts[tiers.size()] = m.longSize() - 1;
        tiers.add(m);
    }

    /** Closes every tier but the newest (they are full and only read again at start-up). */
    private void sealOlderTiers() {
        for (int k = 0; k < tiers.size() - 1; k++) {
            ChronicleMap<byte[], Integer> m = tiers.get(k);
            if (m != null) {
                m.close();
                tiers.set(k, null);
            }
        }
    }

    private interface TierReader<T> {
        T read(ChronicleMap<byte[], Integer> m) throws IOException;
    }

    /** Runs {@code fn} on tier {@code k}, opening a sealed tier for the call only. */
    private <T> T readTier(int k, TierReader<T> fn) throws IOException {
        ChronicleMap<byte[], Integer> m = tiers.get(k);
        if (m != null) return fn.read(m);
        try (ChronicleMap<byte[], Integer> sealed = openTier(k, dir.resolve(RegistryFormat.tierFileName(k)), false)) {
            return fn.read(sealed);
        }
    }

    /** Copies a version 1 registry into fresh tiers, then deletes it (a crash midway redoes the copy). */
    private void migrate(Path legacy, boolean wasClean) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator)
                if (RegistryFormat.tierIndex(p.getFileName().toString()) >= 0) Files.delete(p);
        }
        addTier(openTier(0, dir.resolve(RegistryFormat.tierFileName(0)), false));
        ChronicleMapBuilder<byte[], Integer> b = ChronicleMapBuilder.of(byte[].class, Integer.class)
                .entries(1 << 20).averageKeySize(RegistryFormat.AVERAGE_KEY_BYTES).maxBloatFactor(8.0).sparseFile(true);
        long n = 0;
        try (ChronicleMap<byte[], Integer> old = wasClean ? b.createPersistedTo(legacy.toFile()) : b.recoverPersistedTo(legacy.toFile(), false)) {
            Integer v = old.get(RegistryFormat.VERSION_KEY);
            if (v == null || v != RegistryFormat.LEGACY_VERSION)
                throw new IOException("series registry " + legacy + " has format version " + v + ", expected " + RegistryFormat.LEGACY_VERSION);
            List<byte[]> keys = new ArrayList<>();
            List<Integer> ids = new ArrayList<>();
            old.forEachEntry(e -> {
                byte[] k = e.key().get();
                if (Arrays.equals(k, RegistryFormat.VERSION_KEY)) return;
                keys.add(k.clone()); // Chronicle reuses the key array between entries
                ids.add(e.value().get());
            });
            for (int i = 0; i < keys.size(); i++) putEncoded(keys.get(i), ids.get(i));
            n = keys.size();
        }
        Files.delete(legacy);
        log.info("series registry {}: migrated {} series from format version {} into {} tier(s)", dir, n, RegistryFormat.LEGACY_VERSION, tiers.size());
    }

    /** Series id of a label set, or -1. Probes every tier (start-up and tests only; the head has its own map). */
    public synchronized int get(Labels labels) {
        byte[] key = LabelsCodec.encode(labels);
        try {
            for (int k = tiers.size() - 1; k >= 0; k--) {
                Integer id = readTier(k, m -> m.get(key));
                if (id != null) return id;
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read series registry " + dir, e);
        }
        return -1;
    }

    /** Registers a label set that is not registered yet. */
    public void put(Labels labels, int id) {
        putEncoded(LabelsCodec.encode(labels), id);
    }

    private synchronized void putEncoded(byte[] key, int id) {
        if (closed) throw new IllegalStateException("series registry " + dir + " is closed");
        int k = tiers.size() - 1;
        if (counts[k] >= RegistryFormat.tierCapacity(firstCapacity, k)) k = startTier(k + 1);
        ChronicleMap<byte[], Integer> m = tiers.get(k);
        Integer prev;
        try {
            prev = m.put(key, id);
        } catch (IllegalStateException full) {
            // The tier's segments have no room left (keys longer than the size hint); nothing was written.
            log.info("series registry {}: tier {} is full after {} series ({})", dir, k, counts[k], full.getMessage());
            k = startTier(k + 1);
            prev = tiers.get(k).put(key, id);
        }
        if (prev == null) counts[k]++;
    }

    private int startTier(int k) {
        if (k >= RegistryFormat.MAX_TIERS) throw new IllegalStateException("series registry " + dir + " has too many tiers");
        try {
            addTier(openTier(k, dir.resolve(RegistryFormat.tierFileName(k)), false));
            sealOlderTiers();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot create series registry tier " + k + " in " + dir, e);
        }
        log.info("series registry {}: started tier {} for {} series", dir, k, RegistryFormat.tierCapacity(firstCapacity, k));
        return k;
    }

    /** Number of series. */
    public synchronized long size() {
        long n = 0;
        for (int k = 0; k < tiers.size(); k++) n += counts[k];
        return n;
    }

    /** Number of tier files. */
    public synchronized int tierCount() { return tiers.size(); }

    /** Sum of the tier files' lengths (apparent sizes: the files are sparse, the allocated size is smaller). */
    public synchronized long fileBytes() throws IOException {
        long n = 0;
        for (int k = 0; k < tiers.size(); k++) n += Files.size(dir.resolve(RegistryFormat.tierFileName(k)));
        return n;
    }

    /** Calls {@code fn} for every registered series, oldest tier first. */
    public synchronized void forEach(ObjIntConsumer<Labels> fn) {
        try {
            for (int t = 0; t < tiers.size(); t++) {
                readTier(t, m -> {
                    m.forEachEntry(e -> {
                        byte[] k = e.key().get();
                        if (Arrays.equals(k, RegistryFormat.VERSION_KEY)) return;
                        fn.accept(LabelsCodec.decode(k), e.value().get());
                    });
                    return null;
                });
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read series registry " + dir, e);
        }
    }

    /** Number of tiers currently open (memory-mapped): the newest only, once {@link #open} returned. */
    synchronized int openTierCount() {
        int n = 0;
        for (ChronicleMap<byte[], Integer> m : tiers) if (m != null) n++;
        return n;
    }

    /** Removes every entry (used when the storage is wiped): drops all tiers but the first and clears it. */
    public synchronized void clear() throws IOException {
        while (tiers.size() > 1) {
            int k = tiers.size() - 1;
            ChronicleMap<byte[], Integer> m = tiers.remove(k);
            if (m != null) m.close();
            Files.delete(dir.resolve(RegistryFormat.tierFileName(k)));
        }
        ChronicleMap<byte[], Integer> m = tiers.get(0);
        if (m == null) {
            m = openTier(0, dir.resolve(RegistryFormat.tierFileName(0)), false);
            tiers.set(0, m);
        }
        m.clear();
        m.put(RegistryFormat.VERSION_KEY, RegistryFormat.VERSION);
        counts[0] = 0;
    }

    /** Releases the maps without writing the clean marker (crash simulation in tests): the next open recovers. */
    public synchronized void abandon() {
        if (closed) return;
        closed = true;
        for (ChronicleMap<byte[], Integer> m : tiers) if (m != null) m.close();
    }

    @Override public synchronized void close() throws IOException {
        if (closed) return;
        closed = true;
        for (ChronicleMap<byte[], Integer> m : tiers) if (m != null) m.close();
        Files.writeString(dir.resolve(RegistryFormat.CLEAN_MARKER), "clean\n");
    }
}
