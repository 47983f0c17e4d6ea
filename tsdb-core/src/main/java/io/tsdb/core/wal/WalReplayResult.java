package io.tsdb.core.wal;

/** What replay found: records, samples and any corruption that was truncated away; wall time and CPU time of the whole process during replay (all threads, incl. GC). */
public record WalReplayResult(int segments, long records, long samples, long series,
                              int corruptions, long truncatedBytes, long millis, long cpuMillis) {
}
