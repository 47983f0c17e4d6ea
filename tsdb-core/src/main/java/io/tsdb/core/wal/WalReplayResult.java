package io.tsdb.core.wal;

/**
 * What replay found: records, samples and series applied; damaged regions ({@code corruptions}), the bytes
 * truncated from segment tails and the bytes skipped between valid records; wall time and CPU time of the whole
 * process during replay (all threads, incl. GC).
 */
public record WalReplayResult(int segments, long records, long samples, long series,
                              int corruptions, long truncatedBytes, long skippedBytes, long millis, long cpuMillis) {
}
