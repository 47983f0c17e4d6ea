package io.tsdb.query.engine;

import java.util.List;

/** A finished query: its value plus annotations (Prometheus "warnings" and "infos"). */
public record QueryResult(Value value, List<String> warnings, List<String> infos, QueryStats stats) {
}
