package io.tsdb.core.block;

import io.tsdb.core.Querier;
import io.tsdb.core.fs.FileLayer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;

/**
 * Plans and runs compactions: several adjacent blocks are merged into one larger block.
 *
 * <p>Time ranges form levels, e.g. 2h, 6h, 24h: {@code ranges[0]} is the span of blocks cut from the head;
 * for each range r, blocks shorter than r whose minTime falls in the same aligned window
 * [k*r, (k+1)*r) are merged once the window is complete (some block reaches its end). So the shorter blocks of
 * early head cuts (series churn, a restart) are merged into one per {@code ranges[0]} window, each sample written
 * once more per level. Blocks whose time ranges overlap by more than {@link #OVERLAP_SLACK_MS} (out-of-order data,
 * backfill) are merged first, whatever their size. Consecutive head cuts overlap by a few seconds (a commit of the
 * same second lands just after the cut): those are left to the windows, or each cut would rewrite everything merged
 * since the last window, again and again. Queries merge overlapping blocks either way. Samples with equal
 * timestamps in overlapping blocks resolve to the block created last (greatest ulid).
 */
public final class Compactor {
    public static final long HOUR_MS = 3600_000L;
    /**
     * Overlaps up to this long are left to the aligned windows (see the class comment): the overlap of consecutive
     * head cuts is the lateness of the commits around a cut, seconds.
     */
    public static final long OVERLAP_SLACK_MS = 5 * 60_000L;
    private final long[] ranges;
    private boolean mergeShortBlocks = true;
    private int maxSamplesPerChunk = BlockWriter.DEFAULT_MAX_SAMPLES_PER_CHUNK;

    /** @param ranges ascending block ranges in ms, e.g. {@code {2h, 6h, 24h}} */
    public Compactor(long... ranges) {
        if (ranges.length == 0) throw new IllegalArgumentException("at least one range");
        for (int i = 0; i < ranges.length; i++) {
            if (ranges[i] <= 0 || i > 0 && ranges[i] <= ranges[i - 1]) throw new IllegalArgumentException("ranges must be positive and ascending");
        }
        this.ranges = ranges.clone();
    }

    /** {@code min, min*factor, min*factor^2, ...} ({@code steps} ranges), e.g. (2h, 3, 3) -> 2h, 6h, 18h. */
    public static long[] exponentialRanges(long min, int steps, int factor) {
        long[] r = new long[steps];
        for (int i = 0; i < steps; i++) r[i] = i == 0 ? min : r[i - 1] * factor;
        return r;
    }

    /** Default levels: 2h, 6h, 24h, 72h (a block never spans more than 3 days). */
    public static Compactor defaults() { return new Compactor(2 * HOUR_MS, 6 * HOUR_MS, 24 * HOUR_MS, 72 * HOUR_MS); }

    public long[] ranges() { return ranges.clone(); }

    public Compactor maxSamplesPerChunk(int n) { this.maxSamplesPerChunk = n; return this; }

    /**
     * Whether blocks shorter than {@code ranges[0]} are merged per {@code ranges[0]} window (default true). Off where
     * a retention works at a finer grain than that range: retention deletes whole blocks.
     */
    public Compactor mergeShortBlocks(boolean on) { this.mergeShortBlocks = on; return this; }

    /**
     * The next group of blocks to merge (at least two, sorted by minTime), or an empty list if nothing is due.
     * Call again after each compaction.
     */
    public List<BlockMeta> plan(List<BlockMeta> metas) {
        List<BlockMeta> sorted = new ArrayList<>(metas);
        sorted.sort(Comparator.comparingLong(BlockMeta::minTime).thenComparing(BlockMeta::ulid));
        // 1. overlapping blocks first
        List<BlockMeta> overlap = new ArrayList<>();
        long groupMax = Long.MIN_VALUE;
        for (BlockMeta m : sorted) {
            if (!overlap.isEmpty() && m.minTime() <= groupMax - OVERLAP_SLACK_MS) {
                overlap.add(m);
                groupMax = Math.max(groupMax, m.maxTime());
                continue;
            }
            if (overlap.size() > 1) return overlap;
            overlap.clear();
            overlap.add(m);
            groupMax = m.maxTime();
        }
        if (overlap.size() > 1) return overlap;
        if (sorted.isEmpty()) return List.of();
        long newestMax = Long.MIN_VALUE;
        for (BlockMeta m : sorted) newestMax = Math.max(newestMax, m.maxTime());
        // 2. aligned windows, smallest range first. A block belongs to the window of its minTime; blocks spanning
        //    a whole range or more are left to larger levels (head cuts need not be aligned to the windows).
        for (int level = mergeShortBlocks ? 0 : 1; level < ranges.length; level++) {
            long r = ranges[level];
            List<BlockMeta> group = new ArrayList<>();
            long windowStart = Long.MIN_VALUE;
            for (BlockMeta m : sorted) {
                if (m.maxTime() - m.minTime() + 1 >= r) {
                    if (due(group, windowStart, r, newestMax)) return group;
                    group = new ArrayList<>();
                    windowStart = Long.MIN_VALUE;
                    continue;
                }
                long ws = Math.floorDiv(m.minTime(), r) * r;
                if (ws != windowStart) {
                    if (due(group, windowStart, r, newestMax)) return group;
                    group = new ArrayList<>();
                    windowStart = ws;
                }
                group.add(m);
            }
            if (due(group, windowStart, r, newestMax)) return group;
        }
        return List.of();
    }

    private static boolean due(List<BlockMeta> group, long windowStart, long r, long newestMax) {
        if (group.size() < 2) return false;
        long windowEnd = windowStart + r - 1;
        return newestMax >= windowEnd;
    }

    /**
     * Merges {@code blocks} into a new block in {@code dir} and returns its meta once it is durable. The caller
     * swaps it in and deletes the sources ({@link BlockStore#compact} does both).
     */
    public BlockMeta compact(Path dir, List<Block> blocks) throws IOException {
        return compact(FileLayer.SYSTEM, dir, blocks);
    }

    /**
     * As {@link #compact(Path, List)}, writing through {@code fs}. On failure nothing changes: the sources stay as
     * they are and the half-written block is removed ({@link BlockWriter}).
     */
    public BlockMeta compact(FileLayer fs, Path dir, List<Block> blocks) throws IOException {
        if (blocks.size() < 2) throw new IllegalArgumentException("compaction needs at least two blocks");
        List<Block> byAge = new ArrayList<>(blocks);
        byAge.sort(Comparator.comparing(b -> b.meta().ulid()));
        long mint = Long.MAX_VALUE, maxt = Long.MIN_VALUE;
        int level = 0;
        TreeSet<String> sources = new TreeSet<>();
        List<String> parents = new ArrayList<>();
        for (Block b : byAge) {
            BlockMeta m = b.meta();
            mint = Math.min(mint, m.minTime());
            maxt = Math.max(maxt, m.maxTime());
            level = Math.max(level, m.level());
            sources.addAll(m.sources());
            parents.add(m.ulid());
        }
        List<Querier> qs = new ArrayList<>();
        try {
            for (Block b : byAge) qs.add(b.querier(mint, maxt));
            try (Querier merged = new MergeQuerier(qs)) {
                qs = List.of();
                return new BlockWriter(fs, dir).maxSamplesPerChunk(maxSamplesPerChunk)
                        .write(Ulid.next(), merged.select(List.of()), mint, maxt, level + 1, List.copyOf(sources), parents);
            }
        } finally {
            for (Querier q : qs) q.close();
        }
    }
}
