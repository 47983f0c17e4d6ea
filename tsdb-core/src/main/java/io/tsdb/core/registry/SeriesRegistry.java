package io.tsdb.core.registry;

import io.tsdb.core.Labels;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.ObjIntConsumer;

/**
 * Persistent map canonical label set -> series id, backed by a Chronicle Map file so a restart loads
 * series without reading logs. Thread-safe. Ids are assigned by the caller (the head), never reused.
 */
public final class SeriesRegistry implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(SeriesRegistry.class);

    private final Path dir;
    private final ChronicleMap<byte[], Integer> map;
    private volatile boolean closed;

    private SeriesRegistry(Path dir, ChronicleMap<byte[], Integer> map) {
        this.dir = dir;
        this.map = map;
    }

    /** Opens or creates the registry in {@code dir}; {@code capacity} sizes the map (it may grow beyond it). */
    public static SeriesRegistry open(Path dir, long capacity) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve(RegistryFormat.FILE_NAME);
        Path clean = dir.resolve(RegistryFormat.CLEAN_MARKER);
        boolean exists = Files.exists(file);
        boolean wasClean = Files.exists(clean);
        ChronicleMapBuilder<byte[], Integer> b = ChronicleMapBuilder.of(byte[].class, Integer.class)
                .name("tsdb-series-registry")
                .entries(Math.max(1024, capacity))
                .averageKeySize(RegistryFormat.AVERAGE_KEY_BYTES)
                .maxBloatFactor(8.0)
                .sparseFile(true); // allocate file pages as entries use them, not the whole capacity up front
        ChronicleMap<byte[], Integer> m;
        if (exists && !wasClean) {
            log.warn("series registry {} was not closed cleanly; running Chronicle Map recovery", file);
            m = b.recoverPersistedTo(file.toFile(), true);
        } else {
            m = b.createPersistedTo(file.toFile());
        }
        Files.deleteIfExists(clean);
        Integer v = m.get(RegistryFormat.VERSION_KEY);
        if (v == null) {
            m.put(RegistryFormat.VERSION_KEY, RegistryFormat.VERSION);
        } else if (v != RegistryFormat.VERSION) {
            m.close();
            throw new IOException("series registry " + file + " has format version " + v + ", expected " + RegistryFormat.VERSION);
        }
        return new SeriesRegistry(dir, m);
    }

    /** Series id of a label set, or -1. */
    public int get(Labels labels) {
        Integer id = map.get(LabelsCodec.encode(labels));
        return id == null ? -1 : id;
    }

    public void put(Labels labels, int id) {
        map.put(LabelsCodec.encode(labels), id);
    }

    /** Number of series (excluding the reserved version entry). */
    public long size() { return map.longSize() - 1; }

    /** Calls {@code fn} for every registered series. */
    public void forEach(ObjIntConsumer<Labels> fn) {
        map.forEachEntry(e -> {
            byte[] k = e.key().get();
            if (Arrays.equals(k, RegistryFormat.VERSION_KEY)) return;
            fn.accept(LabelsCodec.decode(k), e.value().get());
        });
    }

    /** Removes every entry (used when the storage is wiped). */
    public void clear() {
        map.clear();
        map.put(RegistryFormat.VERSION_KEY, RegistryFormat.VERSION);
    }

    /** Releases the map without writing the clean marker (crash simulation in tests): the next open recovers. */
    public synchronized void abandon() {
        if (closed) return;
        closed = true;
        map.close();
    }

    @Override public synchronized void close() throws IOException {
        if (closed) return;
        closed = true;
        map.close();
        Files.writeString(dir.resolve(RegistryFormat.CLEAN_MARKER), "clean\n");
    }
}
