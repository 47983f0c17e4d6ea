package io.tsdb.core.registry;

import io.tsdb.core.Labels;
import io.tsdb.core.fs.FileLayer;
import net.openhft.chronicle.map.ChronicleMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Rewrites the tiers of a registry of version 2 or 3 (label names inline in every key) with version 4 keys (names by
 * their code in {@link LabelNameTable}), once, when such a registry is opened. Spec: docs/format/series-registry.md,
 * "Version 3 and migration".
 *
 * <p>Each tier is rewritten as a retention rewrite is: a new map under {@code <tier>.tmp} with the same ids, fsynced
 * and renamed over the tier. The marker {@value RegistryFormat#MIGRATING_MARKER} is written first and removed last,
 * so a crash midway is followed by a migration of the tiers still at version 2 or 3 at the next open (a tier is one
 * version or the other, never half of each). The names a rewritten key uses are durable in the names file before
 * the key is written.
 */
final class RegistryKeyMigration {
    private static final Logger log = LoggerFactory.getLogger(RegistryKeyMigration.class);

    private RegistryKeyMigration() {}

    /** Whether {@code dir} holds tiers whose keys may still hold label names (the marker, or tiers and no names file). */
    static boolean needed(Path dir) throws IOException {
        if (Files.exists(dir.resolve(RegistryFormat.MIGRATING_MARKER))) return true;
        if (LabelNameTable.exists(dir)) return false;
        return !tierFiles(dir).isEmpty();
    }

    /**
     * Writes the marker (durably) unless it is there: called before the names file is created, so that a crash between
     * the two cannot leave a names file beside tiers still at version 2 or 3 without the marker that says so.
     */
    static void begin(FileLayer fs, Path dir) throws IOException {
        Path marker = dir.resolve(RegistryFormat.MIGRATING_MARKER);
        if (!Files.exists(marker)) {
            fs.writeFileDurably(marker, new byte[0]);
            fs.fsyncDirectory(dir);
        }
    }

    static TreeMap<Integer, Path> tierFiles(Path dir) throws IOException {
        TreeMap<Integer, Path> found = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.forEach(p -> {
                int k = RegistryFormat.tierIndex(p.getFileName().toString());
                if (k >= 0) found.put(k, p);
            });
        }
        return found;
    }

    /**
     * Rewrites every tier of {@code dir} that is not at version 4 (called with the names file open, before the tiers
     * are). {@code recover}: the registry was not closed cleanly (Chronicle Map's recovery runs on each old tier first).
     */
    static void run(FileLayer fs, Path dir, LabelNameTable names, long firstCapacity, boolean recover) throws IOException {
        long t0 = System.nanoTime();
        Path marker = dir.resolve(RegistryFormat.MIGRATING_MARKER);
        begin(fs, dir);
        // it describes the tiers before their rewrite (and its fingerprints hash the old keys)
        fs.deleteIfExists(dir.resolve(RegistryLookupFile.FILE_NAME));
        TreeMap<Integer, Path> tiers = tierFiles(dir);
        int newest = tiers.isEmpty() ? -1 : tiers.lastKey();
        long series = 0;
        int rewritten = 0;
        for (var e : tiers.entrySet()) {
            int k = e.getKey();
            Path file = e.getValue();
            List<byte[]> keys = new ArrayList<>();
            List<Integer> ids = new ArrayList<>();
            Integer nextId;
            long capacity = RegistryFormat.tierCapacity(firstCapacity, k);
            try (ChronicleMap<byte[], Integer> old = RegistryTier.openAnyVersion(file, k, capacity, RegistryFormat.AVERAGE_KEY_BYTES, recover)) {
                Integer v = old.get(RegistryFormat.VERSION_KEY);
                if (v != null && v == RegistryFormat.VERSION) continue;
                if (v == null || v < RegistryFormat.FIRST_INLINE_NAMES_VERSION || v > RegistryFormat.VERSION)
                    throw new IOException("series registry " + file + " has format version " + v + ", expected "
                            + RegistryFormat.FIRST_INLINE_NAMES_VERSION + " to " + RegistryFormat.VERSION);
                nextId = old.get(RegistryFormat.NEXT_ID_KEY);
                List<byte[]> inline = new ArrayList<>();
                old.forEachEntry(en -> {
                    byte[] key = en.key().get();
                    if (RegistryTier.reserved(key)) return;
                    inline.add(key.clone());   // Chronicle reuses the key array between entries
                    ids.add(en.value().get());
                });
                for (byte[] key : inline) {
                    Labels labels;
                    try {
                        labels = LabelsCodec.decode(key);
                    } catch (IllegalArgumentException bad) {
                        throw new IOException("series registry " + file + " holds a malformed key (" + bad.getMessage()
                                + "); the registry is damaged", bad);
                    }
                    keys.add(names.keyAdding(labels));
                }
            }
            Path tmp = file.resolveSibling(file.getFileName() + RegistryFormat.TMP_SUFFIX);
            fs.deleteIfExists(tmp);
            boolean done = false;
            try {
                // the newest tier goes on taking series up to its capacity; the sealed ones only hold what they have
                try (ChronicleMap<byte[], Integer> m = RegistryTier.createAllocatedFor(fs, tmp, k, k == newest ? capacity : keys.size(), keys)) {
                    if (nextId != null) m.put(RegistryFormat.NEXT_ID_KEY, nextId);
                    for (int i = 0; i < keys.size(); i++) m.put(keys.get(i), ids.get(i));
                }
                fs.fsyncFile(tmp);
                fs.replace(tmp, file);
                fs.fsyncDirectory(dir);
                done = true;
            } finally {
                if (!done) RegistryTier.deleteQuietly(fs, tmp);
            }
            Path allocated = RegistryTier.allocatedMarker(file);
            if (k == newest) {
                if (!Files.exists(allocated)) fs.writeFileDurably(allocated, new byte[0]);
            } else {
                RegistryTier.releaseUnusedBlocks(fs, file);
                fs.deleteIfExists(allocated);
            }
            fs.fsyncDirectory(dir);
            series += keys.size();
            rewritten++;
        }
        fs.delete(marker);
        fs.fsyncDirectory(dir);
        log.info("series registry {}: rewrote {} of {} tier(s) ({} series) with label names by code (format version {}) in {} ms; {} names",
                dir, rewritten, tiers.size(), series, RegistryFormat.VERSION, (System.nanoTime() - t0) / 1_000_000, names.size());
    }

    /** The series of a version 1 registry (one map, label names inline): keys and ids, in the same order. */
    static void readLegacy(Path legacy, boolean wasClean, List<byte[]> keys, List<Integer> ids) throws IOException {
        var b = net.openhft.chronicle.map.ChronicleMapBuilder.of(byte[].class, Integer.class)
                .entries(1 << 20).averageKeySize(RegistryFormat.AVERAGE_KEY_BYTES).maxBloatFactor(8.0).sparseFile(true);
        try (ChronicleMap<byte[], Integer> old = wasClean ? b.createPersistedTo(legacy.toFile()) : b.recoverPersistedTo(legacy.toFile(), false)) {
            Integer v = old.get(RegistryFormat.VERSION_KEY);
            if (v == null || v != RegistryFormat.LEGACY_VERSION)
                throw new IOException("series registry " + legacy + " has format version " + v + ", expected " + RegistryFormat.LEGACY_VERSION);
            old.forEachEntry(e -> {
                byte[] k = e.key().get();
                if (Arrays.equals(k, RegistryFormat.VERSION_KEY)) return;
                keys.add(k.clone()); // Chronicle reuses the key array between entries
                ids.add(e.value().get());
            });
        }
    }
}
