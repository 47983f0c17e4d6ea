package io.tsdb.core.head;

import org.agrona.collections.IntArrayList;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.BitSet;

/**
 * Off-heap memory for head chunks: direct slabs carved into fixed-size blocks, addressed by an int reference
 * ({@code slab * blocksPerSlab + block}), with a free list. Allocation is synchronised; reads of an allocated block
 * need no lock.
 *
 * <p><b>Slabs are given back.</b> A head flush freezes every series' open chunk and gives each active series a new
 * one, so for the time the frozen samples take to reach a block the arena holds two open chunks per active series;
 * then the frozen half is freed at once. Without giving slabs back, that high-water mark stayed for good: a soak of
 * 200,000 series with 5 % replaced a minute grew the open-chunk arena from 81 to 130 MB at its first flush. Once at
 * least {@link #MIN_EMPTY_TO_RELEASE} slabs and a quarter of the slabs hold no allocated block, those slabs leave the
 * table and their free blocks leave the free list; a later allocation that finds the free list empty takes the
 * lowest released slab number again (so references stay below the high-water mark of slabs in use).
 *
 * <p>A released slab's memory is freed by the garbage collector (its direct buffer's cleaner), never explicitly:
 * code that still holds the slab's {@link UnsafeBuffer} (an appender that has not been reset since its block was
 * freed) keeps it valid, so a release can never turn a stale read into a crash. {@code slabs} is copy-on-write
 * (volatile): a reader resolves an allocated reference without a lock. The launcher sets glibc's mmap threshold
 * (MALLOC_MMAP_THRESHOLD_) so that a slab is its own mapping and its memory returns to the system when freed.
 */
public final class OffHeapArena {
    /** Slab size: small enough that a partly used slab per size class stays cheap with 100k series. */
    private static final int SLAB_BYTES = 1 << 20;
    /** Empty slabs below this many are kept for reuse (a flush of a small head gives nothing back). */
    static final int MIN_EMPTY_TO_RELEASE = 4;

    private final int blockSize;
    private final int blocksPerSlab;
    private volatile UnsafeBuffer[] slabs = new UnsafeBuffer[0];
    /** Allocated blocks per slab (index = slab number). */
    private int[] used = new int[0];
    /** Free blocks of present slabs. */
    private final IntArrayList free = new IntArrayList();
    /** Slab numbers below {@code slabs.length} whose slab was released. */
    private final BitSet released = new BitSet();
    private int present;
    private int empty;
    private long inUse;

    public OffHeapArena(int blockSize) {
        if (blockSize < 16 || blockSize % 16 != 0 || blockSize > SLAB_BYTES) throw new IllegalArgumentException("block size " + blockSize);
        this.blockSize = blockSize;
        this.blocksPerSlab = SLAB_BYTES / blockSize;
    }

    public int blockSize() { return blockSize; }

    public synchronized int allocate() {
        if (free.isEmpty()) addSlab();
        int ref = free.removeAt(free.size() - 1);
        int slab = ref / blocksPerSlab;
        if (used[slab]++ == 0) empty--;
        inUse++;
        return ref;
    }

    /** A new slab (the lowest released number, else the next one), all of its blocks free. */
    private void addSlab() {
        int slab = released.nextSetBit(0);
        UnsafeBuffer[] s;
        if (slab >= 0) {
            released.clear(slab);
            s = slabs.clone();
        } else {
            slab = slabs.length;
            s = Arrays.copyOf(slabs, slab + 1);
            used = Arrays.copyOf(used, slab + 1);
        }
        s[slab] = new UnsafeBuffer(ByteBuffer.allocateDirect(SLAB_BYTES));
        slabs = s;
        present++;
        empty++;
        int base = slab * blocksPerSlab;
        for (int i = blocksPerSlab - 1; i >= 0; i--) free.addInt(base + i);   // lowest offsets first
    }

    public synchronized void free(int ref) {
        inUse--;
        free.addInt(ref);
        if (--used[ref / blocksPerSlab] == 0 && ++empty >= MIN_EMPTY_TO_RELEASE && 4 * empty >= present) releaseEmpty();
    }

    /** Releases every slab without an allocated block and drops their blocks from the free list. */
    private void releaseEmpty() {
        UnsafeBuffer[] s = slabs.clone();
        for (int i = 0; i < s.length; i++) {
            if (s[i] != null && used[i] == 0) {
                s[i] = null;
                released.set(i);
                present--;
            }
        }
        empty = 0;
        int n = 0;
        for (int i = 0, size = free.size(); i < size; i++) {
            int ref = free.getInt(i);
            if (s[ref / blocksPerSlab] != null) free.setInt(n++, ref);
        }
        while (free.size() > n) free.removeAt(free.size() - 1);
        slabs = s;
    }

    public UnsafeBuffer slab(int ref) { return slabs[ref / blocksPerSlab]; }

    public int offset(int ref) { return (ref % blocksPerSlab) * blockSize; }

    public synchronized long bytesReserved() { return (long) present * SLAB_BYTES; }

    public synchronized long bytesInUse() { return inUse * blockSize; }
}
