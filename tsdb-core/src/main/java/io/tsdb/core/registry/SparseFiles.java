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

    /**
     * Copies {@code src} to {@code dst} (created or overwritten) through {@code fs}, leaving 64 KiB blocks of zeros
     * as holes; fsyncs it.
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
                holeAtEnd = allZero(buf);
                if (holeAtEnd) continue;   // left as a hole
                long at = pos;
                while (buf.hasRemaining()) at += out.write(buf, at);
            }
            if (holeAtEnd) {   // the length: one zero byte at the end (a channel cannot extend a file otherwise)
                ByteBuffer zero = ByteBuffer.allocate(1);
                while (zero.hasRemaining()) out.write(zero, size - 1);
            }
            out.force(true);
        }
    }

    private static boolean allZero(ByteBuffer b) {
        int i = b.position(), end = b.limit();
        for (; i + 8 <= end; i += 8) if (b.getLong(i) != 0) return false;
        for (; i < end; i++) if (b.get(i) != 0) return false;
        return true;
    }
}
