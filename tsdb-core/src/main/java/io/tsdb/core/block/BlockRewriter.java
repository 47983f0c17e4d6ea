package io.tsdb.core.block;

import io.tsdb.core.fs.FileLayer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes a copy of a block without its deleted data: the block's own tombstones plus extra ones (retention
 * rules pass the series they expire). Used by {@code clean_tombstones} and retention by selector through
 * {@link BlockStore#rewrite}.
 *
 * <p>The copy is a new block (new ulid, same time range, level and sources; {@code parents} = the old block)
 * written like any block ({@link BlockWriter}: {@code <ulid>.tmp}, fsync, atomic rename, directory fsync).
 * Until the old block is gone both are on disk; {@link BlockStore#open} then removes the old one because a
 * block names it as parent. A crash at any step therefore leaves either the old or the new block, never both
 * and never a mix.
 */
public final class BlockRewriter {
    private final FileLayer fs;
    private final Path dir;

    /** @param dir the block directory new blocks are written to ({@code <data>/blocks}) */
    public BlockRewriter(Path dir) { this(FileLayer.SYSTEM, dir); }

    /** As {@link #BlockRewriter(Path)}, writing through {@code fs}. */
    public BlockRewriter(FileLayer fs, Path dir) {
        this.fs = fs;
        this.dir = dir;
    }

    /**
     * Writes the data of {@code block} minus its tombstones and {@code extra}; returns the new block's meta
     * (with {@code numSamples == 0} when nothing is left: the caller then deletes both).
     * @throws IllegalStateException when the block was already released (closed or deleted)
     */
    public BlockMeta rewrite(Block block, Tombstones extra) throws IOException {
        if (!block.tryAcquire()) throw new IllegalStateException("block " + block.meta().ulid() + " is closed or deleted");
        BlockMeta m = block.meta();
        Tombstones all = block.tombstones().merge(extra);
        BlockMeta out;
        try (BlockQuerier q = new BlockQuerier(block, m.minTime(), m.maxTime(), all)) {   // close() returns the reference
            out = new BlockWriter(fs, dir).write(Ulid.next(), q.select(List.of()), m.minTime(), m.maxTime(), m.level(),
                    m.sources(), List.of(m.ulid()));
        }
        fs.crashPoint("rewrite.written");
        return out;
    }
}
