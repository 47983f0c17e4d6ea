package io.tsdb.server;

import io.tsdb.core.Storage;
import io.tsdb.query.engine.QueryEngine;

/** Creates the query engine over the open storage. */
@FunctionalInterface
public interface EngineFactory {
    QueryEngine create(Storage storage, ServerConfig config);
}
