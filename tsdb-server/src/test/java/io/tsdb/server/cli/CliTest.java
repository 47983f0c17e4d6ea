package io.tsdb.server.cli;

import io.tsdb.server.ServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class CliTest {
    @TempDir Path tmp;

    private static ServerConfig run(String... args) {
        Cli.Result r = Cli.parse(args);
        if (r instanceof Cli.Exit e) fail("expected a config, got exit " + e.code() + ": " + e.stderr());
        return ((Cli.Run) r).config();
    }

    private static Cli.Exit exit(String... args) {
        Cli.Result r = Cli.parse(args);
        assertInstanceOf(Cli.Exit.class, r, "expected an exit");
        return (Cli.Exit) r;
    }

    @Test
    void defaults() {
        ServerConfig c = run();
        assertEquals("0.0.0.0", c.listenHost);
        assertEquals(9201, c.listenPort);
        assertEquals(Path.of("data"), c.dataDir);
        assertEquals(Duration.ofDays(15), c.retention);
        assertEquals("always", c.walFsync);
        assertNull(c.corsOrigin);
    }

    @Test
    void flagsSetEveryField() {
        ServerConfig c = run("--listen=127.0.0.1:1234", "--data", "/var/lib/tsdb", "--retention=30d",
                "--wal-fsync=periodic", "--wal-fsync-interval=250ms", "--storage.out-of-order-window=2h",
                "--storage.max-active-series=1000", "--storage.max-labels-per-series=10",
                "--storage.max-label-name-length=50", "--storage.max-label-value-length=60",
                "--ingest.max-body-size=8MiB", "--ingest.queue-size=5", "--query.timeout=1m30s",
                "--query.max-samples=123", "--query.max-series=45", "--query.lookback-delta=10m",
                "--web.cors-origin=.*", "--http.workers=3", "--http.max-queued-requests=7",
                "--http.idle-timeout=90s", "--shutdown-timeout=5s", "--log.level=DEBUG");
        assertEquals("127.0.0.1", c.listenHost);
        assertEquals(1234, c.listenPort);
        assertEquals(Path.of("/var/lib/tsdb"), c.dataDir);
        assertEquals(Duration.ofDays(30), c.retention);
        assertEquals("periodic", c.walFsync);
        assertEquals(Duration.ofMillis(250), c.walFsyncInterval);
        assertEquals(Duration.ofHours(2), c.outOfOrderWindow);
        assertEquals(1000, c.maxActiveSeries);
        assertEquals(10, c.maxLabelsPerSeries);
        assertEquals(50, c.maxLabelNameLength);
        assertEquals(60, c.maxLabelValueLength);
        assertEquals(8L << 20, c.maxBodyBytes);
        assertEquals(5, c.ingestQueueSize);
        assertEquals(Duration.ofSeconds(90), c.queryTimeout);
        assertEquals(123, c.queryMaxSamples);
        assertEquals(45, c.queryMaxSeries);
        assertEquals(Duration.ofMinutes(10), c.queryLookbackDelta);
        assertEquals(".*", c.corsOrigin);
        assertEquals(3, c.httpWorkers);
        assertEquals(7, c.httpMaxQueuedRequests);
        assertEquals(Duration.ofSeconds(90), c.httpIdleTimeout);
        assertEquals(Duration.ofSeconds(5), c.shutdownTimeout);
        assertEquals("debug", c.logLevel);
    }

    @Test
    void everyConfigFieldHasAFlag() {
        // Fields that are set by a flag: a flag table entry must change them.
        long fields = java.util.Arrays.stream(ServerConfig.class.getFields()).count();
        // listen sets two fields (host, port).
        assertEquals(fields, Flags.ALL.size() + 1, "every ServerConfig field needs a flag in Flags.ALL");
    }

    @Test
    void yamlFileFlatAndNestedAndFlagsOverride() throws Exception {
        Path f = tmp.resolve("tsdb.yml");
        Files.writeString(f, """
                listen: "127.0.0.1:9999"
                data: /srv/tsdb
                retention: 7d
                query:
                  timeout: 30s
                  max-samples: 1000
                web.cors-origin: "https://grafana\\\\.local"
                """);
        ServerConfig c = run("--config=" + f, "--retention=1d");
        assertEquals(9999, c.listenPort);
        assertEquals(Path.of("/srv/tsdb"), c.dataDir);
        assertEquals(Duration.ofDays(1), c.retention, "flag overrides file");
        assertEquals(Duration.ofSeconds(30), c.queryTimeout);
        assertEquals(1000, c.queryMaxSamples);
        assertEquals("https://grafana\\.local", c.corsOrigin);
    }

    @Test
    void effectiveValuesRoundTripThroughAConfigFile() throws Exception {
        ServerConfig c = run("--listen=127.0.0.1:1234", "--retention=1h30m", "--web.cors-origin=.*", "--ingest.max-body-size=3KiB",
                "--retention.rule={env=\"dev\",instance=~\"a:.*\"}:1h", "--retention.rule={x='y'}:30m", "--web.enable-admin-api");
        StringBuilder yaml = new StringBuilder();
        Flags.values(c).forEach((k, v) -> {
            if (v.isEmpty()) return;
            // a repeatable flag's value is a YAML list already
            if (Flags.byName(k).repeatable()) yaml.append(k).append(": ").append(v).append('\n');
            else yaml.append(k).append(": \"").append(v).append("\"\n");
        });
        Path f = tmp.resolve("roundtrip.yml");
        Files.writeString(f, yaml);
        assertEquals(Flags.values(c), Flags.values(run("--config=" + f)));
        assertEquals("127.0.0.1:1234", Flags.values(c).get("listen"));
        assertEquals("1h30m", Flags.values(c).get("retention"));
        assertEquals("['{env=\"dev\",instance=~\"a:.*\"}:1h', '{x=''y''}:30m']", Flags.values(c).get("retention.rule"));
        assertEquals("true", Flags.values(c).get("web.enable-admin-api"));
    }

    @Test
    void repeatableFlagsCollectEveryOccurrenceFromTheCommandLineOrAYamlList() throws Exception {
        ServerConfig c = run("--retention.rule={env=\"dev\"}:3d", "--retention.rule", "{job=~\"a|b\"}:12h");
        assertEquals(2, c.retentionRules.size());
        assertEquals("{env=\"dev\"}:3d", c.retentionRules.get(0).text());
        assertEquals(Duration.ofDays(3), c.retentionRules.get(0).retention());
        assertEquals(List.of(io.tsdb.core.Matcher.eq("env", "dev")), c.retentionRules.get(0).matchers());
        assertEquals(Duration.ofHours(12), c.retentionRules.get(1).retention());
        assertEquals(List.of(), run().retentionRules, "no rule by default");

        Path f = tmp.resolve("rules.yml");
        Files.writeString(f, """
                retention:
                  rule:
                    - '{env="dev"}:3d'
                    - '{env="test"}:7d'
                """);
        c = run("--config=" + f);
        assertEquals(List.of("{env=\"dev\"}:3d", "{env=\"test\"}:7d"), c.retentionRules.stream().map(r -> r.text()).toList());
        Files.writeString(f, "retention.rule: '{env=\"dev\"}:3d'\n");
        assertEquals(1, run("--config=" + f).retentionRules.size(), "a single value where a list is allowed");
        Files.writeString(f, "retention.rule: ['{env=\"dev\"}:3d', '{env=\"test\"}:7d']\n");
        c = run("--config=" + f, "--retention.rule={env=\"qa\"}:1d");
        assertEquals(List.of("{env=\"qa\"}:1d"), c.retentionRules.stream().map(r -> r.text()).toList(),
                "the command line replaces the file's list");
    }

    @Test
    void switchFlagsTakeNoValueOrABoolean() throws Exception {
        assertFalse(run().enableAdminApi);
        assertTrue(run("--web.enable-admin-api").enableAdminApi);
        assertTrue(run("--web.enable-admin-api=true").enableAdminApi);
        assertFalse(run("--web.enable-admin-api=false").enableAdminApi);
        Path f = tmp.resolve("switch.yml");
        Files.writeString(f, "web:\n  enable-admin-api: true\n");
        assertTrue(run("--config=" + f).enableAdminApi);
        assertFalse(run("--config=" + f, "--web.enable-admin-api=false").enableAdminApi);
        Cli.Exit e = exit("--web.enable-admin-api=yes please");
        assertEquals(2, e.code());
        assertTrue(e.stderr().contains("--web.enable-admin-api") && e.stderr().contains("expected true or false"), e.stderr());
    }

    @Test
    void badRetentionRulesStopTheServerWithTheReason() throws Exception {
        Cli.Exit e = exit("--retention.rule={env=\"dev\"}:forever");
        assertEquals(2, e.code());
        assertTrue(e.stderr().contains("--retention.rule") && e.stderr().contains("bad duration"), e.stderr());
        e = exit("--retention.rule={env=\"dev\"}");
        assertTrue(e.stderr().contains("is not SELECTOR:DURATION"), e.stderr());
        e = exit("--retention.rule=3d");
        assertTrue(e.stderr().contains("is not SELECTOR:DURATION"), e.stderr());
        e = exit("--retention.rule={env=~\".*\"}:3d");
        assertTrue(e.stderr().contains("bad selector") && e.stderr().contains("non-empty matcher"), e.stderr());
        e = exit("--retention.rule=sum(up):3d");
        assertTrue(e.stderr().contains("is not a series selector"), e.stderr());
        e = exit("--retention=10d", "--retention.rule={env=\"dev\"}:30d");
        assertEquals(2, e.code());
        assertEquals(1, e.stderr().lines().count(), e.stderr());
        assertTrue(e.stderr().contains("{env=\"dev\"}:30d keeps data longer than --retention=10d"), e.stderr());
        Path f = tmp.resolve("list.yml");
        Files.writeString(f, "retention: [7d, 8d]\n");
        e = exit("--config=" + f);
        assertEquals(2, e.code());
        assertTrue(e.stderr().contains("key 'retention' has a list value; expected a single value"), e.stderr());
    }

    @Test
    void yamlErrors() throws Exception {
        Path f = tmp.resolve("bad.yml");
        Files.writeString(f, "retention: 7d\nbogus: 1\n");
        Cli.Exit e = exit("--config", f.toString());
        assertEquals(2, e.code());
        assertTrue(e.stderr().contains("unknown key 'bogus'"), e.stderr());

        Files.writeString(f, "query:\n  timeout: soon\n");
        e = exit("--config", f.toString());
        assertEquals(2, e.code());
        assertTrue(e.stderr().contains("query.timeout") && e.stderr().contains("'soon' is not a duration"), e.stderr());

        e = exit("--config", tmp.resolve("missing.yml").toString());
        assertEquals(2, e.code());
        assertTrue(e.stderr().contains("missing.yml"), e.stderr());
    }

    @Test
    void helpListsEveryFlagWithDefaults() {
        Cli.Exit e = exit("--help");
        assertEquals(0, e.code());
        for (Flags.Flag f : Flags.ALL) assertTrue(e.stdout().contains(f.option()), f.option());
        assertTrue(e.stdout().contains("Default: 0.0.0.0:9201"));
        assertTrue(e.stdout().contains("Default: 15d"));
        assertTrue(e.stdout().contains("--config=FILE"));
    }

    @Test
    void unknownFlagAndInvalidValuesFailWithOneLine() {
        for (String[] args : new String[][]{
                {"--bogus"}, {"--retention=abc"}, {"--listen=nohost"}, {"--listen=1.2.3.4:99999"},
                {"--wal-fsync=sometimes"}, {"--query.max-samples=-1"}, {"--http.workers=0"},
                {"--ingest.max-body-size=lots"}, {"--log.level=loud"}, {"--web.cors-origin=(("}, {"positional"},
                {"--listen"}}) {
            Cli.Exit e = exit(args);
            assertEquals(2, e.code(), String.join(" ", args));
            assertEquals(1, e.stderr().lines().count(), "one line: " + e.stderr());
            assertTrue(e.stderr().startsWith("tsdb-server: "), e.stderr());
        }
        assertTrue(exit("--retention=abc").stderr().contains("--retention"));
        assertTrue(exit("--bogus").stderr().contains("--bogus"));
    }

    /** A server start parses without the rule tools' subcommands; errors, usage and the tools come out as with them. */
    @Test
    void serverStartParsesWithoutTheToolSubcommandsToTheSameOutcome() throws Exception {
        assertFalse(Cli.needsTools("--listen=127.0.0.1:0", "--data=/tmp/x", "--retention=30d"));
        assertTrue(Cli.needsTools("check", "rules", "r.yml"));
        assertTrue(Cli.needsTools("--data=d", "test", "rules", "t.yml"));
        assertTrue(Cli.needsTools("--help"));
        assertTrue(Cli.needsTools("-V"));
        for (String[] args : new String[][]{{"chek", "rules"}, {"--bogus"}, {"positional"}, {"--listen"}, {"--data=d", "tst"}}) {
            String full;
            try {
                new picocli.CommandLine(Cli.spec(true)).parseArgs(args);
                fail("the full spec accepts " + String.join(" ", args));
                return;
            } catch (picocli.CommandLine.ParameterException e) {
                full = e.getMessage().replace('\n', ' ');
            }
            Cli.Exit e = exit(args);
            assertEquals(2, e.code());
            assertTrue(e.stderr().contains(full), "same message as the full spec's: " + e.stderr() + " vs " + full);
        }
        assertTrue(exit("--help").stdout().contains("check"), "the usage lists the tools");
        Path rules = tmp.resolve("ok.yml");
        Files.writeString(rules, "groups:\n  - name: g\n    rules:\n      - record: a:b\n        expr: up\n");
        assertEquals(0, exit("check", "rules", rules.toString()).code());
        assertEquals(Duration.ofDays(30), run("--retention=30d").retention);
    }

    @Test
    void durationsAndSizes() {
        assertEquals(Duration.ofDays(15), Durations.parse("15d"));
        assertEquals(Duration.ofMinutes(90), Durations.parse("1h30m"));
        assertEquals(Duration.ofMillis(500), Durations.parse("500ms"));
        assertEquals(Duration.ofMillis(61_500), Durations.parse("1m1s500ms"));
        assertEquals(Duration.ofDays(7 + 365), Durations.parse("1y1w"));
        assertEquals(Duration.ZERO, Durations.parse("0"));
        assertThrows(IllegalArgumentException.class, () -> Durations.parse("5"));
        assertThrows(IllegalArgumentException.class, () -> Durations.parse("1m1h"));
        assertThrows(IllegalArgumentException.class, () -> Durations.parse(""));
        assertEquals("15d", Durations.format(Duration.ofDays(15)));
        assertEquals("1h30m", Durations.format(Duration.ofMinutes(90)));
        assertEquals("250ms", Durations.format(Duration.ofMillis(250)));
        assertEquals(64L << 20, ByteSizes.parse("64MiB"));
        assertEquals(64L << 20, ByteSizes.parse("64mb"));
        assertEquals(1000, ByteSizes.parse("1000"));
        assertEquals(2048, ByteSizes.parse("2k"));
        assertThrows(IllegalArgumentException.class, () -> ByteSizes.parse("1.5MiB"));
        assertEquals("64MiB", ByteSizes.format(64L << 20));
        assertEquals("1000B", ByteSizes.format(1000));
    }

    /** What a parse gives, comparable: exit code and output, or every flag's effective value. */
    private static Object outcome(Cli.Result r) {
        if (r instanceof Cli.Exit e) return List.of(e.code(), e.stdout(), e.stderr());
        return Flags.values(((Cli.Run) r).config());
    }

    @Test
    void simpleCommandLinesParseWithoutPicocliToTheSameOutcome() throws Exception {
        Path f = tmp.resolve("simple.yml");
        Files.writeString(f, "retention: 2d\nquery.timeout: 1m\nrules.file: []\n");
        List<String[]> simple = List.of(new String[0], new String[] {"--listen=127.0.0.1:1234", "--data=/var/lib/tsdb"},
                new String[] {"--retention.rule={env=\"dev\"}:3d", "--retention.rule={env=\"qa\"}:1d", "--retention=30d"},
                new String[] {"--web.enable-admin-api", "--web.enable-lifecycle=false", "--log.level=DEBUG"},
                new String[] {"--config=" + f, "--query.timeout=2m", "--external-label=a=b=c"},
                new String[] {"--retention=forever"}, new String[] {"--listen=nonsense"}, new String[] {"--web.enable-admin-api=maybe"},
                new String[] {"--config=" + tmp.resolve("missing.yml")});
        for (String[] args : simple) {
            assertNotNull(Cli.simpleArgs(args), String.join(" ", args));
            assertEquals(outcome(Cli.parseWithPicocli(args)), outcome(Cli.parse(args)), String.join(" ", args));
        }
        List<String[]> others = List.of(new String[] {"--data", "/x"}, new String[] {"--retention=1d", "--retention=2d"},
                new String[] {"--no-such-flag=1"}, new String[] {"--help"}, new String[] {"-V"}, new String[] {"check", "rules", "x"},
                new String[] {"--listen"}, new String[] {"--data="}, new String[] {"--data=-x"}, new String[] {"--data='x'"},
                new String[] {"--config=a", "--config=b"}, new String[] {"--web.enable-admin-api", "--web.enable-admin-api"},
                new String[] {"--"}, new String[] {"--retention=1d", "extra"});
        for (String[] args : others) {
            assertNull(Cli.simpleArgs(args), String.join(" ", args));
            assertEquals(outcome(Cli.parseWithPicocli(args)), outcome(Cli.parse(args)), String.join(" ", args));
        }
    }
}
