package io.tsdb.core.block;

import org.agrona.IoUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.MappedByteBuffer;

/**
 * Releases a memory mapping now instead of when the garbage collector finds the buffer unreachable, so a
 * deleted block stops holding disk space and address space as soon as its last reader is done. Delegates to
 * Agrona's {@link IoUtil#unmap(MappedByteBuffer)} (the JDK's cleaner, reached through the module flags the
 * jar and the build already pass for Agrona). If unmapping fails the mapping is left to the GC (logged).
 *
 * <p>The caller guarantees that nothing reads the buffer, or a slice or duplicate of it, afterwards: such a
 * read would crash the JVM. Blocks call this only when their reference count reaches zero.
 */
final class Unmapper {
    private static final Logger LOG = LoggerFactory.getLogger(Unmapper.class);

    private Unmapper() {}

    /** Unmaps {@code buf} (a buffer returned by {@code FileChannel.map}, not a slice); null is ignored. */
    static void unmap(MappedByteBuffer buf) {
        if (buf == null) return;
        try {
            IoUtil.unmap(buf);
        } catch (RuntimeException | LinkageError e) {
            LOG.warn("cannot unmap a block file, leaving it to the garbage collector: {}", e.toString());
        }
    }
}
