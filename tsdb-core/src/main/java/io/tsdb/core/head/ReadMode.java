package io.tsdb.core.head;

/**
 * Which samples of a head series a reader sees. A flush moves ("freezes") the samples it writes to a block
 * aside; queriers that cannot see that block yet keep reading them until they close.
 */
public enum ReadMode {
    /** Samples appended since the last flush. */
    CURRENT,
    /** Current samples and those frozen by the last flush (a querier opened before that flush's block existed). */
    ALL,
    /** Only the frozen samples (the flush writing them to a block). */
    FROZEN
}
