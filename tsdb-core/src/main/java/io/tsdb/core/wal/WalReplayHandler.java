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

    /** Newest timestamp and value bits per series, same 20-byte layout as samples (id, maxT, bits). */
    void seriesState(ByteBuffer buf, int offset, int count);

    /** Called once after the last record (also when a corrupt tail was cut). */
    default void finish() {}
}
