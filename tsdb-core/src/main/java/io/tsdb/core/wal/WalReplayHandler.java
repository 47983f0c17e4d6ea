package io.tsdb.core.wal;

import io.tsdb.core.Labels;

import java.nio.ByteBuffer;

/** Receives WAL records during replay, in log order. */
public interface WalReplayHandler {
    void series(int id, Labels labels);

    /**
     * {@code count} samples of {@link WalFormat#SAMPLE_BYTES} each start at {@code offset} in {@code buf}
     * (little-endian: id i32, t i64, value bits i64). Only read within the call.
     */
    void samples(ByteBuffer buf, int offset, int count);

    /** One sample of a compact SAMPLES record (log order). */
    void sample(int id, long t, long valueBits);

    /**
     * Announces a compact SAMPLES record of {@code count} samples. Returning true promises that the samples
     * delivered next through {@link #sample} stay buffered (not applied) at least until the next record, so
     * that {@link #discardSamples} can take them back: the WAL then decodes the record once and discards its
     * samples if the body turns out malformed. With false (the default) the WAL validates the whole body
     * before delivering any sample (two decoding passes).
     */
    default boolean bufferSamples(int count) { return false; }

    /** Drops the samples delivered since the last {@link #bufferSamples} call that returned true. */
    default void discardSamples() { throw new UnsupportedOperationException("bufferSamples returned false"); }

    /**
     * One native histogram sample of a HISTOGRAMS record (log order; the record was validated whole before any of
     * its samples is delivered). The holder is reused for the next sample. A handler that cannot store histograms
     * keeps this default, which fails the replay loudly rather than dropping acknowledged samples.
     */
    default void histogram(int id, long t, io.tsdb.core.histogram.Histogram h) {
        throw new UnsupportedOperationException("the WAL holds native histogram samples; this replay handler cannot store them");
    }

    /** One float native histogram sample of a HISTOGRAMS record; see {@link #histogram}. */
    default void floatHistogram(int id, long t, io.tsdb.core.histogram.FloatHistogram h) {
        throw new UnsupportedOperationException("the WAL holds native histogram samples; this replay handler cannot store them");
    }

    /** Newest timestamp and value bits per series, same 20-byte layout as samples (id, maxT, bits). */
    void seriesState(ByteBuffer buf, int offset, int count);

    /**
     * Head deletions: {@code count} entries of 20 bytes (id i32, mint i64, maxt i64) at {@code offset}; the
     * samples of each series in [mint, maxt] delivered before this call are deleted, later ones are kept.
     */
    void tombstones(ByteBuffer buf, int offset, int count);

    /** Called once after the last record (also when a corrupt tail was cut). */
    default void finish() {}
}
