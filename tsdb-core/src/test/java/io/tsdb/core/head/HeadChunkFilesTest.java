package io.tsdb.core.head;

import io.tsdb.core.fs.FaultInjectingFileLayer;
import io.tsdb.core.fs.FileLayer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** The head's closed chunks in segment files: layout, deletion of freed segments, and the fallback to memory. */
class HeadChunkFilesTest {
    @TempDir Path dir;

    private List<String> segmentFiles(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).filter(HeadChunkFormat::isSegmentName).sorted().toList();
        }
    }

    @Test void openDeletesWhatAPreviousRunLeftButNothingElse() throws IOException {
        Path d = Files.createDirectories(dir.resolve(HeadChunkFormat.DIR));
        Files.write(d.resolve(HeadChunkFormat.segmentName(7)), new byte[100]);
        Files.write(d.resolve("notes.txt"), new byte[1]);
        HeadChunkFiles f = HeadChunkFiles.open(FileLayer.SYSTEM, d);
        assertEquals(List.of(), segmentFiles(d));
        assertTrue(Files.exists(d.resolve("notes.txt")));
        f.close();
    }

    @Test void segmentsHaveTheDocumentedHeaderAndChunkBytesAndGoAwayWhenFreed() throws IOException {
        Path d = dir.resolve(HeadChunkFormat.DIR);
        HeadChunkFiles f = HeadChunkFiles.open(FileLayer.SYSTEM, d, 4096);
        List<long[]> chunks = new ArrayList<>();   // {location, len}
        for (int i = 0; i < 100; i++) {
            byte[] b = new byte[100];
            for (int k = 0; k < b.length; k++) b[k] = (byte) (i + k);
            long loc = f.write(b, b.length);
            assertTrue(loc >= 0);
            chunks.add(new long[]{loc, b.length});
        }
        List<String> names = segmentFiles(d);
        assertEquals(3, names.size(), "4 KiB segments of 8 + 40 x 100 bytes: " + names);
        assertEquals(HeadChunkFormat.segmentName(1), names.get(0));
        byte[] first = Files.readAllBytes(d.resolve(names.get(0)));
        assertEquals(HeadChunkFormat.MAGIC, java.nio.ByteBuffer.wrap(first).getInt(0));
        assertEquals(HeadChunkFormat.VERSION, first[4]);
        assertEquals(HeadChunkFormat.HEADER_SIZE, HeadChunkFiles.offset(chunks.get(0)[0]), "first chunk right after the header");
        for (int k = 0; k < 100; k++) assertEquals((byte) (1 + k), first[HeadChunkFormat.HEADER_SIZE + 100 + k], "second chunk's bytes in the file");
        for (int i = 0; i < 100; i++) {
            long loc = chunks.get(i)[0];
            for (int k = 0; k < 100; k++) assertEquals((byte) (i + k), f.buffer(loc).getByte(HeadChunkFiles.offset(loc) + k), "chunk " + i + " read through the mapping");
        }
        for (int i = 0; i < 40; i++) f.free(chunks.get(i)[0], 100);   // every chunk of the first segment
        assertEquals(names.subList(1, 3), segmentFiles(d), "a segment whose chunks are all freed is deleted");
        for (int i = 40; i < 80; i++) f.free(chunks.get(i)[0], 100);
        assertEquals(List.of(names.get(2)), segmentFiles(d), "the segment being appended to stays while it holds chunks");
        for (int i = 80; i < 100; i++) f.free(chunks.get(i)[0], 100);
        assertEquals(List.of(), segmentFiles(d), "and goes with its last chunk: its disk blocks are given back");
        assertEquals(0, f.liveBytes());
        long loc = f.write(new byte[100], 100);
        assertEquals(List.of(HeadChunkFormat.segmentName(4)), segmentFiles(d), "the next chunk starts a new segment");
        assertEquals(HeadChunkFormat.HEADER_SIZE, HeadChunkFiles.offset(loc));
        f.close();
        assertEquals(List.of(), segmentFiles(d), "close deletes the files: they are not durable");
        assertEquals(-1, f.write(new byte[10], 10), "closed");
    }

    /** A flush cuts the segment: the flushed chunks' segment goes when they are freed, though newer chunks are live. */
    @Test void aCutSegmentIsDeletedWithItsChunksWhileTheNextTakesNewChunks() throws IOException {
        Path d = dir.resolve(HeadChunkFormat.DIR);
        HeadChunkFiles f = HeadChunkFiles.open(FileLayer.SYSTEM, d, 1 << 20);
        long[] old = new long[10];
        for (int i = 0; i < old.length; i++) old[i] = f.write(new byte[100], 100);
        f.cutSegment();
        assertEquals(List.of(HeadChunkFormat.segmentName(1)), segmentFiles(d), "kept while its chunks are live");
        byte[] b = {1, 2, 3, 4, 5};
        long next = f.write(b, b.length);
        assertEquals(List.of(HeadChunkFormat.segmentName(1), HeadChunkFormat.segmentName(2)), segmentFiles(d));
        for (long loc : old) f.free(loc, 100);
        assertEquals(List.of(HeadChunkFormat.segmentName(2)), segmentFiles(d), "the cut segment went with its last chunk");
        for (int k = 0; k < b.length; k++) assertEquals(b[k], f.buffer(next).getByte(HeadChunkFiles.offset(next) + k));
        f.cutSegment();
        f.free(next, b.length);
        assertEquals(List.of(), segmentFiles(d));
        f.cutSegment();   // nothing to cut
        assertEquals(List.of(), segmentFiles(d));
        f.close();
    }

    @Test void aFailedWriteKeepsTheChunkInMemoryAndNothingIsLost() throws IOException {
        FaultInjectingFileLayer fs = new FaultInjectingFileLayer();
        HeadChunkFiles files = HeadChunkFiles.open(fs, dir.resolve(HeadChunkFormat.DIR), 1 << 20);
        ChunkMemory mem = new ChunkMemory(files);
        ChunkedSamples c = new ChunkedSamples(mem);
        int n = 20_000;
        for (int i = 0; i < n / 2; i++) c.append(i * 1000L, i);
        long written = files.liveBytes();
        assertTrue(written > 0, "closed chunks went to the file");
        assertEquals(0, mem.bytesInUse() - ChunkMemory.OPEN_CHUNK_BYTES, "only the open chunk is in memory");
        fs.on(FaultInjectingFileLayer.Op.WRITE, ".*chunks_head.*").always().message("No space left on device");
        for (int i = n / 2; i < n; i++) c.append(i * 1000L, i);
        assertTrue(files.writeFailures() >= 1);
        assertEquals(written, files.liveBytes(), "nothing more in the file");
        assertTrue(mem.bytesInUse() > ChunkMemory.OPEN_CHUNK_BYTES, "chunks cut during the fault are in memory");
        SampleBuffer b = new SampleBuffer(16);
        c.read(Long.MIN_VALUE, Long.MAX_VALUE, b);
        assertEquals(n, b.n);
        for (int i = 0; i < n; i++) {
            assertEquals(i * 1000L, b.t[i]);
            assertEquals(i, b.v[i]);
        }
        c.clear();
        assertEquals(0, files.liveBytes());
        assertEquals(0, mem.bytesInUse());
        files.close();
    }
}
