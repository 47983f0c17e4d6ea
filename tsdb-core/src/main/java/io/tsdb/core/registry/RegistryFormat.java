package io.tsdb.core.registry;

/**
 * Descriptor of the series registry files (spec: docs/format/series-registry.md).
 *
 * <p>{@value #FILE_NAME} is a Chronicle Map (its own segment layout, header and recovery) mapping the
 * canonical label bytes ({@link LabelsCodec}) to a 4-byte series id. One reserved entry, key
 * {@link #VERSION_KEY} (cannot be a label set: a label-set key starts with a varint below 0x80), holds
 * the format version {@value #VERSION}. {@value #CLEAN_MARKER} exists only while the registry is
 * closed cleanly; when it is absent at open the map is opened with Chronicle Map recovery.
 */
public final class RegistryFormat {
    public static final String FILE_NAME = "series.registry";
    public static final String CLEAN_MARKER = "series.registry.clean";
    public static final int VERSION = 1;
    /** Reserved key: 0xFF 'T' 'S' 'R'. */
    public static final byte[] VERSION_KEY = {(byte) 0xFF, 'T', 'S', 'R'};
    /** Average key size hint for Chronicle Map sizing, bytes. */
    public static final int AVERAGE_KEY_BYTES = 160;

    private RegistryFormat() {}
}
