package io.tsdb.core.block;

import java.nio.file.Path;

/**
 * A block file failed validation: bad magic, unsupported version, checksum mismatch or an out-of-bounds
 * structure. The message always names the file and the section, so an operator knows what to delete or
 * restore. Unchecked because it can surface while iterating samples through {@link io.tsdb.core.SampleCursor}.
 */
public final class CorruptBlockException extends RuntimeException {
    private final transient Path file;
    private final String section;

    public CorruptBlockException(Path file, String section, String detail) {
        this(file, section, detail, null);
    }

    public CorruptBlockException(Path file, String section, String detail, Throwable cause) {
        super("corrupt block file " + file + ", section " + section + ": " + detail, cause);
        this.file = file;
        this.section = section;
    }

    /** The file that failed validation. */
    public Path file() { return file; }

    /** The section of the file (e.g. "symbols", "postings", "chunk@000001:1234"). */
    public String section() { return section; }
}
