package io.tsdb.server;

/** Entry point; the command-line layer (picocli) and server lifecycle are built in issue 2. */
public final class Main {
    public static void main(String[] args) {
        System.setProperty("chronicle.analytics.disable", "true");
        throw new UnsupportedOperationException("not yet implemented");
    }
}
