package io.tsdb.server.http;

/** Lifecycle of the HTTP server: only ops endpoints are served while STARTING or STOPPING (others get 503). */
public enum ServerState { STARTING, RUNNING, STOPPING }
