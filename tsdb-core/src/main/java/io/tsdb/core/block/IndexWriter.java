package io.tsdb.core.block;

import io.tsdb.core.Labels;
import io.tsdb.core.fs.FileLayer;
import org.agrona.collections.IntArrayList;
import org.agrona.collections.Object2IntHashMap;
import org.roaringbitmap.RoaringBitmap;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Builds a block index in memory from series added in label order, then writes it in one go
 * ({@link BlockIndexFormat}). Memory use is proportional to the number of series and label pairs, and each
 * distinct string is held once: a series costs its symbol numbers (4 bytes a label name or value) and its
 * encoded chunk metadata, not its {@link Labels} (a compaction reads its sources' labels as fresh strings, which
 * kept every series' copies alive until the index was written). Postings are not kept while series are added:
 * {@link #write} derives them from the series' symbol numbers, one label name at a time (8 bytes per series having
 * that name, for the time it takes to write that name's postings). A bitmap per label value held for the whole
 * merge cost about 200 bytes per distinct value: under series churn every pod name is a value of its own, and a
 * compaction of 370,000 series held some 75 MB of them.
 */
final class IndexWriter {
    /** Distinct strings in the order first seen, and their numbers. */
    private final List<String> dict = new ArrayList<>();
    private final Object2IntHashMap<String> dictIds = new Object2IntHashMap<>(-1);
    /** Per series: label count, then name and value numbers; {@link #seriesStart} indexes it by series. */
    private final IntArrayList seriesSyms = new IntArrayList();
    private final IntArrayList seriesStart = new IntArrayList();
    private final ByteOut refs = new ByteOut(1 << 12);
    private final ByteOut chunkMetas = new ByteOut(1 << 16);
    private final IntArrayList chunkMetaOffsets = new IntArrayList();
    private Labels last;

    int seriesCount() { return seriesStart.size(); }

    /** The number of {@code s}, and the one instance of it that this index keeps. */
    private int intern(String s) {
        int id = dictIds.getValue(s);
        if (id < 0) {
            id = dict.size();
            dict.add(s);
            dictIds.put(s, id);
        }
        return id;
    }

    /**
     * Adds the next series (labels strictly ascending) with its storage-wide id ({@link
     * BlockIndexFormat#UNKNOWN_REF} when unknown) and its chunk metadata.
     */
    void addSeries(Labels labels, int ref, ChunkMetas c) {
        if (last != null && last.compareTo(labels) >= 0) {
            throw new IllegalArgumentException("series not in strictly ascending label order: " + labels + " after " + last);
        }
        last = labels;
        int id = seriesStart.size();
        seriesStart.addInt(seriesSyms.size());
        seriesSyms.addInt(labels.size());
        refs.u32(ref);
        chunkMetaOffsets.addInt(chunkMetas.length());
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
            seriesSyms.addInt(intern(labels.name(i)));
            seriesSyms.addInt(intern(labels.value(i)));
        }
    }

    /** Writes the index file and fsyncs it; returns its size. */
    long write(FileLayer fs, Path file) throws IOException {
        // symbols sorted; remap[first-seen number] = symbol ref
        Integer[] order = new Integer[dict.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        java.util.Arrays.sort(order, (a, b) -> dict.get(a).compareTo(dict.get(b)));
        int[] remap = new int[order.length];
        ByteOut symbols = new ByteOut(order.length * 16);
        symbols.uvarint(order.length);
        for (int k = 0; k < order.length; k++) {
            remap[order[k]] = k;
            symbols.str(dict.get(order[k]));
        }

        int numSeries = seriesStart.size();
        ByteOut seriesOut = new ByteOut(numSeries * 64);
        ByteOut offsets = new ByteOut(numSeries * 4);
        byte[] metas = chunkMetas.array();
        for (int id = 0; id < numSeries; id++) {
            int p = seriesStart.getInt(id);
            int nl = seriesSyms.getInt(p++);
            offsets.u32(seriesOut.length());
            seriesOut.uvarint(nl);
            for (int i = 0; i < 2 * nl; i++) seriesOut.uvarint(remap[seriesSyms.getInt(p + i)]);
            int from = chunkMetaOffsets.getInt(id);
            int to = id + 1 < numSeries ? chunkMetaOffsets.getInt(id + 1) : chunkMetas.length();
            seriesOut.bytes(metas, from, to - from);
            if (seriesOut.length() < 0) throw new IOException("series section exceeds 2 GiB");
        }

        ByteOut post = new ByteOut(1 << 16);
        ByteOut table = new ByteOut(1 << 12);
        writePostings(remap, numSeries, post, table);

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
            toc.u32(numSeries);
            crc.reset();
            crc.update(toc.array(), 0, toc.length());
            toc.u32((int) crc.getValue());
            pos += write(ch, toc.array(), toc.length());
            ch.force(true);
            return pos;
        }
    }

    /**
     * The postings section and its table ({@link BlockIndexFormat}): label names in symbol order (the symbols are
     * sorted, so this is name order), each with the bitmap of the series having it, then each of its values in
     * symbol order with the bitmap of the series having that pair. Built from the series' symbol numbers, one name
     * at a time: (value ref, series id) pairs of the name sorted, then cut into runs of one value.
     */
    private void writePostings(int[] remap, int numSeries, ByteOut post, ByteOut table) {
        int[] perName = new int[remap.length];   // series having the name, indexed by the name's symbol ref
        int names = 0;
        for (int id = 0; id < numSeries; id++) {
            int p = seriesStart.getInt(id);
            int nl = seriesSyms.getInt(p++);
            for (int i = 0; i < nl; i++) if (perName[remap[seriesSyms.getInt(p + 2 * i)]]++ == 0) names++;
        }
        table.uvarint(names);
        ByteBuffer tmp = ByteBuffer.allocate(1 << 12).order(ByteOrder.LITTLE_ENDIAN);
        for (int name = 0; name < perName.length; name++) {
            if (perName[name] == 0) continue;
            long[] pairs = new long[perName[name]];   // value ref << 32 | series id
            int n = 0;
            for (int id = 0; id < numSeries; id++) {
                int p = seriesStart.getInt(id);
                int nl = seriesSyms.getInt(p++);
                for (int i = 0; i < nl; i++) {
                    if (remap[seriesSyms.getInt(p + 2 * i)] != name) continue;
                    pairs[n++] = (long) remap[seriesSyms.getInt(p + 2 * i + 1)] << 32 | id;
                    break;   // a name appears once in a series
                }
            }
            java.util.Arrays.sort(pairs);
            int values = 0;
            for (int i = 0; i < n; i++) if (i == 0 || (pairs[i] >>> 32) != (pairs[i - 1] >>> 32)) values++;
            RoaringBitmap all = new RoaringBitmap();
            for (long pv : pairs) all.add((int) pv);
            table.uvarint(name);
            table.uvarint(values);
            tmp = serialize(all, post, table, tmp);
            int[] ids = new int[64];
            for (int i = 0; i < n; ) {
                int value = (int) (pairs[i] >>> 32);
                int j = i;
                while (j < n && (int) (pairs[j] >>> 32) == value) j++;
                if (ids.length < j - i) ids = new int[Math.max(j - i, ids.length * 2)];
                for (int k = i; k < j; k++) ids[k - i] = (int) pairs[k];
                RoaringBitmap b = new RoaringBitmap();
                b.addN(ids, 0, j - i);
                table.uvarint(value);
                tmp = serialize(b, post, table, tmp);
                i = j;
            }
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
