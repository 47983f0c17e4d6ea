package io.tsdb.core.head;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * Off-heap memory for head chunks: one fixed-size arena for open (appendable) chunks and size classes for
 * closed (re-encoded, immutable) chunks: every multiple of 16 bytes from 32 to 256 (closed chunks of a
 * full open chunk are typically 60-130 bytes, so a block wastes at most 15 bytes), then powers of two up to
 * 32 KiB. A closed chunk is addressed by a packed int: size class in the top 5 bits, arena reference below.
 */
public final class ChunkMemory {
    public static final int OPEN_CHUNK_BYTES = 256;
    /** Block size of each closed-chunk size class, ascending. */
    static final int[] CLASS_BYTES = {32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256,
            512, 1024, 2048, 4096, 8192, 16384, 32768};
    private final OffHeapArena open = new OffHeapArena(OPEN_CHUNK_BYTES);
    private final OffHeapArena[] classes = new OffHeapArena[CLASS_BYTES.length];

    public ChunkMemory() {
        for (int i = 0; i < classes.length; i++) classes[i] = new OffHeapArena(CLASS_BYTES[i]);
    }

    OffHeapArena openArena() { return open; }

    /** Allocates room for {@code len} bytes; returns the packed address. */
    int allocate(int len) {
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

    void free(int addr) { classes[addr >>> 27].free(addr & ((1 << 27) - 1)); }

    UnsafeBuffer buffer(int addr) { return classes[addr >>> 27].slab(addr & ((1 << 27) - 1)); }

    int offset(int addr) { return classes[addr >>> 27].offset(addr & ((1 << 27) - 1)); }

    static int capacity(int addr) { return CLASS_BYTES[addr >>> 27]; }

    /** Off-heap bytes reserved (slabs allocated). */
    public long bytesReserved() {
        long sum = open.bytesReserved();
        for (OffHeapArena a : classes) sum += a.bytesReserved();
        return sum;
    }

    /** Off-heap bytes handed out to chunks. */
    public long bytesInUse() {
        long sum = open.bytesInUse();
        for (OffHeapArena a : classes) sum += a.bytesInUse();
        return sum;
    }
}
