package io.tsdb.core.block;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tsdb.core.Labels;
import io.tsdb.core.SeriesSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.RoaringBitmap;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Format contract (Lucene style): a small golden block is written, then parsed here with an independent
 * reader that follows docs/format/block-*.md byte by byte, not with the production reader classes.
 */
class BlockFormatContractTest {
    @TempDir Path dir;

    private Path golden() throws Exception {
        List<Labels> ls = List.of(Labels.of("__name__", "up", "job", "a"), Labels.of("__name__", "up", "job", "b"),
                Labels.of("__name__", "x", "zone", "z1"));
        List<long[]> ts = List.of(new long[]{1000, 2000, 3000}, new long[]{1500}, new long[]{100, 200, 300, 400, 500});
        List<double[]> vs = List.of(new double[]{1, 1, 0}, new double[]{7.5}, new double[]{1, 2, 3, 4, 5});
        SeriesSet in = BlockTestData.seriesSet(ls, ts, vs, new int[]{7, 42, 100_000});
        return dir.resolve(new BlockWriter(dir).maxSamplesPerChunk(3).write(in, 0, 9999).ulid());
    }

    /** Minimal independent decoder following the docs. */
    static final class R {
        final ByteBuffer b;
        int p;
        R(ByteBuffer b, int p) { this.b = b; this.p = p; }
        long uv() { long v = 0; int s = 0; while (true) { int x = b.get(p++); v |= (long) (x & 0x7f) << s; if (x >= 0) return v; s += 7; } }
        long sv() { long u = uv(); return (u >>> 1) ^ -(u & 1); }
        String str() { int n = (int) uv(); String s = new String(b.array(), p, n, StandardCharsets.UTF_8); p += n; return s; }
    }

    static int crc(byte[] a, int off, int len) { CRC32C c = new CRC32C(); c.update(a, off, len); return (int) c.getValue(); }

    @Test void goldenBlockMatchesTheDocumentedLayout() throws Exception {
        Path block = golden();
        // ---- chunks/000001
        byte[] ch = Files.readAllBytes(block.resolve("chunks").resolve("000001"));
        assertArrayEquals(new byte[]{0x54, 0x53, 0x44, 0x43, 1, 0, 0, 0}, java.util.Arrays.copyOf(ch, 8));
        List<Long> chunkOffsets = new ArrayList<>();
        R cr = new R(ByteBuffer.wrap(ch), 8);
        while (cr.p < ch.length) {
            chunkOffsets.add((long) cr.p);
            int len = (int) cr.uv();
            int enc = ch[cr.p] & 0xff;
            assertEquals(ColumnarBlockCodec.ID, enc);
            assertEquals(0x02, ch[cr.p + 1], "columnar chunk bytes start with their own encoding id");
            assertEquals(crc(ch, cr.p, 1 + len), ByteBuffer.wrap(ch, cr.p + 1 + len, 4).getInt(), "CRC32C over encoding+data");
            cr.p += 1 + len + 4;
        }
        assertEquals(4, chunkOffsets.size(), "3 + 1 + (3 + 2) samples with <= 3 per chunk, balanced: 1 + 1 + 2 chunks");

        // ---- index
        byte[] ix = Files.readAllBytes(block.resolve("index"));
        ByteBuffer ib = ByteBuffer.wrap(ix);
        assertEquals(0x54534449, ib.getInt(0));
        assertEquals(3, ix[4]);
        assertEquals(0, ix[5] | ix[6] | ix[7]);
        int toc = ix.length - 56;
        CRC32C tocCrc = new CRC32C();   // version 3: over the header, then the table of contents
        tocCrc.update(ix, 0, 8);
        tocCrc.update(ix, toc, 52);
        assertEquals((int) tocCrc.getValue(), ib.getInt(ix.length - 4));
        long[] all = new long[6];
        for (int i = 0; i < 6; i++) all[i] = ib.getLong(toc + 8 * i);
        assertEquals(8, all[0]);
        for (int i = 0; i < 6; i++) {
            int len = ib.getInt((int) all[i]);
            assertEquals(crc(ix, (int) all[i] + 4, len), ib.getInt((int) all[i] + 4 + len), "section " + i + " CRC");
            assertEquals(i < 5 ? all[i + 1] : toc, all[i] + 8 + len, "sections are contiguous");
        }
        assertEquals(3, ib.getInt(toc + 48));
        // series_refs (section 3): the storage-wide id of each series, u32 in series order
        assertEquals(12, ib.getInt((int) all[3]));
        assertEquals(7, ib.getInt((int) all[3] + 4));
        assertEquals(42, ib.getInt((int) all[3] + 8));
        assertEquals(100_000, ib.getInt((int) all[3] + 12));
        // the other sections as in version 1: symbols, series, series_offsets, postings, postings_table
        long[] off = {all[0], all[1], all[2], all[4], all[5]};
        R s = new R(ib, (int) off[0] + 4);
        int ns = (int) s.uv();
        List<String> syms = new ArrayList<>();
        for (int i = 0; i < ns; i++) syms.add(s.str());
        assertEquals(List.of("__name__", "a", "b", "job", "up", "x", "z1", "zone"), syms);
        // version 3: the series payload starts with the base time (the smallest first-chunk minTime, 100 here)
        int seriesPayload = (int) off[1] + 4;
        assertEquals(100, new R(ib, seriesPayload).sv());
        assertEquals(2, ib.getInt((int) off[2] + 4), "series_offsets[0]: after the two-byte base time");
        // series 2: {__name__="x", zone="z1"}: name 0 (__name__) value 1 (x), name 2 (zone) value 0 (z1)
        R se = new R(ib, seriesPayload + ib.getInt((int) off[2] + 4 + 4 * 2));
        assertEquals(2, se.uv());
        assertEquals(List.of(0L, 1L, 2L, 0L), List.of(se.uv(), se.uv(), se.uv(), se.uv()));
        assertEquals(2, se.uv(), "series 2 has two chunks");
        assertEquals(0, se.uv());            // minTime of chunk 0 (100) - base time
        assertEquals(200, se.uv());          // maxTime - minTime of chunk 0 (100..300)
        assertEquals(3, se.uv());
        long ref0 = se.uv();
        assertEquals(1L << 32 | chunkOffsets.get(2), ref0);
        assertEquals(100, se.uv());          // 400 - 300
        assertEquals(100, se.uv());          // 500 - 400
        assertEquals(2, se.uv());
        assertEquals(chunkOffsets.get(3) - chunkOffsets.get(2), se.sv());
        // postings table and bitmaps
        R pt = new R(ib, (int) off[4] + 4);
        int postings = (int) off[3] + 4;
        assertEquals(3, pt.uv());
        int pos = 0;
        List<String> got = new ArrayList<>();
        for (int n = 0; n < 3; n++) {
            String name = syms.get((int) pt.uv());
            int nv = (int) pt.uv();
            int allLen = (int) pt.uv();
            got.add(name + "=*:" + bitmap(ix, postings + pos, allLen));
            pos += allLen;
            for (int v = 0; v < nv; v++) {
                String value = syms.get((int) pt.uv());
                int len = (int) pt.uv();
                got.add(name + "=" + value + ":" + bitmap(ix, postings + pos, len));
                pos += len;
            }
        }
        assertEquals(ib.getInt((int) off[3]), pos);
        assertEquals(List.of(7, 42, 100_000), readBack(block));
        assertEquals(List.of("__name__=*:{0,1,2}", "__name__=up:{0,1}", "__name__=x:{2}", "job=*:{0,1}", "job=a:{0}",
                "job=b:{1}", "zone=*:{2}", "zone=z1:{2}"), got);

        // ---- meta.json
        JsonNode m = new ObjectMapper().readTree(block.resolve("meta.json").toFile());
        assertEquals(block.getFileName().toString(), m.get("ulid").asText());
        assertEquals(0, m.get("minTime").asLong());
        assertEquals(9999, m.get("maxTime").asLong());
        assertEquals(3, m.get("stats").get("numSeries").asLong());
        assertEquals(9, m.get("stats").get("numSamples").asLong());
        assertEquals(4, m.get("stats").get("numChunks").asLong());
        assertEquals(1, m.get("compaction").get("level").asInt());
        assertEquals(m.get("ulid").asText(), m.get("compaction").get("sources").get(0).asText());
        assertEquals(1, m.get("version").asInt());
    }

    /** The ids the production reader returns for the block's series, in order. */
    private static List<Integer> readBack(Path block) throws Exception {
        List<Integer> out = new ArrayList<>();
        try (Block b = Block.open(block); io.tsdb.core.Querier q = b.querier(Long.MIN_VALUE, Long.MAX_VALUE)) {
            SeriesSet s = q.select(List.of(io.tsdb.core.Matcher.re("__name__", ".+")));
            while (s.next()) out.add(s.seriesId());
        }
        return out;
    }

    static String bitmap(byte[] a, int off, int len) throws Exception {
        RoaringBitmap r = new RoaringBitmap();
        r.deserialize(ByteBuffer.wrap(a, off, len).slice().order(ByteOrder.LITTLE_ENDIAN));
        assertEquals(len, r.serializedSizeInBytes());
        return r.toString();
    }

    @Test void headerMagicAndVersionAreChecked() throws Exception {
        Path block = golden();
        Path index = block.resolve("index"), seg = ChunksFileFormat.segmentPath(block, 1);
        byte[] ix = Files.readAllBytes(index), ch = Files.readAllBytes(seg);
        byte[] bad = ix.clone();
        bad[4] = 4;
        Files.write(index, bad);
        CorruptBlockException e = assertThrows(CorruptBlockException.class, () -> Block.open(block));
        assertEquals("header", e.section());
        assertTrue(e.getMessage().contains("unsupported version 4, this build reads 1 to 3"), e.getMessage());
        bad = ix.clone();
        bad[4] = 2;   // an older version's layout: the table of contents' CRC (over the header too) tells
        Files.write(index, bad);
        e = assertThrows(CorruptBlockException.class, () -> Block.open(block));
        assertEquals("toc", e.section());
        bad = ix.clone();
        bad[0] = 'X';
        Files.write(index, bad);
        e = assertThrows(CorruptBlockException.class, () -> Block.open(block));
        assertTrue(e.getMessage().contains("bad magic"), e.getMessage());
        Files.write(index, ix);
        bad = ch.clone();
        bad[4] = 9;
        Files.write(seg, bad);
        e = assertThrows(CorruptBlockException.class, () -> Block.open(block));
        assertEquals(seg, e.file());
        assertTrue(e.getMessage().contains("unsupported version 9"), e.getMessage());
        bad = ch.clone();
        bad[1] = 0;
        Files.write(seg, bad);
        e = assertThrows(CorruptBlockException.class, () -> Block.open(block));
        assertTrue(e.getMessage().contains("bad magic 0x54004443, expected 0x54534443"), e.getMessage());
        Files.write(seg, ch);
        Block.open(block).close();
    }

    @Test void builtInCodecsRoundTripThroughTheBlock() throws Exception {
        for (BlockChunkCodec codec : List.of(GorillaBlockCodec.INSTANCE, ColumnarBlockCodec.INSTANCE)) {
            Path d = Files.createDirectories(dir.resolve("c" + codec.id()));
            var mem = BlockTestData.randomStorage(codec.id(), 150, 0, 3600_000);
            BlockMeta meta;
            try (var q = mem.querier(0, 3600_000)) {
                meta = new BlockWriter(d).codec(codec).maxSamplesPerChunk(64).write(q.select(List.of()), 0, 3600_000);
            }
            byte[] ch = Files.readAllBytes(ChunksFileFormat.segmentPath(d.resolve(meta.ulid()), 1));
            assertEquals(codec.id(), ch[8 + ByteOut.uvarintSize(new R(ByteBuffer.wrap(ch), 8).uv())] & 0xff);
            try (Block b = Block.open(d.resolve(meta.ulid())); var exp = mem.querier(0, 3600_000); var act = b.querier(0, 3600_000)) {
                assertEquals(meta.numSamples(), BlockTestData.assertSameSeries(exp, act, List.of()));
            }
        }
    }
}
