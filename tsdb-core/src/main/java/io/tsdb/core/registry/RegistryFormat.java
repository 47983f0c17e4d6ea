package io.tsdb.core.registry;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Descriptor of the series registry files (spec: docs/format/series-registry.md).
 *
 * <p>The registry is a sequence of <em>tiers</em>, {@code series-00.registry}, {@code series-01.registry},
 * ..., each a persisted Chronicle Map (its own segment layout, header and recovery) from a label set's key (version 4:
 * each name by its code in the names file, {@link LabelNameTable}; versions 2-3 held the names, as {@link LabelsCodec}
 * does, and are rewritten at open by {@link RegistryKeyMigration}) to a 4-byte series id. Tier {@code k} is created for
 * {@link #tierCapacity firstCapacity * 1.25^k} entries; new series go to the newest tier, and a new tier is started
 * when it holds its capacity. Sizing each map for what it will really hold keeps the file dense: a Chronicle Map
 * sized far beyond its contents touches a page per entry (about 4 KiB per series measured at 10k series in a
 * map sized for 1M), one sized for its contents costs about its key bytes plus a small overhead.
 *
 * <p>Every tier holds one reserved entry, key {@link #VERSION_KEY} (cannot be a label set: a label-set key
 * starts with a varint below 0x80), whose value is the format version {@value #VERSION}; tiers may also hold
 * {@link #NEXT_ID_KEY}. A label set may appear in more than one tier, always with the same id. Series whose
 * data retention deleted leave the registry: their tier is rewritten under {@code <tier>}{@value #TMP_SUFFIX}
 * and renamed over the old file.
 * {@value #CLEAN_MARKER} exists only while the registry is closed cleanly; when it is absent at open every
 * tier is opened with Chronicle Map recovery. {@value #LEGACY_FILE_NAME} is the single-map layout of version 1,
 * migrated into tiers at open.
 */
public final class RegistryFormat {
    /** Version 1's single map (migrated at open). */
    public static final String LEGACY_FILE_NAME = "series.registry";
    public static final String CLEAN_MARKER = "series.registry.clean";
    public static final int VERSION = 4;
    /**
     * Tiers of versions 2 and 3 hold the label names in their keys; opening the registry rewrites them with names by
     * code ({@link RegistryKeyMigration}). Version 2 lacks only the next-id entry.
     */
    public static final int FIRST_INLINE_NAMES_VERSION = 2;
    /** Empty marker: a migration of the tiers to version 4 keys has begun and not ended (the next open goes on with it). */
    public static final String MIGRATING_MARKER = "series.registry.migrating";
    public static final int LEGACY_VERSION = 1;
    /** Reserved key: 0xFF 'T' 'S' 'R'. */
    public static final byte[] VERSION_KEY = {(byte) 0xFF, 'T', 'S', 'R'};
    /**
     * Reserved key of the newest tier (version 3): 0xFF 'N' 'I' 'D'; value = the next series id to assign, so
     * that ids are never reused even after the series holding the highest ones left the registry.
     */
    public static final byte[] NEXT_ID_KEY = {(byte) 0xFF, 'N', 'I', 'D'};
    /**
     * Suffix of a tier being created or rewritten (without the series that have no data left); removed at open.
     */
    public static final String TMP_SUFFIX = ".tmp";
    /**
     * Suffix of the empty marker file {@code <tier>.allocated}: every block of that tier file is allocated on disk,
     * so writes through its memory mapping cannot meet a full disk (SIGBUS). The newest tier always has one.
     */
    public static final String ALLOCATED_SUFFIX = ".allocated";
    /**
     * Key size hint for opening a map whose configuration is read from its header (the hint is then unused), and of
     * version 1's single map.
     */
    public static final int AVERAGE_KEY_BYTES = 160;
    /**
     * Key size hint of a tier created before any key is known (the first tier of a new registry), bytes. Measured with
     * Chronicle Map 2026.1, 16-byte chunks: a 1,024-entry map allocates 384 bytes per entry with this hint (464 with
     * 160), and 250-byte keys grow it at 1.29 N (0.98 N with 96).
     */
    public static final int FIRST_TIER_KEY_BYTES = 128;
    /** Smallest key size hint of a tier created after keys were seen ({@link #keySizeHint}). */
    public static final int MIN_KEY_HINT_BYTES = 64;

    /**
     * The key size hint of a new tier: three quarters of {@code averageKeyBytes} (of the keys registered so far), rounded
     * up to 8, at least {@link #MIN_KEY_HINT_BYTES}; {@link #FIRST_TIER_KEY_BYTES} when no key is known (0). A map sized with a hint far below its real keys grows its file
     * before it holds its entries, and the appended blocks are not allocated (see {@link RegistryTier#grown}). Measured
     * with Chronicle Map 2026.1, 16-byte chunks, maps created for N entries of 1,024 to 23,296: with the 160-byte hint,
     * 400-byte keys appended a tier bulk at 0.9-1.0 N, 300-byte keys at 1.2-1.3 N, 185 to 213-byte keys at 1.6-1.8 N;
     * with keys at most a third longer than the hint, at 1.5-1.8 N. A larger hint makes a larger file, so the hint
     * follows the keys only that far. Allocated bytes per entry of a 3,136-entry map: 195 with hint 64, 232 with 80,
     * 270 with 96, 419 with 160; 98-byte keys (the TSBS label sets in version 4 keys) grow a map with hint 80 at 1.8 N.
     */
    public static int keySizeHint(double averageKeyBytes) {
        if (!(averageKeyBytes > 0)) return FIRST_TIER_KEY_BYTES;
        double h = averageKeyBytes * 0.75;
        if (!(h > MIN_KEY_HINT_BYTES)) return MIN_KEY_HINT_BYTES;
        return (int) Math.min(1 << 20, (long) Math.ceil(h / 8) * 8);
    }
    /**
     * Chronicle Map chunk size of tiers created by this version (an entry takes whole chunks; Chronicle's default for
     * the key size hint is 64 bytes, which wasted 28 bytes per entry on average with 185-byte label sets). Stored
     * in each tier's header, so tiers of either chunk size open alike.
     */
    public static final int CHUNK_BYTES = 16;
    /** Default entries of tier 0. */
    public static final long DEFAULT_FIRST_CAPACITY = 1024;
    /** Highest tier index (two decimal digits in the file name). */
    public static final int MAX_TIERS = 100;

    private static final Pattern TIER = Pattern.compile("series-(\\d{2})\\.registry");

    /** File name of tier {@code k}. */
    public static String tierFileName(int k) {
        if (k < 0 || k >= MAX_TIERS) throw new IllegalArgumentException("tier index out of range: " + k);
        return String.format("series-%02d.registry", k);
    }

    /** Tier index of a file name, or -1 when the name is not a tier file. */
    public static int tierIndex(String fileName) {
        Matcher m = TIER.matcher(fileName);
        return m.matches() ? Integer.parseInt(m.group(1)) : -1;
    }

    /** Entries tier {@code k} is created for: {@code firstCapacity * GROWTH^k}, rounded up to a multiple of 64. */
    public static long tierCapacity(long firstCapacity, int k) {
        double c = firstCapacity * StrictMath.pow(GROWTH, k);
        if (c >= Long.MAX_VALUE / 4.0) return Long.MAX_VALUE / 2;
        return (long) Math.ceil(c / 64) * 64;
    }

    /**
     * Capacity ratio of consecutive tiers. The newest tier is allocated whole ahead of use (see
     * {@link RegistryTier#createAllocated}), so its capacity is what the registry allocates beyond the series it
     * holds: with 1.25 that is at most a fifth of the registry's capacity (doubling allocated as much again as the
     * registry held). More tiers cost no lookup: a new series is answered from memory, a known one probes the one
     * tier whose id range holds it.
     */
    public static final double GROWTH = 1.25;

    private RegistryFormat() {}
}
