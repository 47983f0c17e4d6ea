package io.tsdb.core.block;

import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SampleCursor;
import io.tsdb.core.SeriesSet;
import io.tsdb.core.testing.MemStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Any flipped byte in the index or chunks file is detected with an exception naming file and section. */
class BlockCorruptionTest {
    @TempDir Path dir;

    private Path writeSmallBlock() throws Exception {
        MemStorage mem = BlockTestData.randomStorage(17, 12, 0, 600_000);
        try (Querier q = mem.querier(0, 600_000)) {
            return dir.resolve(new BlockWriter(dir).maxSamplesPerChunk(20).write(q.select(List.of()), 0, 600_000).ulid());
        }
    }

    /** Opens the block and reads every sample. */
    private static long readAll(Path blockDir) throws Exception {
        long n = 0;
        try (Block b = Block.open(blockDir); Querier q = b.querier(Long.MIN_VALUE, Long.MAX_VALUE)) {
            SeriesSet s = q.select(List.of(Matcher.re("__name__", ".+")));
            while (s.next()) {
                SampleCursor c = s.cursor();
                while (c.next()) n += c.timestamp() > Long.MIN_VALUE ? 1 : 0;
            }
        }
        return n;
    }

    @Test void everyFlippedIndexByteIsDetected() throws Exception {
        Path block = writeSmallBlock();
        long samples = readAll(block);
        Path index = block.resolve(BlockIndexFormat.FILE);
        byte[] orig = Files.readAllBytes(index);
        assertTrue(orig.length > 200);
        for (int pos = 0; pos < orig.length; pos++) {
            for (int mask : new int[]{0x01, 0x80}) {
                byte[] bad = orig.clone();
                bad[pos] ^= (byte) mask;
                Files.write(index, bad);
                final int p = pos;
                CorruptBlockException e = assertThrows(CorruptBlockException.class, () -> readAll(block), () -> "flip at index byte " + p);
                assertEquals(index, e.file());
                assertTrue(e.getMessage().contains(index.toString()) && e.getMessage().contains("section " + e.section()), e.getMessage());
            }
        }
        Files.write(index, orig);
        assertEquals(samples, readAll(block));
    }

    @Test void everyFlippedChunkByteIsDetected() throws Exception {
        Path block = writeSmallBlock();
        long samples = readAll(block);
        Path seg = ChunksFileFormat.segmentPath(block, 1);
        byte[] orig = Files.readAllBytes(seg);
        assertTrue(orig.length > 200);
        for (int pos = 0; pos < orig.length; pos++) {
            byte[] bad = orig.clone();
            bad[pos] ^= (byte) (1 << (pos % 8));
            Files.write(seg, bad);
            final int p = pos;
            CorruptBlockException e = assertThrows(CorruptBlockException.class, () -> readAll(block), () -> "flip at chunks byte " + p);
            assertEquals(seg, e.file());
            if (pos >= ChunksFileFormat.HEADER_SIZE) assertTrue(e.section().startsWith("chunk@000001:"), e.getMessage());
            else assertEquals("header", e.section());
        }
        Files.write(seg, orig);
        assertEquals(samples, readAll(block));
    }

    @Test void truncatedFilesAreDetected() throws Exception {
        Path block = writeSmallBlock();
        Path index = block.resolve(BlockIndexFormat.FILE);
        byte[] orig = Files.readAllBytes(index);
        for (int len : new int[]{0, 7, 8, 60, orig.length / 2, orig.length - 1}) {
            Files.write(index, java.util.Arrays.copyOf(orig, len));
            assertThrows(CorruptBlockException.class, () -> readAll(block), "index truncated to " + len);
        }
        Files.write(index, orig);
        Path seg = ChunksFileFormat.segmentPath(block, 1);
        byte[] c = Files.readAllBytes(seg);
        Files.write(seg, java.util.Arrays.copyOf(c, c.length - 3));
        CorruptBlockException e = assertThrows(CorruptBlockException.class, () -> readAll(block));
        assertTrue(e.getMessage().contains("000001"), e.getMessage());
    }

    @Test void brokenMetaIsNamed() throws Exception {
        Path block = writeSmallBlock();
        Path meta = block.resolve(BlockMeta.FILE);
        String json = Files.readString(meta);
        Files.writeString(meta, json.substring(0, json.length() / 2));
        CorruptBlockException e = assertThrows(CorruptBlockException.class, () -> Block.open(block));
        assertTrue(e.getMessage().contains(meta.toString()), e.getMessage());
        Files.writeString(meta, json.replace("\"version\" : 1", "\"version\" : 9"));
        e = assertThrows(CorruptBlockException.class, () -> Block.open(block));
        assertTrue(e.getMessage().contains("unsupported meta version 9"), e.getMessage());
        Files.writeString(meta, json.replaceFirst("\"numSeries\" : \\d+", "\"numSeries\" : 999"));
        e = assertThrows(CorruptBlockException.class, () -> Block.open(block));
        assertTrue(e.getMessage().contains("meta.json says 999"), e.getMessage());
    }
}
