package io.tsdb.core.registry;

import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

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
    /** System.nanoTime() of the last use while a sealed tier was kept open for lookups. */
    long lastUsedNanos;

    RegistryTier(int index, Path file) {
        this.index = index;
        this.file = file;
    }

    static ChronicleMapBuilder<byte[], Integer> builder(String name, long entries) {
        return ChronicleMapBuilder.of(byte[].class, Integer.class)
                .name(name)
                .entries(entries)
                .averageKeySize(RegistryFormat.AVERAGE_KEY_BYTES)
                // No room reserved beyond the capacity: Chronicle touches pages of the reserved extra tiers in
                // every segment (with 8.0, 2 MB for 1,000 series in a 16k map against 0.36 MB with 1.0).
                // A tier that runs out of room before its capacity (keys longer than the hint) is followed by
                // the next tier, see SeriesRegistry.putEncoded.
                .maxBloatFactor(1.0)
                .sparseFile(true); // file pages are allocated as entries use them
    }

    /**
     * Opens (creating it for {@code capacity} entries if absent) the tier file. An existing file keeps the
     * configuration in its header. With {@code recover}, Chronicle Map's recovery runs first (unclean close).
     */
    static ChronicleMap<byte[], Integer> openMap(Path file, int index, long capacity, boolean recover) throws IOException {
        ChronicleMapBuilder<byte[], Integer> b = builder("tsdb-series-registry-" + index, capacity);
        ChronicleMap<byte[], Integer> m;
        if (recover && Files.exists(file)) {
            log.warn("series registry {} was not closed cleanly; running Chronicle Map recovery", file);
            // false: take the configuration from the file's header (firstCapacity may have changed since).
            m = b.recoverPersistedTo(file.toFile(), false);
        } else {
            m = b.createPersistedTo(file.toFile());
        }
        Integer v = m.get(RegistryFormat.VERSION_KEY);
        if (v == null) {
            m.put(RegistryFormat.VERSION_KEY, RegistryFormat.VERSION);
        } else if (v == RegistryFormat.PREVIOUS_VERSION) {
            m.put(RegistryFormat.VERSION_KEY, RegistryFormat.VERSION);   // version 3 only adds entries, see the spec
        } else if (v != RegistryFormat.VERSION) {
            m.close();
            throw new IOException("series registry " + file + " has format version " + v + ", expected " + RegistryFormat.VERSION);
        }
        return m;
    }

    boolean isOpen() { return map != null; }

    ChronicleMap<byte[], Integer> map() { return map; }

    void open(long capacity, boolean recover) throws IOException {
        if (map == null) map = openMap(file, index, capacity, recover);
    }

    void seal() {
        if (map != null) {
            map.close();
            map = null;
        }
    }

    /** Notes an id stored in this tier. */
    void noteId(int id) {
        if (id < minId) minId = id;
        if (id > maxId) maxId = id;
    }

    boolean mayHold(int id) { return id >= minId && id <= maxId; }

    /** Whether the key is one of the reserved (non-series) keys. */
    static boolean reserved(byte[] key) {
        return Arrays.equals(key, RegistryFormat.VERSION_KEY) || Arrays.equals(key, RegistryFormat.NEXT_ID_KEY);
    }

    @Override public String toString() { return file.getFileName() + "[" + count + " series, ids " + minId + ".." + maxId + "]"; }
}
