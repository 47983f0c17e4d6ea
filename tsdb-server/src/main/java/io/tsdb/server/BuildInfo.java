package io.tsdb.server;

/** Version of this build (from the jar manifest when packaged). */
public final class BuildInfo {
    public static final String VERSION = versionOf();

    private BuildInfo() {}

    private static String versionOf() {
        String v = BuildInfo.class.getPackage().getImplementationVersion();
        return v != null ? v : "0.1.0-SNAPSHOT";
    }
}
