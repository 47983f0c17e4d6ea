package io.tsdb.core.head;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class ChunkMemoryTest {
    @Test void everyLengthGetsTheSmallestClassThatHoldsIt() {
        for (int len = 1; len <= 32768; len++) {
            int c = ChunkMemory.sizeClass(len);
            assertTrue(ChunkMemory.CLASS_BYTES[c] >= len, "len " + len);
            assertTrue(c == 0 || ChunkMemory.CLASS_BYTES[c - 1] < len, "len " + len + " could use a smaller class");
        }
        assertThrows(IllegalArgumentException.class, () -> ChunkMemory.sizeClass(32769));
    }

    @Test void blocksOfAllClassesNeverOverlapAndKeepTheirBytes() {
        ChunkMemory mem = new ChunkMemory();
        Random r = new Random(4);
        List<int[]> live = new ArrayList<>();   // {addr, len, seed}
        for (int i = 0; i < 20_000; i++) {
            if (!live.isEmpty() && r.nextInt(3) == 0) {
                int[] b = live.remove(r.nextInt(live.size()));
                check(mem, b);
                mem.free(b[0]);
                continue;
            }
            int len = 1 + (r.nextInt(10) == 0 ? r.nextInt(5000) : r.nextInt(300));
            int addr = mem.allocate(len);
            assertTrue(ChunkMemory.capacity(addr) >= len);
            int seed = r.nextInt();
            Random fill = new Random(seed);
            for (int k = 0; k < len; k++) mem.buffer(addr).putByte(mem.offset(addr) + k, (byte) fill.nextInt());
            live.add(new int[]{addr, len, seed});
        }
        for (int[] b : live) check(mem, b);
        assertTrue(mem.bytesInUse() <= mem.bytesReserved());
    }

    private static void check(ChunkMemory mem, int[] b) {
        Random fill = new Random(b[2]);
        for (int k = 0; k < b[1]; k++) assertEquals((byte) fill.nextInt(), mem.buffer(b[0]).getByte(mem.offset(b[0]) + k), "block " + b[0] + " byte " + k);
    }
}
