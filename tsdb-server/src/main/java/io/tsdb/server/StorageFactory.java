package io.tsdb.server;

import io.tsdb.core.Storage;

import java.io.IOException;

/**
 * Opens the storage the server runs on. {@link TsdbServer} calls it once at start-up (after the HTTP port
 * is bound, so /-/healthy answers during a long WAL replay) and closes the result on shutdown.
 */
@FunctionalInterface
public interface StorageFactory {
    Storage open(ServerConfig config) throws IOException;

    /** Always hands out the given (already open) storage: for tests of upper layers. */
    static StorageFactory of(Storage storage) { return cfg -> storage; }
}
