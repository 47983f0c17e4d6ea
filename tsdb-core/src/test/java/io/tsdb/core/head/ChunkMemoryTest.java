package io.tsdb.core.head;

import io.tsdb.core.fs.FileLayer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class ChunkMemoryTest {
    @TempDir Path dir;

    @Test void everyLengthGetsTheSmallestClassThatHoldsIt() {
        for (int len = 1; len <= 32768; len++) {
            int c = ChunkMemory.sizeClass(len);
            assertTrue(ChunkMemory.CLASS_BYTES[c] >= len, "len " + len);
            assertTrue(c == 0 || ChunkMemory.CLASS_BYTES[c - 1] < len, "len " + len + " could use a smaller class");
        }
        assertThrows(IllegalArgumentException.class, () -> ChunkMemory.sizeClass(32769));
    }

    /** Off-heap size classes, or segment files of 1 MiB (many segments, rotated and deleted as chunks are freed). */
    @ParameterizedTest(name = "files={0}")
    @ValueSource(booleans = {false, true})
    void chunksNeverOverlapAndKeepTheirBytes(boolean inFiles) throws IOException {
        HeadChunkFiles files = inFiles ? HeadChunkFiles.open(FileLayer.SYSTEM, dir.resolve("chunks_head"), 1 << 20) : null;
        ChunkMemory mem = new ChunkMemory(files);
        Random r = new Random(4);
        List<long[]> live = new ArrayList<>();   // {addr, len, seed}
        for (int i = 0; i < 20_000; i++) {
            if (!live.isEmpty() && r.nextInt(3) == 0) {
                long[] b = live.remove(r.nextInt(live.size()));
                check(mem, b);
                mem.free(b[0], (int) b[1]);
                continue;
            }
            int len = 1 + (r.nextInt(10) == 0 ? r.nextInt(5000) : r.nextInt(300));
            int seed = r.nextInt();
            Random fill = new Random(seed);
            byte[] bytes = new byte[len];
            for (int k = 0; k < len; k++) bytes[k] = (byte) fill.nextInt();
            long addr = mem.store(bytes, len);
            assertTrue(addr >= 0 && addr < 1L << ChunkMemory.ADDRESS_BITS, "address fits its bits: " + addr);
            assertEquals(inFiles, (addr & ChunkMemory.FILE_BIT) != 0, "stored where asked");
            if (!inFiles) assertTrue(ChunkMemory.capacity(addr) >= len);
            live.add(new long[]{addr, len, seed});
        }
        for (long[] b : live) check(mem, b);
        assertTrue(mem.bytesInUse() <= mem.bytesReserved());
        if (inFiles) {
            assertEquals(live.stream().mapToLong(b -> b[1]).sum(), files.liveBytes());
            for (long[] b : live) mem.free(b[0], (int) b[1]);
            assertEquals(0, files.liveBytes());
            assertEquals(0, files.segments(), "every segment went with its last chunk, the one being appended to too");
            files.close();
            assertEquals(0, files.segments());
        }
    }

    private static void check(ChunkMemory mem, long[] b) {
        Random fill = new Random((int) b[2]);
        for (int k = 0; k < b[1]; k++) assertEquals((byte) fill.nextInt(), mem.buffer(b[0]).getByte(mem.offset(b[0]) + k), "chunk " + b[0] + " byte " + k);
    }
}
