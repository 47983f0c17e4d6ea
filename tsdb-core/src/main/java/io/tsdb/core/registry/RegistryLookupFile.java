package io.tsdb.core.registry;

import io.tsdb.core.fs.FileLayer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.zip.CRC32C;

/**
 * Descriptor and codec of the registry's lookup file {@value #FILE_NAME} (spec: docs/format/series-registry.md,
 * "Lookup file"): what a clean close knew about the tiers, so that the next open need not read every entry of every
 * tier to rebuild its in-memory lookup (4 microseconds a series: 0.35 s of CPU for 100,000 series, growing with every
 * series the registry keeps).
 *
 * <pre>
 * file   = header | tier* | pair* | crc32c:u32            (little-endian; crc32c over everything before it)
 * header = magic:u32 "TSRL" | version:u32 (1) | nextId:i32 | tiers:u32 | pairs:u32
 * tier   = count:i64 | minId:i32 | maxId:i32 | fileBytes:i64 | modifiedMillis:i64 | entries:i64   (tier 00 first)
 * pair   = fingerprint:i32 &lt;&lt; 32 | id:u32, as one i64; sorted ascending as signed 64-bit integers
 * </pre>
 *
 * <p>Written by a clean close after every tier is fsynced and before the clean marker; read at open only when the
 * clean marker is there, and deleted at every open, so it never describes tiers that were written after it. It is
 * used only if it is whole (length and CRC) and every tier file still has the length and modification time it
 * records and the newest tier the number of entries (Chronicle Map's own count, reserved keys included); otherwise
 * the open reads the tiers as before. Losing it costs only that read.
 */
final class RegistryLookupFile {
    private static final Logger log = LoggerFactory.getLogger(RegistryLookupFile.class);
    static final String FILE_NAME = "series.registry.lookup";
    static final int MAGIC = 0x4C525354;   // "TSRL" read as a little-endian u32
    static final int VERSION = 1;
    static final int HEADER_BYTES = 20;
    static final int TIER_BYTES = 40;
    static final int PAIR_BYTES = 8;
    static final int CRC_BYTES = 4;

    /** What the file records of one tier. */
    record Tier(long count, int minId, int maxId, long fileBytes, long modifiedMillis, long entries) {}

    /** The file's content. */
    record Content(int nextId, List<Tier> tiers, long[] pairs) {}

    private RegistryLookupFile() {}

    /** The tier's file length and modification time as this file records them. */
    static Tier describe(Path file, long count, int minId, int maxId, long entries) throws IOException {
        return new Tier(count, minId, maxId, Files.size(file), Files.getLastModifiedTime(file).toMillis(), entries);
    }

    /** Whether a tier file still matches what the lookup file recorded of it. */
    static boolean unchanged(Tier t, Path file) throws IOException {
        return Files.size(file) == t.fileBytes() && Files.getLastModifiedTime(file).toMillis() == t.modifiedMillis();
    }

    /**
     * Writes the file for the next open from the registry's state at a clean close (the newest tier, the last of
     * {@code tiers}, holding {@code newestEntries} entries); best effort: on failure it is logged and no file is left,
     * and that open reads the tiers.
     */
    static void writeQuietly(FileLayer fs, Path dir, int nextId, List<RegistryTier> tiers, long newestEntries, Fingerprints fingerprints) {
        try {
            List<Tier> ts = new ArrayList<>();
            for (int k = 0; k < tiers.size(); k++) {
                RegistryTier t = tiers.get(k);
                ts.add(describe(t.file, t.count, t.minId, t.maxId, k == tiers.size() - 1 ? newestEntries : -1));
            }
            write(fs, dir, nextId, ts, fingerprints.sortedPairs(), fingerprints.size());
        } catch (IOException | RuntimeException e) {
            log.warn("series registry {}: cannot write its lookup file ({}); the next open reads the tiers", dir, e.toString());
            RegistryTier.deleteQuietly(fs, dir.resolve(FILE_NAME));
        }
    }

    /**
     * Writes the file under a temporary name, fsyncs it, renames it into place and fsyncs the directory; the
     * {@code n} first {@code pairs} are written (sorted).
     */
    static void write(FileLayer fs, Path dir, int nextId, List<Tier> tiers, long[] pairs, int n) throws IOException {
        Path file = dir.resolve(FILE_NAME);
        Path tmp = dir.resolve(FILE_NAME + RegistryFormat.TMP_SUFFIX);
        fs.deleteIfExists(tmp);
        CRC32C crc = new CRC32C();
        ByteBuffer buf = ByteBuffer.allocate(64 << 10).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel ch = fs.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            buf.putInt(MAGIC).putInt(VERSION).putInt(nextId).putInt(tiers.size()).putInt(n);
            for (Tier t : tiers) {
                if (buf.remaining() < TIER_BYTES) flush(ch, buf, crc);
                buf.putLong(t.count()).putInt(t.minId()).putInt(t.maxId()).putLong(t.fileBytes())
                        .putLong(t.modifiedMillis()).putLong(t.entries());
            }
            for (int i = 0; i < n; i++) {
                if (buf.remaining() < PAIR_BYTES) flush(ch, buf, crc);
                buf.putLong(pairs[i]);
            }
            flush(ch, buf, crc);
            buf.putInt((int) crc.getValue());
            buf.flip();
            FileLayer.writeFully(ch, buf);
            ch.force(true);
        } catch (IOException | RuntimeException e) {
            RegistryTier.deleteQuietly(fs, tmp);
            throw e;
        }
        fs.rename(tmp, file);
        fs.fsyncDirectory(dir);
    }

    private static void flush(FileChannel ch, ByteBuffer buf, CRC32C crc) throws IOException {
        buf.flip();
        crc.update(buf.duplicate());
        FileLayer.writeFully(ch, buf);
        buf.clear();
    }

    /**
     * The file in {@code dir} if it is whole and describes exactly the tier files {@code found} (index to path, from
     * 0 without gaps) as they are now (length, modification time); else null, with the reason logged.
     */
    static Content readMatching(Path dir, SortedMap<Integer, Path> found) {
        try {
            Content c = read(dir);
            if (c == null || found.isEmpty()) return null;
            if (c.tiers().size() != found.size() || found.lastKey() != found.size() - 1) {
                log.info("series registry {}: the lookup file describes {} tiers, {} found; reading the tiers", dir, c.tiers().size(), found.size());
                return null;
            }
            for (var e : found.entrySet()) {
                if (!unchanged(c.tiers().get(e.getKey()), e.getValue())) {
                    log.info("series registry {}: {} changed since the lookup file was written; reading the tiers", dir, e.getValue().getFileName());
                    return null;
                }
            }
            return c;
        } catch (IOException | RuntimeException e) {
            log.warn("series registry {}: lookup file not used ({}); reading the tiers", dir, e.toString());
            return null;
        }
    }

    /**
     * Reads the file, or null when it is absent; an {@code IOException} names what is wrong with one that is not
     * whole (the caller then reads the tiers).
     */
    static Content read(Path dir) throws IOException {
        Path file = dir.resolve(FILE_NAME);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return null;
        }
        if (bytes.length < HEADER_BYTES + CRC_BYTES) throw new IOException(file + ": " + bytes.length + " bytes, shorter than its header");
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt() != MAGIC) throw new IOException(file + ": not a registry lookup file (magic)");
        int version = b.getInt();
        if (version != VERSION) throw new IOException(file + ": version " + version + ", this build reads " + VERSION);
        int nextId = b.getInt();
        int tiers = b.getInt(), pairs = b.getInt();
        long expected = HEADER_BYTES + (long) TIER_BYTES * tiers + (long) PAIR_BYTES * pairs + CRC_BYTES;
        if (tiers < 0 || pairs < 0 || expected != bytes.length)
            throw new IOException(file + ": " + bytes.length + " bytes, its header says " + expected);
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - CRC_BYTES);
        if ((int) crc.getValue() != b.getInt(bytes.length - CRC_BYTES)) throw new IOException(file + ": checksum mismatch");
        Tier[] ts = new Tier[tiers];
        for (int i = 0; i < tiers; i++) ts[i] = new Tier(b.getLong(), b.getInt(), b.getInt(), b.getLong(), b.getLong(), b.getLong());
        long[] ps = new long[pairs];
        b.asLongBuffer().get(ps);
        for (int i = 1; i < pairs; i++)
            if (ps[i - 1] >= ps[i]) throw new IOException(file + ": pairs not in ascending order at " + i);
        return new Content(nextId, List.of(ts), ps);
    }
}
