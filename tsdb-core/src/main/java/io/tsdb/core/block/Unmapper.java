package io.tsdb.core.block;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.MappedByteBuffer;

/**
 * Releases a memory mapping now instead of when the garbage collector finds the buffer unreachable, so a
 * deleted block stops holding disk space and address space as soon as its last reader is done. Uses
 * {@code sun.misc.Unsafe.invokeCleaner} from the {@code jdk.unsupported} module, which is exported and open
 * on JDK 9+ without any command-line flag. If that is unavailable the mapping is left to the GC (logged once).
 *
 * <p>The caller guarantees that nothing reads the buffer, or a slice or duplicate of it, afterwards: such a
 * read would crash the JVM. Blocks call this only when their reference count reaches zero.
 */
final class Unmapper {
    private static final Logger LOG = LoggerFactory.getLogger(Unmapper.class);
    private static final Object UNSAFE;
    private static final Method INVOKE_CLEANER;

    static {
        Object unsafe = null;
        Method m = null;
        try {
            Class<?> c = Class.forName("sun.misc.Unsafe");
            Field f = c.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            unsafe = f.get(null);
            m = c.getMethod("invokeCleaner", java.nio.ByteBuffer.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn("cannot unmap block files explicitly ({}); mappings are released by the garbage collector", e.toString());
            unsafe = null;
            m = null;
        }
        UNSAFE = unsafe;
        INVOKE_CLEANER = m;
    }

    private Unmapper() {}

    /** Whether {@link #unmap} releases mappings immediately. */
    static boolean supported() { return INVOKE_CLEANER != null; }

    /** Unmaps {@code buf} (a buffer returned by {@code FileChannel.map}, not a slice); null is ignored. */
    static void unmap(MappedByteBuffer buf) {
        if (buf == null || INVOKE_CLEANER == null) return;
        try {
            INVOKE_CLEANER.invoke(UNSAFE, buf);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn("cannot unmap a block file: {}", e.toString());
        }
    }
}
