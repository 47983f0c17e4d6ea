package io.tsdb.core.block;

import io.tsdb.core.Labels;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Memory-mapped reader of a block index ({@link BlockIndexFormat}). All section checksums are verified
 * when the file is opened. The heap holds only positions: 4 bytes per symbol and 8 per label value (plus the
 * label names); symbols, series entries and postings bitmaps are decoded from the mapping on demand, so the
 * heap a block costs does not grow with the length of its label values. Thread-safe.
 */
final class IndexReader {
    /**
     * Postings locations of one label name. Its values stay in the mapping: only their symbol refs and postings
     * offsets are on the heap (about 4 bytes a value, {@link MonotoneInts}), so a reader's heap does not grow with
     * the strings of every pod or instance a block has seen. Values are sorted, and so are their refs (the symbol
     * table is sorted).
     */
    final class LabelEntry {
        final String name;
        final int allOff, allLen;
        private final MonotoneInts valueRefs;
        /** Postings offset of value i; offs[count] is the end of the last value's postings. */
        private final MonotoneInts offs;

        LabelEntry(String name, int allOff, int allLen, MonotoneInts valueRefs, MonotoneInts offs) {
            this.name = name; this.allOff = allOff; this.allLen = allLen;
            this.valueRefs = valueRefs; this.offs = offs;
        }

        /** Number of values of this label name in the block. */
        int count() { return valueRefs.size(); }

        /** The i-th value in sorted order, decoded from the mapping. */
        String value(int i) { return symbol(valueRefs.get(i)); }

        /** Index of {@code value} among the sorted values, or a negative number when absent. */
        int indexOf(String value) {
            int lo = 0, hi = valueRefs.size() - 1;
            while (lo <= hi) {
                int mid = (lo + hi) >>> 1;
                int c = recentSymbol(valueRefs.get(mid)).compareTo(value);   // the same few probes every query
                if (c < 0) lo = mid + 1;
                else if (c > 0) hi = mid - 1;
                else return mid;
            }
            return -(lo + 1);
        }
    }

    private final Path file;
    private final MappedByteBuffer buf;
    /** Position in the mapping of each symbol's encoding (uvarint length, UTF-8 bytes), validated at open. */
    /** Position in the mapping of each symbol's length prefix. */
    private final MonotoneInts symbolPos;
    private final int numSeries;
    private final int version;
    private final int seriesStart, seriesEnd, offsetsStart, refsStart, postingsStart, postingsEnd;
    private final String[] names;
    private final LabelEntry[] entries;
    private final Map<String, LabelEntry> byName;

    /** Maps and validates {@code file}; the mapping is released again if validation fails. */
    static IndexReader open(Path file) throws IOException {
        MappedByteBuffer buf;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > Integer.MAX_VALUE) throw new CorruptBlockException(file, BlockIndexFormat.HEADER, "index larger than 2 GiB: " + size);
            if (size < BlockIndexFormat.HEADER_SIZE + BlockIndexFormat.TOC_SIZE_V1) {
                throw new CorruptBlockException(file, BlockIndexFormat.HEADER, "file too short: " + size + " bytes");
            }
            buf = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
            try {
                return new IndexReader(file, buf, ch);
            } catch (RuntimeException e) {
                Unmapper.unmap(buf);
                throw e;
            }
        }
    }

    /**
     * Opens the mapped index {@code buf}; the sections' checksums are computed from {@code ch}'s reads, not through
     * the mapping, so that opening a block leaves only the pages it parses (header, table of contents, symbols and
     * postings table) mapped into the process: series entries and postings are touched only by the queries that
     * read them (measured under series churn: every open block's whole index stayed resident, 1.6 MB each).
     */
    private IndexReader(Path file, MappedByteBuffer buf, FileChannel ch) throws IOException {
        this.file = file;
        this.buf = buf;
        int size = buf.capacity();
        ByteBuffer header = read(ch, 0, 8);
        int magic = header.getInt(0);
        if (magic != BlockIndexFormat.MAGIC) {
            throw new CorruptBlockException(file, BlockIndexFormat.HEADER, String.format("bad magic 0x%08x, expected 0x%08x", magic, BlockIndexFormat.MAGIC));
        }
        version = header.get(4) & 0xFF;
        if (version < BlockIndexFormat.VERSION_1 || version > BlockIndexFormat.VERSION) {
            throw new CorruptBlockException(file, BlockIndexFormat.HEADER, "unsupported version " + version + ", this build reads "
                    + BlockIndexFormat.VERSION_1 + " to " + BlockIndexFormat.VERSION);
        }
        int tocSize = BlockIndexFormat.tocSize(version);
        String[] sections = BlockIndexFormat.sections(version);
        if (size < BlockIndexFormat.HEADER_SIZE + tocSize) throw new CorruptBlockException(file, BlockIndexFormat.HEADER, "file too short: " + size + " bytes");
        if ((header.getInt(4) & 0xFFFFFF) != 0) throw new CorruptBlockException(file, BlockIndexFormat.HEADER, "reserved header bytes are not zero");
        CRC32C crc = new CRC32C();
        int tocPos = size - tocSize;
        ByteBuffer toc = read(ch, tocPos, tocSize);
        if (version >= BlockIndexFormat.VERSION_3) crc.update(header.duplicate().clear());   // version 3: the header too
        crc.update(toc.slice(0, tocSize - 4));
        if ((int) crc.getValue() != toc.getInt(tocSize - 4)) throw new CorruptBlockException(file, BlockIndexFormat.TOC, "CRC32C mismatch");
        int n = sections.length;
        int[] start = new int[n], end = new int[n];
        // the two sections parsed here, read into the heap (checksummed there) rather than through the mapping
        ByteBuffer symbols = null, table = null;
        long expected = BlockIndexFormat.HEADER_SIZE;
        for (int i = 0; i < n; i++) {
            String sec = sections[i];
            long off = toc.getLong(8 * i);
            if (off != expected) throw new CorruptBlockException(file, BlockIndexFormat.TOC, "section " + sec + " at " + off + ", expected " + expected);
            int len = read(ch, off, 4).getInt(0);
            if (len < 0 || off + 8 + len > tocPos) throw new CorruptBlockException(file, sec, "length " + len + " runs past the table of contents");
            start[i] = (int) off + 4;
            end[i] = start[i] + len;
            int stored = read(ch, end[i], 4).getInt(0);
            int computed;
            if (i == 0 || i == n - 1) {
                ByteBuffer copy = read(ch, start[i], len);
                crc.reset();
                crc.update(copy.duplicate());
                computed = (int) crc.getValue();
                if (i == 0) symbols = copy; else table = copy;
            } else {
                computed = crc(ch, crc, start[i], len);
            }
            if (computed != stored) {
                throw new CorruptBlockException(file, sec, String.format("CRC32C mismatch: stored 0x%08x, computed 0x%08x", stored, computed));
            }
            expected = end[i] + 4L;
        }
        if (expected != tocPos) throw new CorruptBlockException(file, BlockIndexFormat.TOC, "sections end at " + expected + ", table of contents at " + tocPos);
        numSeries = toc.getInt(8 * n);
        if (numSeries < 0) throw new CorruptBlockException(file, BlockIndexFormat.TOC, "negative series count");

        DecBuf d = new DecBuf(symbols, 0, end[0] - start[0], file, BlockIndexFormat.SYMBOLS);
        int ns = d.uvarintInt(end[0] - start[0], "symbol count");
        int[] pos0 = new int[ns];
        String prev = null;
        for (int i = 0; i < ns; i++) {
            pos0[i] = start[0] + d.position();
            String sym = d.str();
            if (prev != null && prev.compareTo(sym) >= 0) throw d.corrupt("symbols not sorted");
            prev = sym;
        }
        if (d.remaining() != 0) throw d.corrupt("trailing bytes");
        symbolPos = MonotoneInts.of(pos0, ns);
        recent = new RecentSymbol[Math.min(RECENT_SYMBOLS, Integer.highestOneBit(Math.max(1, ns - 1)) << 1)];

        seriesStart = start[1];
        seriesEnd = end[1];
        offsetsStart = start[2];
        if ((long) numSeries * 4 != end[2] - start[2]) {
            throw new CorruptBlockException(file, BlockIndexFormat.SERIES_OFFSETS, "length " + (end[2] - start[2]) + " does not match " + numSeries + " series");
        }
        int s = 3;
        if (version == BlockIndexFormat.VERSION_1) {
            refsStart = -1;
        } else {
            refsStart = start[3];
            if ((long) numSeries * 4 != end[3] - start[3]) {
                throw new CorruptBlockException(file, BlockIndexFormat.SERIES_REFS, "length " + (end[3] - start[3]) + " does not match " + numSeries + " series");
            }
            s = 4;
        }
        postingsStart = start[s];
        postingsEnd = end[s];

        if (s + 1 != n - 1) throw new IllegalStateException("the postings table is the last section");
        d = new DecBuf(table, 0, end[s + 1] - start[s + 1], file, BlockIndexFormat.POSTINGS_TABLE);
        int nn = d.uvarintInt(ns, "label name count");
        names = new String[nn];
        entries = new LabelEntry[nn];
        byName = new HashMap<>(nn * 2);
        int pos = 0;
        int plen = postingsEnd - postingsStart;
        int[] refs = new int[0], offs = new int[0];   // scratch, packed per label name
        for (int i = 0; i < nn; i++) {
            String name = symbol(d.uvarintInt(ns - 1, "label name ref"), d);
            int nv = d.uvarintInt(ns, "label value count");
            int allLen = d.uvarintInt(plen - pos, "postings length");
            int allOff = pos;
            pos += allLen;
            if (refs.length < nv + 1) { refs = new int[nv + 1]; offs = new int[nv + 1]; }
            for (int j = 0; j < nv; j++) {
                refs[j] = d.uvarintInt(ns - 1, "label value ref");
                // symbols are sorted, so sorted values have increasing refs
                if (j > 0 && refs[j - 1] >= refs[j]) throw d.corrupt("label values of " + name + " not sorted");
                int len = d.uvarintInt(plen - pos, "postings length");
                offs[j] = pos;
                pos += len;
            }
            offs[nv] = pos;
            if (i > 0 && names[i - 1].compareTo(name) >= 0) throw d.corrupt("label names not sorted");
            names[i] = name;
            entries[i] = new LabelEntry(name, allOff, allLen, MonotoneInts.of(refs, nv), MonotoneInts.of(offs, nv + 1));
            byName.put(name, entries[i]);
        }
        if (pos != plen) throw new CorruptBlockException(file, BlockIndexFormat.POSTINGS_TABLE, "postings table covers " + pos + " of " + plen + " bytes");
        if (version >= BlockIndexFormat.VERSION_3) {
            DecBuf sd = new DecBuf(buf, 0, 0, file, BlockIndexFormat.SERIES);
            sd.reset(seriesStart, seriesEnd);
            baseTime = sd.varint();
        } else {
            baseTime = 0;
        }
    }

    /** Version 3: the time the first chunk of each series starts from. */
    private final long baseTime;

    /** Bytes {@code [pos, pos + len)} of the file, read through the channel into the heap. */
    private static ByteBuffer read(FileChannel ch, long pos, int len) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(len);
        while (b.hasRemaining()) {
            if (ch.read(b, pos + b.position()) < 0) throw new IOException("index file shorter than its table of contents says (end of file at " + (pos + b.position()) + ")");
        }
        return b.flip();
    }

    /** CRC32C of bytes {@code [pos, pos + len)} of the file, read through the channel (not the mapping). */
    private static int crc(FileChannel ch, CRC32C crc, int pos, int len) throws IOException {
        crc.reset();
        ByteBuffer b = ByteBuffer.allocate(Math.min(len, 1 << 16));
        long p = pos, end = (long) pos + len;
        while (p < end) {
            b.clear().limit((int) Math.min(b.capacity(), end - p));
            int r = ch.read(b, p);
            if (r < 0) throw new IOException("index file shorter than its table of contents says (end of file at " + p + ")");
            b.flip();
            crc.update(b);
            p += r;
        }
        return (int) crc.getValue();
    }

    private String symbol(int ref, DecBuf d) {
        if (ref < 0 || ref >= symbolPos.size()) throw d.corrupt("symbol ref " + ref + " out of range");
        return symbol(ref);
    }

    /**
     * Symbols decoded lately by label reads without a querier's cache (small selections: a query of one host reads one
     * series per block, and decoded its dozen names and values afresh for every query, a tenth of such a query's CPU)
     * and by the binary search of a label value ({@link LabelEntry#indexOf}: about ten probes per matcher and block).
     * Direct-mapped by symbol number and bounded ({@link #RECENT_SYMBOLS} slots, about 40 KB of strings per block when
     * full), so a block keeps only a small, fixed amount of decoded strings between queries. Shared by the block's
     * queriers without locks: a slot holds an immutable {@link RecentSymbol}, and a lost race only decodes once more.
     */
    private final RecentSymbol[] recent;
    static final int RECENT_SYMBOLS = 512;

    private record RecentSymbol(int ref, String value) {}

    private String recentSymbol(int ref, DecBuf d) {
        if (ref < 0 || ref >= symbolPos.size()) throw d.corrupt("symbol ref " + ref + " out of range");
        return recentSymbol(ref);
    }

    /** Symbol {@code ref} (in range) through {@link #recent}. */
    private String recentSymbol(int ref) {
        RecentSymbol[] r = recent;
        int slot = ref & (r.length - 1);
        RecentSymbol e = r[slot];
        if (e != null && e.ref == ref) return e.value;
        String v = symbol(ref);
        r[slot] = new RecentSymbol(ref, v);
        return v;
    }

    /** Symbol {@code ref} (in range), decoded from the mapping; its encoding was validated at open. */
    private String symbol(int ref) {
        int p = symbolPos.get(ref);
        int len = 0;
        for (int shift = 0; ; shift += 7) {
            int b = buf.get(p++);
            len |= (b & 0x7F) << shift;
            if (b >= 0) break;
        }
        byte[] bytes = new byte[len];
        buf.get(p, bytes, 0, len);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    Path file() { return file; }
    int version() { return version; }

    /** Whether the index records the storage-wide id of each series (version 2 and later). */
    boolean hasSeriesRefs() { return refsStart >= 0; }

    /** Storage-wide id of series {@code id}, or {@link BlockIndexFormat#UNKNOWN_REF}; -1 as well for version 1. */
    int seriesRef(int id) {
        if (refsStart < 0) return BlockIndexFormat.UNKNOWN_REF;
        if (id < 0 || id >= numSeries) throw new IllegalArgumentException("series id " + id + " out of range");
        return buf.getInt(refsStart + 4 * id);
    }
    int numSeries() { return numSeries; }
    long sizeBytes() { return buf.capacity(); }

    /** Releases the mapping; nothing may read this reader afterwards. */
    void unmap() { Unmapper.unmap(buf); }

    /** Sorted label names present in the block. */
    String[] labelNames() { return names; }

    LabelEntry entry(String name) { return byName.get(name); }

    private ImmutableRoaringBitmap bitmap(int off, int len) {
        ByteBuffer b = buf.slice(postingsStart + off, len);
        try {
            return new ImmutableRoaringBitmap(b);
        } catch (RuntimeException e) {
            throw new CorruptBlockException(file, BlockIndexFormat.POSTINGS, "bad bitmap at offset " + off + ": " + e, e);
        }
    }

    /** Series having label {@code name} with any value. */
    ImmutableRoaringBitmap postingsForName(LabelEntry e) { return bitmap(e.allOff, e.allLen); }

    /** Series having {@code name=e.value(i)}. */
    ImmutableRoaringBitmap postings(LabelEntry e, int i) { return bitmap(e.offs.get(i), e.offs.get(i + 1) - e.offs.get(i)); }

    /** A decoder over the series section, to hand to {@link #labels(int, String[], Labels, DecBuf)} again and again. */
    DecBuf newSeriesDecoder() { return new DecBuf(buf, 0, 0, file, BlockIndexFormat.SERIES); }

    private DecBuf series(int id, DecBuf d) {
        if (id < 0 || id >= numSeries) throw new IllegalArgumentException("series id " + id + " out of range");
        int off = buf.getInt(offsetsStart + 4 * id);
        if (off < 0 || off >= seriesEnd - seriesStart) {
            throw new CorruptBlockException(file, BlockIndexFormat.SERIES_OFFSETS, "offset " + off + " of series " + id + " out of range");
        }
        if (d == null) d = new DecBuf(buf, 0, 0, file, BlockIndexFormat.SERIES);
        d.reset(seriesStart + off, seriesEnd);
        return d;
    }

    /** Labels of series {@code id}. */
    Labels labels(int id) { return labels(id, null); }

    /** Number of symbols (the size of a symbol cache for {@link #labels(int, String[])}). */
    int symbolCount() { return symbolPos.size(); }

    /**
     * Labels of series {@code id}, taking symbols from {@code cache} (indexed by symbol number, filled as they
     * are decoded; null: decode every one): a querier reading many series decodes each distinct name and value
     * once, and the series share those Strings. The cache lives as long as its querier, so blocks keep no
     * decoded strings on the heap between queries.
     */
    Labels labels(int id, String[] cache) { return labels(id, cache, null); }

    /**
     * As {@link #labels(int, String[])}, sharing {@code previous}'s names array when the series has the same label
     * names (most series of a block do): one array per series less, and no intermediate name/value array.
     */
    Labels labels(int id, String[] cache, Labels previous) { return labels(id, cache, previous, null); }

    /** As {@link #labels(int, String[], Labels)}, reading through {@code reuse} (a decoder of this index, or null: a new one). */
    Labels labels(int id, String[] cache, Labels previous, DecBuf reuse) {
        DecBuf d = series(id, reuse);
        int n = d.uvarintInt(names.length, "label count");
        int maxRef = symbolPos.size() - 1;
        boolean byIndex = version >= BlockIndexFormat.VERSION_3;
        String[] values = new String[n];
        String[] ns = null;   // null while every name so far is previous's name at the same place
        boolean comparable = previous != null && previous.size() == n;
        for (int i = 0; i < n; i++) {
            String name, value;
            if (byIndex) {   // the name's position in the postings table, the value's among the name's values
                int ni = d.uvarintInt(names.length - 1, "label name index");
                name = names[ni];
                value = symbol(entries[ni].valueRefs.get(d.uvarintInt(entries[ni].count() - 1L, "label value index")), d, cache);
            } else {
                name = symbol(d.uvarintInt(maxRef, "symbol ref"), d, cache);
                value = symbol(d.uvarintInt(maxRef, "symbol ref"), d, cache);
            }
            if (ns == null && (!comparable || !name.equals(previous.name(i)))) {
                ns = new String[n];
                for (int j = 0; j < i; j++) ns[j] = previous.name(j);
            }
            if (ns != null) ns[i] = name;
            values[i] = value;
        }
        if (ns == null) return comparable ? Labels.withNamesOf(previous, values) : Labels.EMPTY;   // (no labels at all)
        return Labels.withSharedNames(ns, values);
    }

    private String symbol(int ref, DecBuf d, String[] cache) {
        if (cache == null) return recentSymbol(ref, d);
        String sym = cache[ref];
        if (sym == null) cache[ref] = sym = symbol(ref, d);
        return sym;
    }

    /** Reads the chunk metadata of series {@code id} into {@code out}; {@code d} is a reusable decoder or null. */
    DecBuf chunks(int id, ChunkMetas out, DecBuf d) {
        d = series(id, d);
        int n = d.uvarintInt(names.length, "label count");
        for (int i = 0; i < 2 * n; i++) d.uvarint();
        int nc = d.uvarintInt(Integer.MAX_VALUE, "chunk count");
        out.clear();
        long prevMaxt = 0, prevRef = 0;
        for (int i = 0; i < nc; i++) {
            long mint = i > 0 ? prevMaxt + d.uvarint() : version >= BlockIndexFormat.VERSION_3 ? baseTime + d.uvarint() : d.varint();
            long maxt = mint + d.uvarint();
            int count = d.uvarintInt(ChunksFileFormat.MAX_CHUNK_BYTES * 8L, "chunk sample count");
            long ref = i == 0 ? d.uvarint() : prevRef + d.varint();
            if (maxt < mint || count < 1) throw d.corrupt("bad chunk metadata of series " + id);
            out.add(mint, maxt, count, ref);
            prevMaxt = maxt;
            prevRef = ref;
        }
        return d;
    }
}
