package io.tsdb.core.block;

import io.tsdb.core.Labels;
import io.tsdb.core.SampleCursor;
import io.tsdb.core.SeriesSet;
import io.tsdb.core.fs.FileLayer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Writes an immutable block directory from a {@link SeriesSet} whose series are sorted by labels.
 *
 * <p>The block is assembled in {@code <parent>/<ulid>.tmp}: chunk segments are streamed and fsynced, the
 * index and meta.json are written and fsynced, the temporary directory is fsynced, then it is renamed atomically
 * to {@code <parent>/<ulid>} and the parent directory is fsynced. A crash leaves either no block or a complete
 * one (plus a {@code .tmp} directory that {@link BlockStore} removes on open). When any step fails (ENOSPC, EIO,
 * a failed rename or directory fsync) the writer throws and leaves the previous state: the temporary directory is
 * removed, and so is the renamed block when the parent directory's fsync failed (the rename is then not known
 * to be durable, and the caller treats the block as not written). Every file operation goes through a
 * {@link FileLayer}.
 *
 * <p>Only samples with timestamps in [mint, maxt] are written; series without such samples are skipped.
 * Within a series timestamps must not decrease; on equal timestamps the later sample wins. Float samples and native
 * histograms of a series are cut into chunks by {@link SeriesChunker}.
 */
public final class BlockWriter {
    public static final String TMP_SUFFIX = ".tmp";
    public static final int DEFAULT_MAX_SAMPLES_PER_CHUNK = 4096;
    private static final Logger LOG = LoggerFactory.getLogger(BlockWriter.class);

    private final FileLayer fs;
    private final Path parent;
    private int maxSamplesPerChunk = DEFAULT_MAX_SAMPLES_PER_CHUNK;
    private BlockChunkCodec codec = ChunkCodecs.defaultCodec();

    public BlockWriter(Path parentDir) { this(FileLayer.SYSTEM, parentDir); }

    public BlockWriter(FileLayer fs, Path parentDir) {
        this.fs = fs;
        this.parent = parentDir;
    }

    /** Upper bound of samples per chunk (chunks of a series are balanced below it). */
    public BlockWriter maxSamplesPerChunk(int n) {
        if (n < 1 || n > ColumnarBlockCodec.maxSamples()) {
            throw new IllegalArgumentException("maxSamplesPerChunk must be in [1, " + ColumnarBlockCodec.maxSamples() + "]: " + n);
        }
        this.maxSamplesPerChunk = n;
        return this;
    }

    /** Codec for new chunks (registered so that readers in this JVM can decode it). */
    public BlockWriter codec(BlockChunkCodec c) {
        ChunkCodecs.register(c);
        this.codec = c;
        return this;
    }

    /** Writes a level-1 block (as cut from the head). */
    public BlockMeta write(SeriesSet series, long mint, long maxt) throws IOException {
        String id = Ulid.next();
        return write(id, series, mint, maxt, 1, List.of(id), List.of());
    }

    /** Writes a block with explicit lineage (used by compaction). */
    public BlockMeta write(String ulid, SeriesSet series, long mint, long maxt, int level,
                           List<String> sources, List<String> parents) throws IOException {
        if (maxt < mint) throw new IllegalArgumentException("maxt " + maxt + " < mint " + mint);
        fs.createDirectories(parent);
        Path tmp = parent.resolve(ulid + TMP_SUFFIX);
        Path dst = parent.resolve(ulid);
        if (Files.exists(dst)) throw new IOException("block directory already exists: " + dst);
        BlockFiles.deleteRecursively(fs, tmp);
        boolean renamed = false, ok = false;
        try {
            fs.createDirectories(tmp);
            long numSamples = 0, numChunks = 0;
            ChunkMetas metas = new ChunkMetas();
            int numSeries;
            try (IndexWriter index = new IndexWriter(fs, tmp)) {
                try (ChunksWriter chunks = new ChunksWriter(fs, tmp)) {
                    SeriesChunker chunker = new SeriesChunker(chunks, codec, maxSamplesPerChunk);
                    while (series.next()) {
                        Labels labels = series.labels();
                        long n = chunker.write(labels, series.cursor(), mint, maxt, metas);
                        if (n == 0) continue;
                        index.addSeries(labels, series.seriesId(), metas);
                        numSamples += n;
                        numChunks += metas.n;
                    }
                    chunks.finish();
                }
                index.write(fs, tmp.resolve(BlockIndexFormat.FILE));
                numSeries = index.seriesCount();
            }
            BlockMeta meta = new BlockMeta(ulid, mint, maxt, numSeries, numSamples, numChunks, level, sources, parents, BlockMeta.VERSION);
            meta.write(fs, tmp);
            fs.fsyncDirectory(tmp);
            fs.rename(tmp, dst);
            renamed = true;
            fs.fsyncDirectory(parent);
            ok = true;
            return meta;
        } finally {
            if (!ok) discard(renamed ? dst : tmp);
        }
    }

    /** Removes what a failed write left; what cannot be removed now is removed by {@link BlockStore#open}. */
    private void discard(Path dir) {
        try {
            BlockFiles.deleteRecursively(fs, dir);
            fs.fsyncDirectory(parent);
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot remove {} after a failed block write: {}", dir, e.toString());
        }
    }
}
