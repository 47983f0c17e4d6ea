package io.tsdb.core.block;

import io.tsdb.core.Labels;
import io.tsdb.core.fs.FileLayer;
import org.agrona.collections.Object2IntHashMap;
import org.roaringbitmap.RoaringBitmap;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Builds a block index ({@link BlockIndexFormat}) from series added in label order, with heap that does not grow with
 * the series: a compaction of a day of churning pods merges hundreds of thousands of series, and an index built in
 * memory (every series' symbol numbers, chunk metadata and encoded sections) took some 400 bytes of heap per series,
 * 100 MB for 250,000 series, on top of what the head needs: the RSS of a server under churn rose by that much at
 * every large compaction.
 *
 * <p>What is kept, and why:
 * <ul>
 *   <li>Each distinct string once, with its first-seen number (the symbol table must be sorted before any series
 *       is written, and a series refers to its symbols by their sorted position). Under churn this is about one
 *       string per series (a pod name); everything else is per series and goes to disk.</li>
 *   <li>Each series' storage-wide id and, while writing, the offset of its entry (4 bytes each): the refs and
 *       offsets sections.</li>
 *   <li>A series' symbol numbers and chunk metadata are appended to a scratch file beside the index
 *       ({@link #SCRATCH}, in the block's temporary directory, removed when the index is written) and read back
 *       in order: once to write the series section with the symbols' final numbers, then once per label name to
 *       derive that name's postings (8 bytes per series having the name, for the time it takes to write them).</li>
 *   <li>Sections are written to the file as they are produced, each framed by its length (written in place once
 *       known) and CRC32C, so no section is held whole; only the postings table (a few bytes per label value)
 *       waits in memory for the postings before it.</li>
 * </ul>
 * A bitmap per label value held for the whole merge cost about 200 bytes per distinct value; the postings are
 * therefore derived one name at a time. Not thread-safe; {@link #close} removes the scratch file.
 */
final class IndexWriter implements Closeable {
    /** Name of the scratch file in the directory of the index being written. */
    static final String SCRATCH = "index.scratch";
    private static final int IO_BUFFER = 1 << 16;

    private final FileLayer fs;
    private final Path scratchPath;
    private FileChannel scratch;
    /** Series records not yet appended to the scratch file: label count, name and value numbers, metadata length, metadata. */
    private final ByteOut pending = new ByteOut(IO_BUFFER + 4096);
    private final ByteOut metaBuf = new ByteOut(256);
    /** Distinct strings in the order first seen, and their numbers. */
    private final List<String> dict = new ArrayList<>();
    private final Object2IntHashMap<String> dictIds = new Object2IntHashMap<>(-1);
    private final ByteOut refs = new ByteOut(1 << 12);
    private int numSeries;
    private Labels last;
    /** The smallest minTime of a series' first chunk (version 3 writes those relative to it). */
    private long baseTime = Long.MAX_VALUE;

    /** @param dir directory of the index file to be written (a block's temporary directory): holds the scratch file */
    IndexWriter(FileLayer fs, Path dir) {
        this.fs = fs;
        this.scratchPath = dir.resolve(SCRATCH);
    }

    int seriesCount() { return numSeries; }

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
    void addSeries(Labels labels, int ref, ChunkMetas c) throws IOException {
        if (last != null && last.compareTo(labels) >= 0) {
            throw new IllegalArgumentException("series not in strictly ascending label order: " + labels + " after " + last);
        }
        metaBuf.reset();
        for (int i = 0; i < c.n; i++) {
            if (i == 0) {   // chunk 0's minTime goes to the scratch record on its own (written relative to the base time)
                metaBuf.uvarint(c.maxt[0] - c.mint[0]);
                metaBuf.uvarint(c.count[0]);
                metaBuf.uvarint(c.ref[0]);
            } else {
                if (c.mint[i] <= c.maxt[i - 1]) throw new IllegalArgumentException("overlapping chunks in " + labels);
                metaBuf.uvarint(c.mint[i] - c.maxt[i - 1]);
                metaBuf.uvarint(c.maxt[i] - c.mint[i]);
                metaBuf.uvarint(c.count[i]);
                metaBuf.varint(c.ref[i] - c.ref[i - 1]);
            }
        }
        last = labels;
        numSeries++;
        refs.u32(ref);
        pending.uvarint(labels.size());
        for (int i = 0; i < labels.size(); i++) {
            pending.uvarint(intern(labels.name(i)));
            pending.uvarint(intern(labels.value(i)));
        }
        pending.uvarint(c.n);
        pending.u64(c.n > 0 ? c.mint[0] : 0);
        if (c.n > 0 && c.mint[0] < baseTime) baseTime = c.mint[0];
        pending.uvarint(metaBuf.length());
        pending.bytes(metaBuf.array(), 0, metaBuf.length());
        if (pending.length() >= IO_BUFFER) flushPending();
    }

    private void flushPending() throws IOException {
        if (pending.length() == 0) return;
        if (scratch == null) {
            scratch = fs.open(scratchPath, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.READ, StandardOpenOption.WRITE);
        }
        FileLayer.writeFully(scratch, ByteBuffer.wrap(pending.array(), 0, pending.length()));
        pending.reset();
    }

    /** Writes the index file and fsyncs it; returns its size. The scratch file is removed. */
    long write(FileLayer fs, Path file) throws IOException {
        flushPending();
        // symbols sorted; remap[first-seen number] = symbol ref
        String[] sorted = dict.toArray(new String[0]);
        Arrays.sort(sorted);
        int[] remap = new int[sorted.length];
        for (int k = 0; k < sorted.length; k++) remap[dictIds.getValue(sorted[k])] = k;

        long[] sectionOff = new long[6];
        try (FileChannel ch = fs.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            SectionOut out = new SectionOut(ch);
            ByteOut file0 = new ByteOut(BlockIndexFormat.HEADER_SIZE);
            file0.u32(BlockIndexFormat.MAGIC);
            file0.u8(BlockIndexFormat.VERSION);
            file0.u8(0); file0.u8(0); file0.u8(0);
            out.raw(file0);

            sectionOff[0] = out.begin();
            ByteOut b = out.buf;
            b.uvarint(sorted.length);
            for (String s : sorted) {
                b.str(s);
                out.maybeFlush();
            }
            sorted = null;
            out.end();

            LabelPairs pairs = labelPairs(remap);
            ByteOut offsets = new ByteOut(numSeries * 4);
            sectionOff[1] = out.begin();
            long base = baseTime == Long.MAX_VALUE ? 0 : baseTime;
            int before = b.length();
            b.varint(base);
            long seriesLen = b.length() - before;
            ScratchReader r = new ScratchReader();
            for (int id = 0; id < numSeries; id++) {
                if (seriesLen > Integer.MAX_VALUE) throw new IOException("series section exceeds 2 GiB");
                offsets.u32((int) seriesLen);
                int start = b.length();
                int nl = r.uvarint();
                b.uvarint(nl);
                for (int i = 0; i < nl; i++) {
                    int name = remap[r.uvarint()], value = remap[r.uvarint()];
                    int at = Arrays.binarySearch(pairs.sorted, (long) name << 32 | value);
                    int ni = pairs.nameIndex[name];
                    b.uvarint(ni);
                    b.uvarint(at - pairs.nameStart[ni]);
                }
                int nc = r.uvarint();
                long mint0 = r.u64();
                b.uvarint(nc);
                if (nc > 0) b.uvarint(mint0 - base);
                r.copy(r.uvarint(), b);
                seriesLen += b.length() - start;
                out.maybeFlush();
            }
            pairs = null;
            out.end();

            sectionOff[2] = out.section(offsets);
            offsets = null;
            sectionOff[3] = out.section(refs);

            ByteOut table = new ByteOut(1 << 12);
            sectionOff[4] = out.begin();
            writePostings(remap, out, table);
            out.end();
            sectionOff[5] = out.section(table);

            ByteOut toc = new ByteOut(BlockIndexFormat.TOC_SIZE);
            for (long off : sectionOff) toc.u64(off);
            toc.u32(numSeries);
            CRC32C crc = new CRC32C();
            crc.update(file0.array(), 0, file0.length());   // version 3: the header's bytes (its version) are covered too
            crc.update(toc.array(), 0, toc.length());
            toc.u32((int) crc.getValue());
            out.raw(toc);
            ch.force(true);
            long size = out.pos;
            close();
            return size;
        }
    }

    /**
     * The distinct (name, value) pairs of the series, as symbol refs {@code name << 32 | value}, sorted: a label is
     * written as its name's position among the names and its value's position among that name's values (the order of
     * the postings table). 8 bytes per distinct pair while the series section is written.
     */
    private LabelPairs labelPairs(int[] remap) throws IOException {
        org.agrona.collections.LongHashSet set = new org.agrona.collections.LongHashSet();
        ScratchReader r = new ScratchReader();
        for (int id = 0; id < numSeries; id++) {
            int nl = r.uvarint();
            for (int i = 0; i < nl; i++) set.add((long) remap[r.uvarint()] << 32 | remap[r.uvarint()]);
            skipMeta(r);
        }
        long[] sorted = new long[set.size()];
        int n = 0;
        for (var it = set.iterator(); it.hasNext(); ) sorted[n++] = it.nextValue();
        set = null;
        Arrays.sort(sorted);
        int[] nameIndex = new int[remap.length];
        int[] nameStart = new int[remap.length + 1];
        int names = 0;
        for (int i = 0; i < n; i++) {
            int name = (int) (sorted[i] >>> 32);
            if (i == 0 || name != (int) (sorted[i - 1] >>> 32)) {
                nameIndex[name] = names;
                nameStart[names++] = i;
            }
        }
        return new LabelPairs(sorted, nameIndex, nameStart);
    }

    private record LabelPairs(long[] sorted, int[] nameIndex, int[] nameStart) {}

    /** Skips a scratch record's chunk count, first chunk's minTime and metadata. */
    private static void skipMeta(ScratchReader r) throws IOException {
        r.uvarint();
        r.skip(8);
        r.skip(r.uvarint());
    }

    /**
     * The postings section and its table ({@link BlockIndexFormat}): label names in symbol order (the symbols are
     * sorted, so this is name order), each with the bitmap of the series having it, then each of its values in
     * symbol order with the bitmap of the series having that pair. Built from the series' symbol numbers, one name
     * at a time: (value ref, series id) pairs of the name sorted, then cut into runs of one value.
     */
    private void writePostings(int[] remap, SectionOut out, ByteOut table) throws IOException {
        int[] perName = new int[remap.length];   // series having the name, indexed by the name's symbol ref
        int names = 0;
        ScratchReader r = new ScratchReader();
        for (int id = 0; id < numSeries; id++) {
            int nl = r.uvarint();
            for (int i = 0; i < nl; i++) {
                if (perName[remap[r.uvarint()]]++ == 0) names++;
                r.uvarint();
            }
            skipMeta(r);
        }
        table.uvarint(names);
        ByteBuffer tmp = ByteBuffer.allocate(1 << 12).order(ByteOrder.LITTLE_ENDIAN);
        int[] ids = new int[64];
        for (int name = 0; name < perName.length; name++) {
            if (perName[name] == 0) continue;
            long[] pairs = new long[perName[name]];   // value ref << 32 | series id
            int n = 0;
            r = new ScratchReader();
            for (int id = 0; id < numSeries; id++) {
                int nl = r.uvarint();
                for (int i = 0; i < nl; i++) {
                    int nm = remap[r.uvarint()];
                    int value = r.uvarint();
                    if (nm == name) pairs[n++] = (long) remap[value] << 32 | id;   // a name appears once in a series
                }
                skipMeta(r);
            }
            Arrays.sort(pairs);
            int values = 0;
            for (int i = 0; i < n; i++) if (i == 0 || (pairs[i] >>> 32) != (pairs[i - 1] >>> 32)) values++;
            RoaringBitmap all = new RoaringBitmap();
            for (long pv : pairs) all.add((int) pv);
            table.uvarint(name);
            table.uvarint(values);
            tmp = serialize(all, out, table, tmp);
            for (int i = 0; i < n; ) {
                int value = (int) (pairs[i] >>> 32);
                int j = i;
                while (j < n && (int) (pairs[j] >>> 32) == value) j++;
                if (ids.length < j - i) ids = new int[Math.max(j - i, ids.length * 2)];
                for (int k = i; k < j; k++) ids[k - i] = (int) pairs[k];
                RoaringBitmap bm = new RoaringBitmap();
                bm.addN(ids, 0, j - i);
                table.uvarint(value);
                tmp = serialize(bm, out, table, tmp);
                i = j;
            }
        }
    }

    private static ByteBuffer serialize(RoaringBitmap b, SectionOut out, ByteOut table, ByteBuffer tmp) throws IOException {
        b.runOptimize();
        int size = b.serializedSizeInBytes();
        if (tmp.capacity() < size) tmp = ByteBuffer.allocate(Math.max(size, tmp.capacity() * 2)).order(ByteOrder.LITTLE_ENDIAN);
        tmp.clear();
        b.serialize(tmp);
        out.buf.bytes(tmp.array(), 0, size);
        out.maybeFlush();
        table.uvarint(size);
        return tmp;
    }

    /** Closes and removes the scratch file (also after a failed write). */
    @Override public void close() throws IOException {
        if (scratch != null) {
            scratch.close();
            scratch = null;
            fs.deleteIfExists(scratchPath);
        }
    }

    /**
     * Writes the index file sequentially through a buffer; a section is framed by its length, written in place
     * when the section ends, and the CRC32C of its bytes.
     */
    private static final class SectionOut {
        private final FileChannel ch;
        final ByteOut buf = new ByteOut(IO_BUFFER + 4096);
        private final CRC32C crc = new CRC32C();
        private final ByteBuffer word = ByteBuffer.allocate(4);
        long pos;
        private long sectionStart = -1;

        SectionOut(FileChannel ch) { this.ch = ch; }

        /** Writes bytes outside any section (header, TOC). */
        void raw(ByteOut b) throws IOException {
            FileLayer.writeFully(ch, ByteBuffer.wrap(b.array(), 0, b.length()));
            pos += b.length();
        }

        /** Starts a section at the current position (returned); its bytes go to {@link #buf}. */
        long begin() throws IOException {
            sectionStart = pos;
            word.clear();
            word.putInt(0).flip();
            FileLayer.writeFully(ch, word);
            pos += 4;
            crc.reset();
            return sectionStart;
        }

        void maybeFlush() throws IOException { if (buf.length() >= IO_BUFFER) flush(); }

        private void flush() throws IOException {
            crc.update(buf.array(), 0, buf.length());
            FileLayer.writeFully(ch, ByteBuffer.wrap(buf.array(), 0, buf.length()));
            pos += buf.length();
            buf.reset();
        }

        /** Ends the section: its CRC after it, its length before it. */
        void end() throws IOException {
            flush();
            long len = pos - sectionStart - 4;
            if (len > Integer.MAX_VALUE) throw new IOException("index section exceeds 2 GiB");
            word.clear();
            word.putInt((int) crc.getValue()).flip();
            FileLayer.writeFully(ch, word);
            pos += 4;
            word.clear();
            word.putInt((int) len).flip();
            while (word.hasRemaining()) ch.write(word, sectionStart + word.position());
        }

        /** A whole section built in memory. */
        long section(ByteOut b) throws IOException {
            long start = begin();
            crc.update(b.array(), 0, b.length());
            FileLayer.writeFully(ch, ByteBuffer.wrap(b.array(), 0, b.length()));
            pos += b.length();
            end();
            return start;
        }
    }

    /** Reads the scratch file from its start, through a buffer. */
    private final class ScratchReader {
        private final ByteBuffer b = ByteBuffer.allocate(IO_BUFFER);
        private long filePos;

        ScratchReader() { b.limit(0); }

        private int u8() throws IOException {
            if (!b.hasRemaining()) {
                b.clear();
                int n = 0;
                while (n <= 0) {
                    n = scratch.read(b, filePos);
                    if (n < 0) throw new IOException("index scratch file " + scratchPath + " ends early");
                }
                filePos += n;
                b.flip();
            }
            return b.get() & 0xFF;
        }

        int uvarint() throws IOException {
            int v = 0;
            for (int shift = 0; ; shift += 7) {
                int x = u8();
                v |= (x & 0x7F) << shift;
                if (x < 0x80) return v;
            }
        }

        long u64() throws IOException {
            long v = 0;
            for (int i = 0; i < 8; i++) v = v << 8 | u8();
            return v;
        }

        void copy(int n, ByteOut to) throws IOException {
            while (n > 0) {
                if (!b.hasRemaining()) { u8(); b.position(b.position() - 1); }
                int k = Math.min(n, b.remaining());
                to.bytes(b.array(), b.position(), k);
                b.position(b.position() + k);
                n -= k;
            }
        }

        void skip(int n) throws IOException {
            while (n > 0) {
                if (!b.hasRemaining()) { u8(); b.position(b.position() - 1); }
                int k = Math.min(n, b.remaining());
                b.position(b.position() + k);
                n -= k;
            }
        }
    }
}
