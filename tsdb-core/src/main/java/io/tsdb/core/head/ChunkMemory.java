package io.tsdb.core.head;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * Off-heap memory for head chunks: one fixed-size arena for open (appendable) chunks and power-of-two
 * size classes for closed (re-encoded, immutable) chunks. A closed chunk is addressed by a packed int:
 * size class in the top 5 bits, arena reference below.
 */
public final class ChunkMemory {
    public static final int OPEN_CHUNK_BYTES = 256;
    static final int MIN_CLASS_SHIFT = 5;    // 32 bytes
    static final int MAX_CLASS_SHIFT = 15;   // 32 KiB
    private final OffHeapArena open = new OffHeapArena(OPEN_CHUNK_BYTES);
    private final OffHeapArena[] classes = new OffHeapArena[MAX_CLASS_SHIFT - MIN_CLASS_SHIFT + 1];

    public ChunkMemory() {
        for (int i = 0; i < classes.length; i++) classes[i] = new OffHeapArena(1 << (MIN_CLASS_SHIFT + i));
    }

    OffHeapArena openArena() { return open; }

    /** Allocates room for {@code len} bytes; returns the packed address. */
    int allocate(int len) {
        int shift = Math.max(MIN_CLASS_SHIFT, 32 - Integer.numberOfLeadingZeros(len - 1));
        if (shift > MAX_CLASS_SHIFT) throw new IllegalArgumentException("closed chunk of " + len + " bytes is too large");
        int c = shift - MIN_CLASS_SHIFT;
        int ref = classes[c].allocate();
        if (ref >= (1 << 27)) throw new IllegalStateException("head chunk memory exhausted in size class " + (1 << shift));
        return (c << 27) | ref;
    }

    void free(int addr) { classes[addr >>> 27].free(addr & ((1 << 27) - 1)); }

    UnsafeBuffer buffer(int addr) { return classes[addr >>> 27].slab(addr & ((1 << 27) - 1)); }

    int offset(int addr) { return classes[addr >>> 27].offset(addr & ((1 << 27) - 1)); }

    static int capacity(int addr) { return 1 << ((addr >>> 27) + MIN_CLASS_SHIFT); }

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
