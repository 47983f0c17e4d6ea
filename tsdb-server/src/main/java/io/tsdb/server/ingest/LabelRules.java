package io.tsdb.server.ingest;

import io.tsdb.server.ServerConfig;

/** Label limits applied at ingest (from {@link ServerConfig}). */
public record LabelRules(int maxLabels, int maxNameLength, int maxValueLength) {
    public static LabelRules of(ServerConfig c) {
        return new LabelRules(c.maxLabelsPerSeries, c.maxLabelNameLength, c.maxLabelValueLength);
    }
}
