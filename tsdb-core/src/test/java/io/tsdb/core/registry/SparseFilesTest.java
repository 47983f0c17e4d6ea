package io.tsdb.core.registry;

import io.tsdb.core.fs.FileLayer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** Sparse copies (sealed registry tiers giving back unused blocks, snapshots): same bytes, 4 KiB pages of zeros left as holes. */
class SparseFilesTest {
    @TempDir Path dir;

    /** Allocated bytes of a file (du), or -1 where du is not available. */
    private static long allocated(Path p) throws IOException, InterruptedException {
        try {
            Process pr = new ProcessBuilder("du", "--block-size=1", p.toString()).redirectErrorStream(true).start();
            String out = new String(pr.getInputStream().readAllBytes()).trim();
            return pr.waitFor() == 0 ? Long.parseLong(out.split("\\s+")[0]) : -1;
        } catch (IOException e) {
            return -1;
        }
    }

    @Test void copiesEveryByteAndLeavesPagesOfZerosAsHoles() throws Exception {
        Random r = new Random(7);
        for (int size : new int[]{1, 4095, 4096, 70_000, 300_001, 1 << 20}) {
            byte[] b = new byte[size];
            int written = 0;
            for (int page = 0; page * 4096 < size; page++) {
                if (r.nextInt(4) != 0) continue;   // three pages in four stay zero
                int at = page * 4096 + r.nextInt(Math.min(4096, size - page * 4096));
                b[at] = (byte) (1 + r.nextInt(255));
                written++;
            }
            Path src = dir.resolve("src-" + size), dst = dir.resolve("dst-" + size);
            Files.write(src, b);
            Files.write(dst, new byte[]{9, 9, 9});   // overwritten
            SparseFiles.copy(FileLayer.SYSTEM, src, dst);
            assertArrayEquals(b, Files.readAllBytes(dst), "size " + size);
            long alloc = allocated(dst);
            if (alloc >= 0 && size == 1 << 20) {
                // a quarter of the pages hold data: with 64 KiB holes nearly every block would be written (each has a
                // non-zero page with probability 1 - 0.75^16 = 99 %); file systems may allocate a little more than asked
                assertTrue(alloc <= size / 2, alloc + " bytes allocated for " + written + " non-zero pages of 4 KiB");
            }
        }
    }
}
