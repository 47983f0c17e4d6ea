package io.tsdb.server;

import io.tsdb.server.http.Router;

/** A group of HTTP routes (ingest, Prometheus API, console, ops) registered at start-up. */
public interface Feature {
    void register(Router router, ServerContext context);
}
