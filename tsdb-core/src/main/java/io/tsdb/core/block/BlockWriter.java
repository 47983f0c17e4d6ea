package io.tsdb.core.block;

import io.tsdb.core.Labels;
import io.tsdb.core.SampleCursor;
import io.tsdb.core.SeriesSet;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;

/**
 * Writes an immutable block directory from a {@link SeriesSet} whose series are sorted by labels.
 *
 * <p>The block is assembled in {@code <parent>/<ulid>.tmp}: chunk segments are streamed and fsynced, the
 * index and meta.json are written and fsynced, then the directory is renamed atomically to
 * {@code <parent>/<ulid>} and the parent directory is fsynced. A crash leaves either no block or a complete
 * one (plus a {@code .tmp} directory that {@link BlockStore} removes on open).
 *
 * <p>Only samples with timestamps in [mint, maxt] are written; series without such samples are skipped.
 * Within a series timestamps must not decrease; on equal timestamps the later sample wins.
 */
public final class BlockWriter {
    public static final String TMP_SUFFIX = ".tmp";
    public static final int DEFAULT_MAX_SAMPLES_PER_CHUNK = 4096;

    private final Path parent;
    private int maxSamplesPerChunk = DEFAULT_MAX_SAMPLES_PER_CHUNK;
    private BlockChunkCodec codec = ChunkCodecs.defaultCodec();

    public BlockWriter(Path parentDir) { this.parent = parentDir; }

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
        Files.createDirectories(parent);
        Path tmp = parent.resolve(ulid + TMP_SUFFIX);
        Path dst = parent.resolve(ulid);
        if (Files.exists(dst)) throw new IOException("block directory already exists: " + dst);
        BlockFiles.deleteRecursively(tmp);
        Files.createDirectories(tmp);
        boolean ok = false;
        try {
            long numSamples = 0, numChunks = 0;
            IndexWriter index = new IndexWriter();
            ChunkMetas metas = new ChunkMetas();
            ByteOut enc = new ByteOut(1 << 14);
            long[] ts = new long[1024];
            double[] vs = new double[1024];
            try (ChunksWriter chunks = new ChunksWriter(tmp)) {
                while (series.next()) {
                    Labels labels = series.labels();
                    SampleCursor c = series.cursor();
                    int n = 0;
                    if (c.seek(mint)) {
                        do {
                            long t = c.timestamp();
                            if (t > maxt) break;
                            if (n > 0 && t <= ts[n - 1]) {
                                if (t == ts[n - 1]) { vs[n - 1] = c.value(); continue; }
                                throw new IllegalArgumentException("timestamps decrease in series " + labels + ": " + t + " after " + ts[n - 1]);
                            }
                            if (n == ts.length) { ts = Arrays.copyOf(ts, n * 2); vs = Arrays.copyOf(vs, n * 2); }
                            ts[n] = t;
                            vs[n] = c.value();
                            n++;
                        } while (c.next());
                    }
                    if (n == 0) continue;
                    metas.clear();
                    int parts = (n + maxSamplesPerChunk - 1) / maxSamplesPerChunk;
                    int per = (n + parts - 1) / parts;
                    for (int off = 0; off < n; off += per) {
                        int k = Math.min(per, n - off);
                        enc.reset();
                        codec.encode(ts, vs, off, k, enc);
                        long ref = chunks.write(codec.id(), enc.array(), enc.length());
                        metas.add(ts[off], ts[off + k - 1], k, ref);
                    }
                    index.addSeries(labels, series.seriesId(), metas);
                    numSamples += n;
                    numChunks += metas.n;
                }
            }
            index.write(tmp.resolve(BlockIndexFormat.FILE));
            BlockMeta meta = new BlockMeta(ulid, mint, maxt, index.seriesCount(), numSamples, numChunks, level, sources, parents, BlockMeta.VERSION);
            meta.write(tmp);
            BlockFiles.fsyncDir(tmp);
            Files.move(tmp, dst, StandardCopyOption.ATOMIC_MOVE);
            BlockFiles.fsyncDir(parent);
            ok = true;
            return meta;
        } finally {
            if (!ok) {
                try { BlockFiles.deleteRecursively(tmp); } catch (IOException ignored) { }
            }
        }
    }
}
