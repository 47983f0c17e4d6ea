package io.tsdb.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StatusApiTest {
    final ApiFixture f = new ApiFixture();

    @Test void tsdbCardinalityFromTheIndex() throws Exception {
        for (int i = 0; i < 30; i++) f.add(1000, 1, "__name__", "big", "pod", "p" + i, "env", "prod");
        for (int i = 0; i < 5; i++) f.add(1000, 1, "__name__", "small", "pod", "p" + i, "env", i < 2 ? "dev" : "prod");
        JsonNode n = f.json(FakeRequest.get("/api/v1/status/tsdb?limit=3"), 200);
        assertEquals("success", n.get("status").asText());
        assertEquals(35, n.at("/data/headStats/numSeries").asLong());
        assertEquals(2 + 30 + 2, n.at("/data/headStats/numLabelPairs").asLong());
        JsonNode byMetric = n.at("/data/seriesCountByMetricName");
        assertEquals("big", byMetric.get(0).get("name").asText());
        assertEquals(30, byMetric.get(0).get("value").asLong());
        assertEquals("small", byMetric.get(1).get("name").asText());
        assertEquals(5, byMetric.get(1).get("value").asLong());
        JsonNode pairs = n.at("/data/seriesCountByLabelValuePair");
        assertEquals(3, pairs.size());
        assertEquals("env=prod", pairs.get(0).get("name").asText());
        assertEquals(33, pairs.get(0).get("value").asLong());
        assertEquals("__name__=big", pairs.get(1).get("name").asText());
        JsonNode values = n.at("/data/labelValueCountByLabelName");
        assertEquals("pod", values.get(0).get("name").asText());
        assertEquals(30, values.get(0).get("value").asLong());
        assertTrue(n.at("/data/memoryInBytesByLabelName").isArray());
    }

    @Test void flagsConfigRuntime() throws Exception {
        JsonNode flags = f.json(FakeRequest.get("/api/v1/status/flags"), 200);
        for (io.tsdb.server.cli.Flags.Flag fl : io.tsdb.server.cli.Flags.ALL) assertTrue(flags.get("data").has(fl.name()), fl.name());
        assertEquals("0.0.0.0:9201", flags.at("/data/listen").asText());
        JsonNode cfg = f.json(FakeRequest.get("/api/v1/status/config"), 200);
        assertTrue(cfg.at("/data/yaml").asText().contains("\nretention: "), cfg.toString());
        JsonNode rt = f.json(FakeRequest.get("/api/v1/status/runtimeinfo"), 200);
        assertEquals("15d", rt.at("/data/storageRetention").asText());
        assertTrue(rt.at("/data/startTime").asText().endsWith("Z"));
    }

    @Test void theConfigYamlIsAValidConfigFileAlsoWithListsAndSwitches() throws Exception {
        f.config.retentionRules = java.util.List.of(new io.tsdb.core.RetentionRule("{env=\"dev\",x='y'}:3d",
                java.util.List.of(io.tsdb.core.Matcher.eq("env", "dev"), io.tsdb.core.Matcher.eq("x", "y")), java.time.Duration.ofDays(3)));
        f.config.enableAdminApi = true;
        String yaml = f.json(FakeRequest.get("/api/v1/status/config"), 200).at("/data/yaml").asText();
        assertTrue(yaml.contains("retention.rule: ['{env=\"dev\",x=''y''}:3d']\n"), yaml);
        java.nio.file.Path file = java.nio.file.Files.createTempFile("status-config", ".yml");
        try {
            java.nio.file.Files.writeString(file, yaml);
            io.tsdb.server.cli.Cli.Result r = io.tsdb.server.cli.Cli.parse("--config=" + file);
            assertTrue(r instanceof io.tsdb.server.cli.Cli.Run, r.toString());
            io.tsdb.server.ServerConfig back = ((io.tsdb.server.cli.Cli.Run) r).config();
            assertEquals(io.tsdb.server.cli.Flags.values(f.config), io.tsdb.server.cli.Flags.values(back));
            assertEquals(f.config.retentionRules.get(0).matchers(), back.retentionRules.get(0).matchers());
        } finally {
            java.nio.file.Files.delete(file);
        }
    }

    @Test void durationNotation() {
        assertEquals("15d", StatusApi.formatDuration(15L * 86_400_000));
        assertEquals("1h30m", StatusApi.formatDuration(5_400_000));
        assertEquals("2w", StatusApi.formatDuration(14L * 86_400_000));
        assertEquals("1s500ms", StatusApi.formatDuration(1500));
        assertEquals("0s", StatusApi.formatDuration(0));
    }
}
