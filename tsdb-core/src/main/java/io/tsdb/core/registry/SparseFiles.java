package io.tsdb.core.registry;

import io.tsdb.core.fs.FileLayer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Copies of the registry's sparse tier files that stay sparse (snapshots, sealed tiers giving back unused blocks). */
final class SparseFiles {
    private SparseFiles() {}

    /** Granularity of the holes: the file system's usual block size (a page). */
    static final int HOLE_BYTES = 4096;

    /**
     * Copies {@code src} to {@code dst} (created or overwritten) through {@code fs}, leaving 4 KiB blocks of zeros
     * as holes; fsyncs it. (A small tier's Chronicle Map segments are a few KiB each: with 64 KiB holes a full tier of
     * 1,024 series gave back almost nothing.)
     */
    static void copy(FileLayer fs, Path src, Path dst) throws IOException {
        final int block = 64 << 10;
        ByteBuffer buf = ByteBuffer.allocateDirect(block);
        try (FileChannel in = FileChannel.open(src, StandardOpenOption.READ);
             FileChannel out = fs.open(dst, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            long size = in.size();
            boolean holeAtEnd = false;
            for (long pos = 0; pos < size; pos += block) {
                buf.clear();
                while (buf.hasRemaining() && in.read(buf, pos + buf.position()) > 0) { }
                buf.flip();
                int end = buf.limit();
                // runs of pages that hold a non-zero byte are written; pages of zeros are left as holes
                for (int from = 0; from < end; ) {
                    int to = Math.min(end, from + HOLE_BYTES);
                    holeAtEnd = allZero(buf, from, to);
                    if (holeAtEnd) {
                        from = to;
                        continue;
                    }
                    while (to < end && !allZero(buf, to, Math.min(end, to + HOLE_BYTES))) to = Math.min(end, to + HOLE_BYTES);
                    ByteBuffer run = buf.duplicate();
                    run.limit(to).position(from);
                    long at = pos + from;
                    while (run.hasRemaining()) at += out.write(run, at);
                    holeAtEnd = false;
                    from = to;
                }
            }
            if (holeAtEnd) {   // the length: one zero byte at the end (a channel cannot extend a file otherwise)
                ByteBuffer zero = ByteBuffer.allocate(1);
                while (zero.hasRemaining()) out.write(zero, size - 1);
            }
            out.force(true);
        }
    }

    private static boolean allZero(ByteBuffer b, int from, int end) {
        int i = from;
        for (; i + 8 <= end; i += 8) if (b.getLong(i) != 0) return false;
        for (; i < end; i++) if (b.get(i) != 0) return false;
        return true;
    }
}
