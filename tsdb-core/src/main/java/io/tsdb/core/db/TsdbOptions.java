package io.tsdb.core.db;

import io.tsdb.core.RetentionRule;
import io.tsdb.core.fs.FileLayer;
import io.tsdb.core.registry.Limits;
import io.tsdb.core.wal.FsyncPolicy;
import io.tsdb.core.wal.WalFormat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/** Options of a {@link Tsdb}; build with {@link #builder(Path)}. */
public record TsdbOptions(
        Path dataDir,
        Duration retention,
        FsyncPolicy walFsync,
        Duration walFsyncInterval,
        long walSegmentBytes,
        Duration outOfOrderWindow,
        Duration futureTolerance,
        Limits limits,
        long registryCapacity,
        Duration blockDuration,
        List<RetentionRule> retentionRules,
        FileLayer fileLayer) {

    public TsdbOptions {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(fileLayer, "fileLayer");
        if (retention.isNegative() || retention.isZero()) throw new IllegalArgumentException("retention must be positive: " + retention);
        if (walFsyncInterval.toMillis() <= 0) throw new IllegalArgumentException("WAL fsync interval must be positive: " + walFsyncInterval);
        if (walSegmentBytes < 64 * 1024) throw new IllegalArgumentException("WAL segment size must be at least 64 KiB: " + walSegmentBytes);
        if (outOfOrderWindow.isNegative()) throw new IllegalArgumentException("out-of-order window must not be negative: " + outOfOrderWindow);
        if (futureTolerance.isNegative()) throw new IllegalArgumentException("future tolerance must not be negative: " + futureTolerance);
        retentionRules = List.copyOf(retentionRules);
        for (RetentionRule r : retentionRules) {
            if (r.retention().compareTo(retention) > 0) {
                throw new IllegalArgumentException("retention rule " + r.text() + " keeps data longer than the retention "
                        + retention + "; a rule can only shorten the retention of the series it selects");
            }
        }
    }

    public static Builder builder(Path dataDir) { return new Builder(dataDir); }

    public Builder toBuilder() {
        Builder b = new Builder(dataDir);
        b.retention = retention; b.walFsync = walFsync; b.walFsyncInterval = walFsyncInterval;
        b.walSegmentBytes = walSegmentBytes; b.outOfOrderWindow = outOfOrderWindow; b.futureTolerance = futureTolerance;
        b.limits = limits; b.registryCapacity = registryCapacity; b.blockDuration = blockDuration;
        b.retentionRules = retentionRules;
        b.fileLayer = fileLayer;
        return b;
    }

    public static final class Builder {
        private final Path dataDir;
        private Duration retention = Duration.ofDays(15);
        private FsyncPolicy walFsync = FsyncPolicy.ALWAYS;
        private Duration walFsyncInterval = Duration.ofSeconds(1);
        private long walSegmentBytes = WalFormat.DEFAULT_SEGMENT_BYTES;
        private Duration outOfOrderWindow = Duration.ofHours(1);
        private Duration futureTolerance = Duration.ofMinutes(10);
        private Limits limits = Limits.DEFAULT;
        private long registryCapacity = io.tsdb.core.registry.RegistryFormat.DEFAULT_FIRST_CAPACITY;
        private Duration blockDuration = Duration.ofHours(2);
        private List<RetentionRule> retentionRules = List.of();
        private FileLayer fileLayer = FileLayer.SYSTEM;

        Builder(Path dataDir) { this.dataDir = dataDir; }

        /** How long blocks are kept (default 15d). */
        public Builder retention(Duration d) { retention = d; return this; }
        /** WAL fsync policy (default ALWAYS). */
        public Builder walFsync(FsyncPolicy p) { walFsync = p; return this; }
        /** Interval of the PERIODIC policy (default 1s). */
        public Builder walFsyncInterval(Duration d) { walFsyncInterval = d; return this; }
        public Builder walSegmentBytes(long n) { walSegmentBytes = n; return this; }
        /** How far behind a series' newest sample a sample may be (default 1h; 0 disables out-of-order). */
        public Builder outOfOrderWindow(Duration d) { outOfOrderWindow = d; return this; }
        /** How far ahead of the wall clock a sample may be (default 10m). */
        public Builder futureTolerance(Duration d) { futureTolerance = d; return this; }
        public Builder limits(Limits l) { limits = l; return this; }
        /** Expected number of series, sizes the registry file (it grows beyond when needed). */
        public Builder registryCapacity(long n) { registryCapacity = n; return this; }
        /** Time span of the head after which it is cut into a block (default 2h). */
        public Builder blockDuration(Duration d) { blockDuration = d; return this; }
        /**
         * Retention by selector (default none): matching series' data goes once older than the rule's retention
         * (block by block, see docs/operations.md); each rule at most {@link #retention}.
         */
        public Builder retentionRules(List<RetentionRule> rules) { retentionRules = rules; return this; }
        /**
         * How files are written, fsynced, renamed and deleted (default {@link FileLayer#SYSTEM}; tests pass a
         * fault-injecting layer).
         */
        public Builder fileLayer(FileLayer f) { fileLayer = f; return this; }
        public TsdbOptions build() {
            return new TsdbOptions(dataDir, retention, walFsync, walFsyncInterval, walSegmentBytes, outOfOrderWindow,
                    futureTolerance, limits, registryCapacity, blockDuration, retentionRules, fileLayer);
        }
    }
}
