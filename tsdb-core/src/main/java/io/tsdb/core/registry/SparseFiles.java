package io.tsdb.core.registry;

import java.io.IOException;
import java.nio.file.Path;

/** Copies of the registry's sparse tier files that stay sparse (snapshots, sealed tiers giving back unused blocks). */
final class SparseFiles {
    private SparseFiles() {}

    /** Copies {@code src} to {@code dst} (created or overwritten), leaving 64 KiB blocks of zeros as holes; fsyncs it. */
    static void copy(Path src, Path dst) throws IOException {
        final int block = 64 << 10;
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocateDirect(block);
        try (java.nio.channels.FileChannel in = java.nio.channels.FileChannel.open(src, java.nio.file.StandardOpenOption.READ);
             java.io.RandomAccessFile out = new java.io.RandomAccessFile(dst.toFile(), "rw")) {
            java.nio.channels.FileChannel oc = out.getChannel();
            long size = in.size();
            for (long pos = 0; pos < size; pos += block) {
                buf.clear();
                while (buf.hasRemaining() && in.read(buf, pos + buf.position()) > 0) { }
                buf.flip();
                if (allZero(buf)) continue;   // left as a hole
                long at = pos;
                while (buf.hasRemaining()) at += oc.write(buf, at);
            }
            out.setLength(size);
            oc.force(true);
        }
    }

    private static boolean allZero(java.nio.ByteBuffer b) {
        int i = b.position(), end = b.limit();
        for (; i + 8 <= end; i += 8) if (b.getLong(i) != 0) return false;
        for (; i < end; i++) if (b.get(i) != 0) return false;
        return true;
    }
}
