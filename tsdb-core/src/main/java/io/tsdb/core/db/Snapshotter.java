package io.tsdb.core.db;

import io.tsdb.core.Querier;
import io.tsdb.core.block.BlockMeta;
import io.tsdb.core.block.BlockStore;
import io.tsdb.core.block.BlockWriter;
import io.tsdb.core.fs.FileLayer;
import io.tsdb.core.registry.SeriesRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.List;

/**
 * Snapshots ({@code POST /api/v1/admin/tsdb/snapshot}): a data directory under {@code <data>/snapshots/<name>}
 * that a server can be started on.
 *
 * <pre>
 * snapshots/&lt;name&gt;/blocks/&lt;ulid&gt;/...   every block, hard-linked (block files are never modified in place)
 * snapshots/&lt;name&gt;/blocks/&lt;ulid&gt;/...   the head's samples as one more block (unless skip_head)
 * snapshots/&lt;name&gt;/registry/...           the series registry's tier files, copied under its lock
 * </pre>
 * Everything is written into {@code snapshots/<name>.tmp}, fsynced, and renamed to {@code <name>} at the end, so
 * a snapshot is visible under its name only when complete; {@link #removeIncomplete} deletes a {@code .tmp} left
 * by a crash when the store opens. The caller excludes flushes (so the head's samples are either in a block or in
 * the head, never in neither); ingestion goes on. Blocks are linked first, then the head is written, then the
 * registry is copied: every series of the snapshot's blocks is in its registry.
 */
final class Snapshotter {
    private static final Logger log = LoggerFactory.getLogger(Snapshotter.class);
    static final String DIR = "snapshots";
    static final String TMP_SUFFIX = ".tmp";
    /** Prometheus's snapshot name: UTC time, then 16 random hex digits. */
    private static final DateTimeFormatter NAME_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** The head's samples to write: a querier over [mint, maxt] (closed by the snapshotter). */
    record HeadSource(Querier querier, long mint, long maxt) {}

    private Snapshotter() {}

    static String newName(long nowMs) {
        byte[] r = new byte[8];
        RANDOM.nextBytes(r);
        return NAME_TIME.format(Instant.ofEpochMilli(nowMs)) + "-" + HexFormat.of().formatHex(r);
    }

    /** Takes a snapshot of {@code blocks}, {@code head} (null: skip it) and {@code registry}; returns its name. */
    static String take(FileLayer fs, Path dataDir, long nowMs, BlockStore blocks, SeriesRegistry registry, HeadSource head) throws IOException {
        long t0 = System.nanoTime();
        Path snaps = dataDir.resolve(DIR);
        fs.createDirectoriesDurably(snaps);
        String name = newName(nowMs);
        Path tmp = snaps.resolve(name + TMP_SUFFIX), dst = snaps.resolve(name);
        boolean ok = false;
        Path written = tmp;
        try {
            Path blockDir = tmp.resolve("blocks");
            fs.createDirectories(blockDir);
            List<String> linked = blocks.linkTo(blockDir);
            fs.crashPoint("snapshot.blocksLinked");
            String headBlock = "(skipped)";
            if (head != null) {
                try (Querier q = head.querier()) {
                    if (head.mint() <= head.maxt()) {
                        BlockMeta m = new BlockWriter(fs, blockDir).write(q.select(List.of()), head.mint(), head.maxt());
                        headBlock = m.numSamples() > 0 ? m.ulid() + " (" + m.numSamples() + " samples)" : "(empty)";
                        if (m.numSamples() == 0) fs.deleteRecursively(blockDir.resolve(m.ulid()));
                    } else {
                        headBlock = "(empty)";
                    }
                }
            }
            fs.crashPoint("snapshot.headWritten");
            registry.copyTo(tmp.resolve("registry"));
            fs.crashPoint("snapshot.registryCopied");
            fs.fsyncDirectory(blockDir);
            fs.fsyncDirectory(tmp);
            fs.rename(tmp, dst);
            written = dst;   // a failed directory fsync removes it again: the caller is told the snapshot failed
            fs.fsyncDirectory(snaps);
            ok = true;
            log.info("snapshot {}: {} blocks linked, head block {}, in {} ms", dst, linked.size(), headBlock, (System.nanoTime() - t0) / 1_000_000);
            return name;
        } finally {
            if (!ok) {
                try {
                    fs.deleteRecursively(written);
                } catch (IOException e) {
                    log.warn("cannot remove incomplete snapshot {}: {}", written, e.toString());
                }
            }
        }
    }

    /** Deletes {@code <data>/snapshots/*.tmp} left by a snapshot that a crash interrupted. */
    static void removeIncomplete(FileLayer fs, Path dataDir) throws IOException {
        Path snaps = dataDir.resolve(DIR);
        if (!Files.isDirectory(snaps)) return;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(snaps, "*" + TMP_SUFFIX)) {
            for (Path p : ds) {
                log.warn("removing incomplete snapshot {}", p);
                fs.deleteRecursively(p);
            }
        }
    }
}
