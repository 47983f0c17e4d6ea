package io.tsdb.core.block;

import io.tsdb.core.fs.FileLayer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * Deleted time intervals per series of one block (immutable): what {@code POST /api/v1/admin/tsdb/delete_series}
 * marks, what queriers skip and what a block rewrite ({@link BlockRewriter}) drops. Series are the block-local
 * series ids of the block's index. Persisted as {@code <block>/tombstones} ({@link TombstonesFormat},
 * docs/format/tombstones.md).
 */
public final class Tombstones {
    public static final Tombstones EMPTY = new Tombstones(new int[0], new long[0][]);

    /** Sorted, unique block-local series ids. */
    private final int[] series;
    /** Per series: sorted, merged inclusive intervals as {mint0, maxt0, mint1, maxt1, ...}. */
    private final long[][] intervals;

    private Tombstones(int[] series, long[][] intervals) {
        this.series = series;
        this.intervals = intervals;
    }

    public boolean isEmpty() { return series.length == 0; }

    /** Number of series with deleted intervals. */
    public int seriesCount() { return series.length; }

    /** The i-th series id with deleted intervals, in ascending order. */
    public int seriesAt(int i) { return series[i]; }

    /** Deleted intervals of a series as {mint0, maxt0, ...} (sorted, merged), or null when it has none. */
    public long[] intervals(int seriesId) {
        int i = Arrays.binarySearch(series, seriesId);
        return i < 0 ? null : intervals[i];
    }

    /** Whether {@code [mint, maxt]} of the series lies entirely inside one deleted interval. */
    public boolean covers(int seriesId, long mint, long maxt) {
        long[] iv = intervals(seriesId);
        if (iv == null) return false;
        for (int k = 0; k < iv.length; k += 2) if (iv[k] <= mint && iv[k + 1] >= maxt) return true;
        return false;
    }

    /**
     * Removes the samples lying in deleted intervals ({@code iv} from {@link #intervals}) from {@code t[0..n)}
     * and {@code v[0..n)} (sorted by time) in place; returns the new count. Allocates nothing.
     */
    public static int filter(long[] iv, long[] t, double[] v, int n) {
        if (iv == null || n == 0) return n;
        int w = 0, k = 0;
        for (int i = 0; i < n; i++) {
            long ts = t[i];
            while (k < iv.length && iv[k + 1] < ts) k += 2;
            if (k < iv.length && iv[k] <= ts) continue;   // deleted
            t[w] = ts;
            v[w] = v[i];
            w++;
        }
        return w;
    }

    /** These tombstones plus {@code other}'s (intervals of the same series are merged). */
    public Tombstones merge(Tombstones other) {
        if (other.isEmpty()) return this;
        if (isEmpty()) return other;
        Builder b = new Builder();
        b.addAll(this);
        b.addAll(other);
        return b.build();
    }

    @Override public boolean equals(Object o) {
        return o instanceof Tombstones t && Arrays.equals(series, t.series) && Arrays.deepEquals(intervals, t.intervals);
    }

    @Override public int hashCode() { return Arrays.hashCode(series) * 31 + Arrays.deepHashCode(intervals); }

    @Override public String toString() {
        StringBuilder sb = new StringBuilder("Tombstones{");
        for (int i = 0; i < series.length; i++) {
            if (i > 0) sb.append(", ");
            sb.append(series[i]).append('=').append(Arrays.toString(intervals[i]));
        }
        return sb.append('}').toString();
    }

    /** Collects intervals; {@link #build()} sorts and merges them. */
    public static final class Builder {
        private final Map<Integer, List<long[]>> bySeries = new TreeMap<>();

        public Builder add(int seriesId, long mint, long maxt) {
            if (seriesId < 0) throw new IllegalArgumentException("negative series id " + seriesId);
            if (maxt < mint) throw new IllegalArgumentException("interval [" + mint + ", " + maxt + "] is empty");
            bySeries.computeIfAbsent(seriesId, k -> new ArrayList<>()).add(new long[]{mint, maxt});
            return this;
        }

        public Builder addAll(Tombstones t) {
            for (int i = 0; i < t.series.length; i++) {
                long[] iv = t.intervals[i];
                for (int k = 0; k < iv.length; k += 2) add(t.series[i], iv[k], iv[k + 1]);
            }
            return this;
        }

        public boolean isEmpty() { return bySeries.isEmpty(); }

        public Tombstones build() {
            if (bySeries.isEmpty()) return EMPTY;
            int[] s = new int[bySeries.size()];
            long[][] ivs = new long[s.length][];
            int i = 0;
            for (var e : bySeries.entrySet()) {
                List<long[]> l = e.getValue();
                l.sort((a, b) -> Long.compare(a[0], b[0]));
                long[] out = new long[2 * l.size()];
                int n = 0;
                for (long[] x : l) {
                    // merge overlapping and touching intervals ([1,5] + [6,9] = [1,9]: no timestamp lies between)
                    if (n > 0 && (out[n - 1] == Long.MAX_VALUE || x[0] <= out[n - 1] + 1)) {
                        out[n - 1] = Math.max(out[n - 1], x[1]);
                    } else {
                        out[n++] = x[0];
                        out[n++] = x[1];
                    }
                }
                s[i] = e.getKey();
                ivs[i++] = Arrays.copyOf(out, n);
            }
            return new Tombstones(s, ivs);
        }
    }

    // ---- file ---------------------------------------------------------------------------------------

    /** The file's bytes (see {@link TombstonesFormat}). */
    public byte[] encode() {
        int size = TombstonesFormat.PREFIX_SIZE + TombstonesFormat.CRC_SIZE;
        for (long[] iv : intervals) size += TombstonesFormat.ENTRY_HEADER_SIZE + iv.length / 2 * TombstonesFormat.INTERVAL_SIZE;
        ByteBuffer b = ByteBuffer.allocate(size);
        b.putInt(TombstonesFormat.MAGIC).put((byte) TombstonesFormat.VERSION).put((byte) 0).putShort((short) 0);
        b.putInt(series.length);
        for (int i = 0; i < series.length; i++) {
            b.putInt(series[i]).putInt(intervals[i].length / 2);
            for (long x : intervals[i]) b.putLong(x);
        }
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        return b.array();
    }

    /**
     * Parses a tombstones file.
     * @throws CorruptBlockException naming {@code file} and the section when the bytes do not follow the format
     */
    public static Tombstones decode(byte[] a, Path file) {
        if (a.length < TombstonesFormat.PREFIX_SIZE + TombstonesFormat.CRC_SIZE)
            throw new CorruptBlockException(file, TombstonesFormat.HEADER, "file too short: " + a.length + " bytes");
        ByteBuffer b = ByteBuffer.wrap(a);
        if (b.getInt(0) != TombstonesFormat.MAGIC)
            throw new CorruptBlockException(file, TombstonesFormat.HEADER, String.format("bad magic 0x%08x", b.getInt(0)));
        if (a[4] != TombstonesFormat.VERSION)
            throw new CorruptBlockException(file, TombstonesFormat.HEADER, "unsupported version " + a[4] + ", this build reads " + TombstonesFormat.VERSION);
        CRC32C crc = new CRC32C();
        crc.update(a, 0, a.length - TombstonesFormat.CRC_SIZE);
        if ((int) crc.getValue() != b.getInt(a.length - TombstonesFormat.CRC_SIZE))
            throw new CorruptBlockException(file, TombstonesFormat.CRC, "CRC32C mismatch");
        int count = b.getInt(TombstonesFormat.HEADER_SIZE);
        int end = a.length - TombstonesFormat.CRC_SIZE;
        b.position(TombstonesFormat.PREFIX_SIZE).limit(end);
        if (count < 0 || (long) count * TombstonesFormat.ENTRY_HEADER_SIZE > b.remaining())
            throw new CorruptBlockException(file, TombstonesFormat.ENTRIES, "entry count " + count + " does not fit the file");
        int[] s = new int[count];
        long[][] ivs = new long[count][];
        for (int i = 0; i < count; i++) {
            if (b.remaining() < TombstonesFormat.ENTRY_HEADER_SIZE) throw new CorruptBlockException(file, TombstonesFormat.ENTRIES, "entry " + i + " truncated");
            s[i] = b.getInt();
            int n = b.getInt();
            if (s[i] < 0 || i > 0 && s[i] <= s[i - 1])
                throw new CorruptBlockException(file, TombstonesFormat.ENTRIES, "series ids not ascending at entry " + i + ": " + s[i]);
            if (n < 1 || (long) n * TombstonesFormat.INTERVAL_SIZE > b.remaining())
                throw new CorruptBlockException(file, TombstonesFormat.ENTRIES, "entry " + i + " announces " + n + " intervals");
            long[] iv = new long[2 * n];
            for (int k = 0; k < iv.length; k += 2) {
                iv[k] = b.getLong();
                iv[k + 1] = b.getLong();
                if (iv[k + 1] < iv[k] || k > 0 && (iv[k - 1] == Long.MAX_VALUE || iv[k] <= iv[k - 1] + 1))
                    throw new CorruptBlockException(file, TombstonesFormat.ENTRIES, "intervals of series " + s[i] + " are not sorted, non-empty and disjoint");
            }
            ivs[i] = iv;
        }
        if (b.hasRemaining()) throw new CorruptBlockException(file, TombstonesFormat.ENTRIES, b.remaining() + " bytes after the last entry");
        return new Tombstones(s, ivs);
    }

    /** Reads {@code <blockDir>/tombstones}; {@link #EMPTY} when the block has none. */
    public static Tombstones read(Path blockDir) throws IOException {
        Path f = blockDir.resolve(TombstonesFormat.FILE);
        byte[] a;
        try {
            a = Files.readAllBytes(f);
        } catch (NoSuchFileException e) {
            return EMPTY;
        }
        return decode(a, f);
    }

    /**
     * Replaces {@code <blockDir>/tombstones} atomically with these tombstones (written to a temporary file,
     * fsynced, renamed, directory fsynced) through {@code fs}; empty tombstones remove the file. Never writes the
     * file in place: on any failure the previous file stays (the temporary is removed, or at the block's next open).
     */
    public void write(FileLayer fs, Path blockDir) throws IOException {
        Path f = blockDir.resolve(TombstonesFormat.FILE);
        if (isEmpty()) {
            if (fs.deleteIfExists(f)) fs.fsyncDirectory(blockDir);
            return;
        }
        Path tmp = blockDir.resolve(TombstonesFormat.TMP_FILE);
        fs.deleteIfExists(tmp);
        boolean renamed = false;
        try {
            fs.writeFileDurably(tmp, encode());
            fs.replace(tmp, f);
            renamed = true;
        } finally {
            if (!renamed) {
                try {
                    fs.deleteIfExists(tmp);
                } catch (IOException e) {
                    // removed when the block is opened next
                }
            }
        }
        fs.fsyncDirectory(blockDir);
    }
}
