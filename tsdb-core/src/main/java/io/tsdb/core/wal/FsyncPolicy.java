package io.tsdb.core.wal;

/**
 * When WAL writes are forced to stable storage. Every policy writes each committed record to the
 * segment file (the OS page cache) before {@code commit()} returns, so all survive a process crash
 * (kill -9); they differ for an OS crash or power loss. See docs/format/wal.md.
 */
public enum FsyncPolicy {
    /** fsync before commit returns (group commit shares one fsync between concurrent committers). */
    ALWAYS,
    /** fsync in the background every interval: an OS crash loses at most the last interval. */
    PERIODIC,
    /** never fsync (only on segment close): an OS crash may lose anything not yet written back by the OS. */
    NEVER;

    /** Parses {@code always|periodic|never} (case-insensitive), with a precise error. */
    public static FsyncPolicy parse(String s) {
        for (FsyncPolicy p : values()) if (p.name().equalsIgnoreCase(s.trim())) return p;
        throw new IllegalArgumentException("invalid WAL fsync policy \"" + s + "\": expected always, periodic or never");
    }
}
