package io.tsdb.core.block;

import io.tsdb.core.Labels;
import io.tsdb.core.fs.FileLayer;
import org.roaringbitmap.RoaringBitmap;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.zip.CRC32C;

/**
 * Builds a block index in memory from series added in label order, then writes it in one go
 * ({@link BlockIndexFormat}). Memory use is proportional to the number of series and label pairs.
 */
final class IndexWriter {
    private final List<Labels> series = new ArrayList<>();
    private final ByteOut refs = new ByteOut(1 << 12);
    private final ByteOut chunkMetas = new ByteOut(1 << 16);
    private final List<Integer> chunkMetaOffsets = new ArrayList<>();
    private final TreeMap<String, TreeMap<String, RoaringBitmap>> postings = new TreeMap<>();
    private Labels last;

    int seriesCount() { return series.size(); }

    /**
     * Adds the next series (labels strictly ascending) with its storage-wide id ({@link
     * BlockIndexFormat#UNKNOWN_REF} when unknown) and its chunk metadata.
     */
    void addSeries(Labels labels, int ref, ChunkMetas c) {
        if (last != null && last.compareTo(labels) >= 0) {
            throw new IllegalArgumentException("series not in strictly ascending label order: " + labels + " after " + last);
        }
        last = labels;
        int id = series.size();
        series.add(labels);
        refs.u32(ref);
        chunkMetaOffsets.add(chunkMetas.length());
        chunkMetas.uvarint(c.n);
        for (int i = 0; i < c.n; i++) {
            if (i == 0) {
                chunkMetas.varint(c.mint[0]);
                chunkMetas.uvarint(c.maxt[0] - c.mint[0]);
                chunkMetas.uvarint(c.count[0]);
                chunkMetas.uvarint(c.ref[0]);
            } else {
                if (c.mint[i] <= c.maxt[i - 1]) throw new IllegalArgumentException("overlapping chunks in " + labels);
                chunkMetas.uvarint(c.mint[i] - c.maxt[i - 1]);
                chunkMetas.uvarint(c.maxt[i] - c.mint[i]);
                chunkMetas.uvarint(c.count[i]);
                chunkMetas.varint(c.ref[i] - c.ref[i - 1]);
            }
        }
        for (int i = 0; i < labels.size(); i++) {
            postings.computeIfAbsent(labels.name(i), k -> new TreeMap<>())
                    .computeIfAbsent(labels.value(i), k -> new RoaringBitmap()).add(id);
        }
    }

    /** Writes the index file and fsyncs it; returns its size. */
    long write(FileLayer fs, Path file) throws IOException {
        TreeSet<String> symSet = new TreeSet<>();
        for (var e : postings.entrySet()) {
            symSet.add(e.getKey());
            symSet.addAll(e.getValue().keySet());
        }
        Map<String, Integer> symRef = new HashMap<>(symSet.size() * 2);
        ByteOut symbols = new ByteOut(symSet.size() * 16);
        symbols.uvarint(symSet.size());
        int k = 0;
        for (String s : symSet) {
            symRef.put(s, k++);
            symbols.str(s);
        }

        ByteOut seriesOut = new ByteOut(series.size() * 64);
        ByteOut offsets = new ByteOut(series.size() * 4);
        byte[] metas = chunkMetas.array();
        for (int id = 0; id < series.size(); id++) {
            Labels l = series.get(id);
            offsets.u32(seriesOut.length());
            seriesOut.uvarint(l.size());
            for (int i = 0; i < l.size(); i++) {
                seriesOut.uvarint(symRef.get(l.name(i)));
                seriesOut.uvarint(symRef.get(l.value(i)));
            }
            int from = chunkMetaOffsets.get(id);
            int to = id + 1 < series.size() ? chunkMetaOffsets.get(id + 1) : chunkMetas.length();
            seriesOut.bytes(metas, from, to - from);
            if (seriesOut.length() < 0) throw new IOException("series section exceeds 2 GiB");
        }

        ByteOut post = new ByteOut(1 << 16);
        ByteOut table = new ByteOut(1 << 12);
        table.uvarint(postings.size());
        ByteBuffer tmp = ByteBuffer.allocate(1 << 12).order(ByteOrder.LITTLE_ENDIAN);
        for (var e : postings.entrySet()) {
            RoaringBitmap all = new RoaringBitmap();
            for (RoaringBitmap b : e.getValue().values()) all.or(b);
            table.uvarint(symRef.get(e.getKey()));
            table.uvarint(e.getValue().size());
            tmp = serialize(all, post, table, tmp);
            for (var v : e.getValue().entrySet()) {
                table.uvarint(symRef.get(v.getKey()));
                tmp = serialize(v.getValue(), post, table, tmp);
            }
        }

        ByteOut file0 = new ByteOut(BlockIndexFormat.HEADER_SIZE);
        file0.u32(BlockIndexFormat.MAGIC);
        file0.u8(BlockIndexFormat.VERSION);
        file0.u8(0); file0.u8(0); file0.u8(0);
        ByteOut[] sections = {symbols, seriesOut, offsets, refs, post, table};
        long[] sectionOff = new long[sections.length];
        CRC32C crc = new CRC32C();
        try (FileChannel ch = fs.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            long pos = write(ch, file0.array(), file0.length());
            for (int i = 0; i < sections.length; i++) {
                sectionOff[i] = pos;
                ByteOut s = sections[i];
                ByteOut frame = new ByteOut(8);
                frame.u32(s.length());
                pos += write(ch, frame.array(), 4);
                pos += write(ch, s.array(), s.length());
                crc.reset();
                crc.update(s.array(), 0, s.length());
                frame.reset();
                frame.u32((int) crc.getValue());
                pos += write(ch, frame.array(), 4);
            }
            ByteOut toc = new ByteOut(BlockIndexFormat.TOC_SIZE);
            for (long off : sectionOff) toc.u64(off);
            toc.u32(series.size());
            crc.reset();
            crc.update(toc.array(), 0, toc.length());
            toc.u32((int) crc.getValue());
            pos += write(ch, toc.array(), toc.length());
            ch.force(true);
            return pos;
        }
    }

    private static ByteBuffer serialize(RoaringBitmap b, ByteOut post, ByteOut table, ByteBuffer tmp) {
        b.runOptimize();
        int size = b.serializedSizeInBytes();
        if (tmp.capacity() < size) tmp = ByteBuffer.allocate(Math.max(size, tmp.capacity() * 2)).order(ByteOrder.LITTLE_ENDIAN);
        tmp.clear();
        b.serialize(tmp);
        post.bytes(tmp.array(), 0, size);
        table.uvarint(size);
        return tmp;
    }

    private static long write(FileChannel ch, byte[] b, int n) throws IOException {
        FileLayer.writeFully(ch, ByteBuffer.wrap(b, 0, n));
        return n;
    }
}
