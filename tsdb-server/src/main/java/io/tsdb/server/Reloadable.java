package io.tsdb.server;

/**
 * A feature whose configuration files can be read again while the server runs (SIGHUP, {@code POST /-/reload}).
 * A failed reload must leave the previous configuration running.
 */
public interface Reloadable {
    /** The outcome of a reload: whether it applied, and what to tell the operator. */
    record Outcome(boolean ok, String message) {}

    Outcome reload();
}
