package io.tsdb.core.head;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.collections.IntArrayList;

import java.nio.ByteBuffer;

/**
 * Off-heap memory for head chunks: direct slabs carved into fixed-size blocks, addressed by an int
 * reference, with a free list. Allocation is synchronised; reads of an allocated block need no lock.
 */
public final class OffHeapArena {
    /** Slab size: small enough that a partly used slab per size class stays cheap with 100k series. */
    private static final int SLAB_BYTES = 1 << 20;

    private final int blockSize;
    private final int blocksPerSlab;
    private volatile UnsafeBuffer[] slabs = new UnsafeBuffer[0];
    private final IntArrayList free = new IntArrayList();
    private int nextFresh;
    private long inUse;

    public OffHeapArena(int blockSize) {
        if (blockSize < 16 || blockSize % 16 != 0 || blockSize > SLAB_BYTES) throw new IllegalArgumentException("block size " + blockSize);
        this.blockSize = blockSize;
        this.blocksPerSlab = SLAB_BYTES / blockSize;
    }

    public int blockSize() { return blockSize; }

    public synchronized int allocate() {
        inUse++;
        if (!free.isEmpty()) return free.removeAt(free.size() - 1);
        int ref = nextFresh++;
        int slab = ref / blocksPerSlab;
        if (slab >= slabs.length) {
            UnsafeBuffer[] grown = java.util.Arrays.copyOf(slabs, slab + 1);
            grown[slab] = new UnsafeBuffer(ByteBuffer.allocateDirect(SLAB_BYTES));
            slabs = grown;
        }
        return ref;
    }

    public synchronized void free(int ref) {
        inUse--;
        free.addInt(ref);
    }

    public UnsafeBuffer slab(int ref) { return slabs[ref / blocksPerSlab]; }

    public int offset(int ref) { return (ref % blocksPerSlab) * blockSize; }

    public synchronized long bytesReserved() { return (long) slabs.length * SLAB_BYTES; }

    public synchronized long bytesInUse() { return inUse * blockSize; }
}
