package io.tsdb.core;

/** A snapshot of storage statistics. */
public record StorageStats(
        long activeSeries,
        long headSamples,
        long headMinTime,
        long headMaxTime,
        int blocks,
        long blockSamples,
        long diskBytes,
        long walBytes) {
}
