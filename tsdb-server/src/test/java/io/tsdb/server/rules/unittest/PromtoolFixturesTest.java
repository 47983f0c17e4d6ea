package io.tsdb.server.rules.unittest;

import io.tsdb.query.testdata.SharedTestData;
import io.tsdb.server.cli.Cli;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Upstream's promtool unit-test files (../shared/prometheus-rules-testdata/promtool, see its README) through the
 * jar's {@code test rules} subcommand, with the outcomes upstream's cmd/promtool/unittest_test.go expects for
 * promtool's command line (which enables the @ modifier and negative offsets, as this engine always does).
 * The one refusal: the first test group of unittest.yml loads native histograms, which this server does not store;
 * the test checks it fails for exactly that reason and that the file passes with that group removed.
 */
class PromtoolFixturesTest {
    static Path dir;

    @BeforeAll
    static void corpus() {
        dir = SharedTestData.require("prometheus-rules-testdata", "PromtoolFixturesTest").resolve("promtool");
    }

    record Run(int code, String out, String err) {}

    static Run test(String... args) {
        List<String> a = new ArrayList<>(List.of("test", "rules"));
        for (String x : args) a.add(x.endsWith(".yml") && !x.startsWith("/") ? dir.resolve(x).toString() : x);
        Cli.Result r = Cli.parse(a.toArray(String[]::new));
        Cli.Exit e = assertInstanceOf(Cli.Exit.class, r);
        return new Run(e.code(), e.stdout(), e.stderr());
    }

    static void passes(String... args) {
        Run r = test(args);
        assertEquals(0, r.code(), () -> "expected success: " + r.out() + r.err());
        assertTrue(r.out().contains("SUCCESS"), r.out());
    }

    @Test
    void runSelectsTestGroupsByName(@TempDir Path tmp) throws Exception {
        Path xml = tmp.resolve("r.xml");
        assertEquals(0, test("--run", "correct", "--junit", xml.toString(), "rules_run.yml").code());
        String s = Files.readString(xml);
        assertTrue(s.contains("name=\"correct test\"") && !s.contains("wrong test"), s);
    }

    static Run fails(String... args) {
        Run r = test(args);
        assertEquals(1, r.code(), () -> "expected failure: " + r.out() + r.err());
        assertTrue(r.err().contains("FAILED"), r.err());
        return r;
    }

    @Test
    void passingFiles() {
        passes("long-period.yml");
        passes("at-modifier-test.yml");      // promtool's CLI enables the @ modifier
        passes("negative-offset-test.yml");  // and negative offsets
        passes("no-test-group-interval.yml");
        passes("start-time-test.yml");
        passes("--run", "correct", "rules_run.yml");
        passes("--ignore-unknown-fields", "rules_run_extrafields.yml");
        passes("--run", "correct", "rules_run_fuzzy.yml");
    }

    @Test
    void failingFilesFailForTheirReason() {
        assertTrue(fails("bad-input-series.yml").err().contains("unexpected end of input"));
        assertTrue(fails("bad-promql.yml").err().contains("many-to-many matching not allowed"));
        assertTrue(fails("bad-rules-syntax-test.yml").err().contains("bad-rules-syntax.yml: 7:15: group \"bad-syntax\", rule 1, \"x\": could not parse expression"));
        assertTrue(fails("bad-rules-error-test.yml").err().contains("rule: joined, time: 0s, err: found duplicate series"));
        Run failing = fails("failing.yml");
        assertTrue(failing.err().contains("alertname: Test, time: 0s"), failing.err());
        assertTrue(failing.err().contains("expr: \"test\", time: 0s"), failing.err());
        assertTrue(failing.err().contains("alertname: AlwaysFiring, time: 5m"), failing.err());
        assertFalse(failing.err().contains("alertname: InstanceDown"), failing.err()); // pending at 5m, not firing
        fails("rules_run.yml");
        fails("--run", "correct", "--run", "wrong", "rules_run.yml");
        fails("--run", "wrong", "rules_run.yml");
        assertTrue(fails("rules_run_extrafields.yml").err().contains("field namespace not found in type rulefmt.RuleGroup"));
        fails("rules_run_no_fuzzy.yml");
        fails("--run", "wrong", "rules_run_fuzzy.yml");
    }

    @Test
    void unittestYmlPassesExceptItsNativeHistogramGroup(@TempDir Path tmp) throws Exception {
        Run r = fails("unittest.yml");
        assertEquals(1, r.err().lines().filter(l -> l.startsWith("    ")).count(), r.err());
        assertTrue(r.err().contains("native histogram values ({{...}}) are not supported"), r.err());

        // The same file without the histogram series and their expression tests passes entirely.
        List<String> kept = new ArrayList<>();
        List<String> lines = Files.readAllLines(dir.resolve("unittest.yml"));
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            if (l.contains("series: test_histogram")) { i++; continue; }                // series + values line
            if (l.contains("expr: test_histogram")) { i += 4; continue; }               // expr, eval_time, exp_samples, labels, histogram
            kept.add(l.replace("- rules.yml", "- " + dir.resolve("rules.yml")));
        }
        Path copy = tmp.resolve("unittest-float.yml");
        Files.write(copy, kept);
        assertFalse(Files.readString(copy).contains("{{schema"));
        passes(copy.toString());
    }

    @Test
    void junitReportListsEveryGroup(@TempDir Path tmp) throws Exception {
        Path xml = tmp.resolve("report.xml");
        Run r = test("--junit", xml.toString(), "rules_run.yml", "start-time-test.yml");
        assertEquals(1, r.code());
        String s = Files.readString(xml);
        assertTrue(s.contains("<testcase name=\"correct test\"></testcase>"), s);
        assertTrue(s.contains("<testcase name=\"wrong test\"><failure"), s);
        assertTrue(s.contains("<testcase name=\"rfc3339_start_timestamp\"></testcase>"), s);
    }
}
