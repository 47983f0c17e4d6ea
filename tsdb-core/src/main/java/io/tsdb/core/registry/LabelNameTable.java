package io.tsdb.core.registry;

import io.tsdb.core.Labels;
import io.tsdb.core.fs.FileLayer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32C;

/**
 * The label names of the series registry and their codes: file {@value #FILE_NAME} (spec:
 * docs/format/series-registry.md, "Label names file"), and the registry's key encoding (version 4), in which each
 * label name is its code instead of its bytes. The names of a registry are few (tens, against millions of series),
 * so this takes about half of a typical key's bytes out of every tier.
 *
 * <p>Codes are the names' positions in the file, assigned in the order the names were first registered and never
 * changed, so a label set always has the same key. A name is appended and the file fsynced before any key that uses
 * its code is written ({@link #codesAdding}): no tier can hold a code the file lacks, even after a power loss.
 * A record that is not whole at the end of the file (a crash during an append) was never used and is cut off at open.
 *
 * <p>Thread-safety: {@link #key} (name to code) may be called from any thread, without a lock; {@link #codesAdding},
 * {@link #decode} and {@link #close} are called under the registry's monitor.
 */
final class LabelNameTable implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(LabelNameTable.class);
    static final String FILE_NAME = "series.registry.names";
    /** "TSRN". */
    static final int MAGIC = 0x5453524E;
    static final byte VERSION = 1;
    static final int HEADER_BYTES = 8;
    /** Longest name accepted (bytes of UTF-8); longer names are refused with the series. */
    static final int MAX_NAME_BYTES = 1 << 16;

    private final FileLayer fs;
    private final Path file;
    private final ConcurrentHashMap<String, Integer> codes = new ConcurrentHashMap<>();
    private final List<String> names = new ArrayList<>();
    private FileChannel ch;
    private long end;

    private LabelNameTable(FileLayer fs, Path file) {
        this.fs = fs;
        this.file = file;
    }

    static Path path(Path dir) { return dir.resolve(FILE_NAME); }

    /** Whether {@code dir} has a names file (a registry of version 4). */
    static boolean exists(Path dir) { return Files.exists(path(dir)); }

    /**
     * Opens the names file of {@code dir}, creating it (durably) when absent. A torn last record is cut off.
     * @throws IOException when the file cannot be read or written, or its header is not a names file's
     */
    static LabelNameTable open(FileLayer fs, Path dir) throws IOException {
        LabelNameTable t = new LabelNameTable(fs, path(dir));
        boolean created = !Files.exists(t.file);
        t.ch = fs.open(t.file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            if (created || t.ch.size() < HEADER_BYTES) {
                // shorter than its header: a creation a crash cut short, before any name (a name is appended, and
                // fsynced, only after the header is durable), so no key can use a code of it
                t.ch.truncate(0);
                ByteBuffer h = ByteBuffer.allocate(HEADER_BYTES).putInt(MAGIC).put(VERSION).put(new byte[3]).flip();
                while (h.hasRemaining()) t.ch.write(h, h.position());
                t.ch.force(true);
                fs.fsyncDirectory(dir);
                t.end = HEADER_BYTES;
            } else {
                t.read();
            }
        } catch (IOException | RuntimeException e) {
            t.ch.close();
            throw e;
        }
        return t;
    }

    private void read() throws IOException {
        long size = ch.size();
        if (size > Integer.MAX_VALUE) throw new IOException("label names file " + file + " is too large (" + size + " bytes)");
        ByteBuffer b = ByteBuffer.allocate((int) size);
        while (b.hasRemaining() && ch.read(b, b.position()) >= 0) { }
        b.flip();
        if (b.remaining() < HEADER_BYTES || b.getInt() != MAGIC || b.get() != VERSION || b.get() != 0 || b.get() != 0 || b.get() != 0)
            throw new IOException("label names file " + file + " has no valid header; the series registry is damaged");
        int p = HEADER_BYTES;
        CRC32C crc = new CRC32C();
        while (true) {
            int len = -1, q = p, shift = 0, v = 0;
            while (q < b.limit() && shift <= 21) {
                int x = b.get(q++);
                v |= (x & 0x7F) << shift;
                if ((x & 0x80) == 0) { len = v; break; }
                shift += 7;
            }
            if (len < 1 || len > MAX_NAME_BYTES || q + len + 4 > b.limit()) break;
            crc.reset();
            crc.update(b.array(), p, q - p + len);
            if ((int) crc.getValue() != b.getInt(q + len)) break;
            String name = new String(b.array(), q, len, StandardCharsets.UTF_8);
            codes.put(name, names.size());
            names.add(name);
            p = q + len + 4;
        }
        end = p;
        if (p < size) {
            log.warn("label names file {}: cutting off {} bytes after its {} names (an append interrupted by a crash; never used)",
                    file, size - p, names.size());
            ch.truncate(p);
            ch.force(true);
        }
    }

    /** Number of names. */
    int size() { return names.size(); }

    /** The name of {@code code}; caller holds the registry's monitor. */
    private String name(int code) {
        if (code < 0 || code >= names.size())
            throw new IllegalArgumentException("label name code " + code + " is not in " + file + " (" + names.size() + " names)");
        return names.get(code);
    }

    /**
     * The registry key of {@code labels} (version 4, see the class comment), or null when one of its names has no code
     * yet (the label set cannot be registered). Any thread.
     */
    byte[] key(Labels labels) {
        int n = labels.size();
        int len = LabelsCodec.varintSize(n);
        for (int i = 0; i < n; i++) {
            Integer c = codes.get(labels.name(i));
            if (c == null) return null;
            int v = LabelsCodec.utf8Length(labels.value(i));
            len += LabelsCodec.varintSize(c) + LabelsCodec.varintSize(v) + v;
        }
        byte[] out = new byte[len];
        int p = LabelsCodec.putVarint(out, 0, n);
        for (int i = 0; i < n; i++) {
            Integer c = codes.get(labels.name(i));
            if (c == null) return null;   // cannot happen: codes are never removed
            p = LabelsCodec.putVarint(out, p, c);
            p = LabelsCodec.putString(out, p, labels.value(i));
        }
        if (p != len) throw new IllegalStateException("label set encoding size changed while encoding");
        return out;
    }

    /**
     * The key of {@code labels}, appending the names that have no code yet (and fsyncing the file before returning);
     * caller holds the registry's monitor.
     * @throws IOException when a name cannot be appended (e.g. no space left on device); no code was assigned
     */
    byte[] keyAdding(Labels labels) throws IOException {
        byte[] k = key(labels);
        if (k != null) return k;
        codesAdding(labels);
        return key(labels);
    }

    /** Appends the names of {@code labels} that have no code yet, then fsyncs the file; see {@link #keyAdding}. */
    void codesAdding(Labels labels) throws IOException {
        List<String> added = new ArrayList<>();
        for (int i = 0; i < labels.size(); i++) {
            String name = labels.name(i);
            if (!codes.containsKey(name) && !added.contains(name)) added.add(name);
        }
        if (added.isEmpty()) return;
        if (ch == null) throw new IllegalStateException("label names file " + file + " is closed");
        int bytes = 0;
        List<byte[]> encoded = new ArrayList<>();
        for (String name : added) {
            byte[] u = new byte[LabelsCodec.utf8Length(name)];
            LabelsCodec.putUtf8(u, 0, name);
            if (u.length < 1 || u.length > MAX_NAME_BYTES)
                throw new IOException("label name of " + u.length + " bytes cannot be registered (1 to " + MAX_NAME_BYTES + ")");
            encoded.add(u);
            bytes += LabelsCodec.varintSize(u.length) + u.length + 4;
        }
        ByteBuffer b = ByteBuffer.allocate(bytes);
        CRC32C crc = new CRC32C();
        for (byte[] u : encoded) {
            int start = b.position();
            byte[] len = new byte[LabelsCodec.varintSize(u.length)];
            LabelsCodec.putVarint(len, 0, u.length);
            b.put(len).put(u);
            crc.reset();
            crc.update(b.array(), start, b.position() - start);
            b.putInt((int) crc.getValue());
        }
        b.flip();
        try {
            while (b.hasRemaining()) ch.write(b, end + b.position());
            ch.force(false);
        } catch (IOException e) {
            try {
                ch.truncate(end);   // what was written is not whole, or not known to be durable: never used
            } catch (IOException ignored) {
                // cut off at the next open (or completed there: unused either way)
            }
            throw new IOException("cannot append label names " + added + " to " + file + ": " + e.getMessage(), e);
        }
        end += bytes;
        for (String name : added) {
            codes.put(name, names.size());
            names.add(name);
        }
    }

    /** The label set of a version 4 key; caller holds the registry's monitor. Throws IllegalArgumentException on malformed input. */
    Labels decode(byte[] in) {
        int[] pos = {0};
        int end = in.length;
        int n = LabelsCodec.getVarint(in, pos, end);
        if (n < 0 || n > 10_000) throw new IllegalArgumentException("bad label count " + n);
        String[] kv = new String[2 * n];
        for (int i = 0; i < n; i++) {
            kv[2 * i] = name(LabelsCodec.getVarint(in, pos, end));
            int l = LabelsCodec.getVarint(in, pos, end);
            if (l < 0 || pos[0] + l > end) throw new IllegalArgumentException("label value overruns the key");
            kv[2 * i + 1] = new String(in, pos[0], l, StandardCharsets.UTF_8);
            pos[0] += l;
        }
        if (pos[0] != end) throw new IllegalArgumentException("trailing bytes after labels");
        return LabelsCodec.sortedLabels(kv);
    }

    /** Copies the file to {@code target} and fsyncs the copy (a snapshot of the registry). */
    void copyTo(Path target) throws IOException {
        byte[] all = Files.readAllBytes(file);
        fs.writeFileDurably(target, java.util.Arrays.copyOf(all, (int) Math.min(all.length, end)));
    }

    @Override public void close() throws IOException {
        if (ch != null) {
            ch.close();
            ch = null;
        }
    }
}
