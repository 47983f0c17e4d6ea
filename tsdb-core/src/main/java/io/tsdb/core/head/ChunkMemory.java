package io.tsdb.core.head;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * Memory for head chunks: one fixed-size off-heap arena for open (appendable) chunks; closed (re-encoded,
 * immutable) chunks go to the memory-mapped segment files of {@link HeadChunkFiles} when the head has them, else
 * (and whenever a file write fails) to off-heap size classes: every multiple of 16 bytes from 32 to 256 (closed
 * chunks of a full open chunk are typically 60-130 bytes, so a block wastes at most 15 bytes), then powers of two up
 * to 32 KiB.
 *
 * <p>A closed chunk's address is a 40-bit number: bit 39 set for a chunk in a segment file (the segment's location
 * below it, see {@link HeadChunkFiles#write}); clear for off-heap memory (size class in bits 31..27, arena
 * reference below).
 */
public final class ChunkMemory {
    /** Set in the address of a chunk held in a segment file. */
    static final long FILE_BIT = 1L << 39;
    /** Bits of a closed chunk's address. */
    static final int ADDRESS_BITS = 40;
    private final HeadChunkFiles files;
    public static final int OPEN_CHUNK_BYTES = 256;
    /** Block size of each closed-chunk size class, ascending. */
    static final int[] CLASS_BYTES = {32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256,
            512, 1024, 2048, 4096, 8192, 16384, 32768};
    /**
     * Block of a chunk's first sample: room for the header and one sample (the appender wants 32 bytes free before
     * each); the chunk moves to an {@link #OPEN_CHUNK_BYTES} block at its second. A series that gets one sample (a
     * burst of brand-new series, a series that went quiet and came back once) holds 48 bytes, not 256.
     */
    public static final int FIRST_CHUNK_BYTES = 48;
    private final OffHeapArena open = new OffHeapArena(OPEN_CHUNK_BYTES);
    private final OffHeapArena first = new OffHeapArena(FIRST_CHUNK_BYTES);
    private final OffHeapArena[] classes = new OffHeapArena[CLASS_BYTES.length];

    /** Closed chunks in off-heap memory only. */
    public ChunkMemory() { this(null); }

    /** Closed chunks in {@code files} (null: off-heap memory only). */
    public ChunkMemory(HeadChunkFiles files) {
        this.files = files;
        for (int i = 0; i < classes.length; i++) classes[i] = new OffHeapArena(CLASS_BYTES[i]);
    }

    OffHeapArena openArena() { return open; }

    /** The arena of {@link #FIRST_CHUNK_BYTES} blocks. */
    OffHeapArena firstArena() { return first; }

    /** Stores a closed chunk's {@code len} bytes of {@code src}; returns its address. */
    long store(byte[] src, int len) {
        if (files != null) {
            long loc = files.write(src, len);
            if (loc >= 0) return FILE_BIT | loc;
        }
        int addr = allocate(len);
        classes[addr >>> 27].slab(addr & ((1 << 27) - 1)).putBytes(classes[addr >>> 27].offset(addr & ((1 << 27) - 1)), src, 0, len);
        return addr & 0xffffffffL;
    }

    /** Allocates off-heap room for {@code len} bytes; returns the packed address. */
    private int allocate(int len) {
        int c = sizeClass(len);
        int ref = classes[c].allocate();
        if (ref >= (1 << 27)) throw new IllegalStateException("head chunk memory exhausted in size class " + CLASS_BYTES[c]);
        return (c << 27) | ref;
    }

    /** The smallest size class holding {@code len} bytes. */
    static int sizeClass(int len) {
        if (len <= 256) return Math.max(0, (len + 15 >> 4) - 2);
        int shift = 32 - Integer.numberOfLeadingZeros(len - 1);   // 9 (512) .. 15 (32 KiB)
        if (shift > 15) throw new IllegalArgumentException("closed chunk of " + len + " bytes is too large");
        return 15 + shift - 9;
    }

    /** Frees the closed chunk of {@code len} bytes at {@code addr}. */
    void free(long addr, int len) {
        if ((addr & FILE_BIT) != 0) files.free(addr & ~FILE_BIT, len);
        else classes[(int) addr >>> 27].free((int) addr & ((1 << 27) - 1));
    }

    UnsafeBuffer buffer(long addr) {
        if ((addr & FILE_BIT) != 0) return files.buffer(addr & ~FILE_BIT);
        return classes[(int) addr >>> 27].slab((int) addr & ((1 << 27) - 1));
    }

    int offset(long addr) {
        if ((addr & FILE_BIT) != 0) return HeadChunkFiles.offset(addr);
        return classes[(int) addr >>> 27].offset((int) addr & ((1 << 27) - 1));
    }

    /** Process memory a closed chunk takes: its size class off-heap, nothing for a chunk in a segment file. */
    static int capacity(long addr) { return (addr & FILE_BIT) != 0 ? 0 : CLASS_BYTES[(int) addr >>> 27]; }

    /** The segment files (null when closed chunks are kept in memory only). */
    public HeadChunkFiles files() { return files; }

    /** Off-heap bytes reserved (slabs allocated). */
    public long bytesReserved() {
        long sum = open.bytesReserved() + first.bytesReserved();
        for (OffHeapArena a : classes) sum += a.bytesReserved();
        return sum;
    }

    /** Off-heap bytes handed out to chunks. */
    public long bytesInUse() {
        long sum = open.bytesInUse() + first.bytesInUse();
        for (OffHeapArena a : classes) sum += a.bytesInUse();
        return sum;
    }
}
