package io.tsdb.query.parser;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import io.tsdb.query.testdata.SharedTestData;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every {@code eval} query of the PromQL conformance scripts (shared/promql-testdata/core) must parse,
 * except cases expected to fail (they may fail at parse or at evaluation, so nothing is asserted).
 * Prints the counts per file.
 */
class ConformanceQueriesParseTest {
    private static final Pattern EVAL = Pattern.compile(
            "^(eval(?:_fail|_warn|_info|_ordered)?)\\s+(?:instant\\s+at\\s+\\S+|range\\s+from\\s+\\S+\\s+to\\s+\\S+\\s+step\\s+\\S+)\\s+(.*)$");

    record Case(String file, int line, String query, boolean expectFail) {}

    /** shared/promql-testdata, or null when absent (see SharedTestData). */
    static Path testdata() {
        return SharedTestData.find("promql-testdata");
    }

    static List<Case> cases(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file);
        List<Case> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = EVAL.matcher(lines.get(i).strip());
            if (!m.matches()) continue;
            boolean fail = m.group(1).equals("eval_fail");
            for (int j = i + 1; j < lines.size(); j++) {
                String l = lines.get(j).strip();
                if (l.isEmpty() || l.startsWith("eval") || l.startsWith("load") || l.startsWith("clear")) break;
                if (l.startsWith("expect fail")) fail = true;
            }
            out.add(new Case(file.getFileName().toString(), i + 1, m.group(2), fail));
        }
        return out;
    }

    static Map<String, int[]> run(Path dir, List<String> failures) throws IOException {
        Map<String, int[]> counts = new TreeMap<>();
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.toString().endsWith(".test")).sorted().toList();
        }
        for (Path f : files) {
            int[] c = counts.computeIfAbsent(f.getFileName().toString(), k -> new int[4]); // total, parsed, expectFail, failed
            for (Case k : cases(f)) {
                c[0]++;
                try {
                    QueryParser.parse(k.query());
                    c[1]++;
                } catch (ParseException e) {
                    if (k.expectFail()) {
                        c[2]++;
                    } else {
                        c[3]++;
                        failures.add(k.file() + ":" + k.line() + ": " + k.query() + "  ->  " + e.getMessage());
                    }
                }
            }
        }
        return counts;
    }

    static void print(String title, Map<String, int[]> counts) {
        int t = 0, p = 0, x = 0, f = 0;
        StringBuilder b = new StringBuilder(title).append('\n');
        for (var e : counts.entrySet()) {
            int[] c = e.getValue();
            b.append(String.format("  %-28s %4d queries, %4d parse, %3d rejected (expected to fail), %3d rejected wrongly%n",
                    e.getKey(), c[0], c[1], c[2], c[3]));
            t += c[0]; p += c[1]; x += c[2]; f += c[3];
        }
        b.append(String.format("  %-28s %4d queries, %4d parse, %3d rejected (expected to fail), %3d rejected wrongly%n", "TOTAL", t, p, x, f));
        System.out.print(b);
    }

    @Test
    void everyCoreQueryParses() throws IOException {
        Path dir = SharedTestData.require("promql-testdata", "conformance queries parse");
        List<String> failures = new ArrayList<>();
        Map<String, int[]> counts = run(dir.resolve("core"), failures);
        print("Parser on promql-testdata/core:", counts);
        assertTrue(counts.values().stream().mapToInt(c -> c[1]).sum() > 1000, "expected over 1000 parsed queries");
        assertTrue(failures.isEmpty(), failures.size() + " queries rejected:\n" + String.join("\n", failures));
    }

    @Test
    void experimentalQueriesReport() throws IOException {
        Path dir = SharedTestData.require("promql-testdata", "experimental queries parse report");
        List<String> failures = new ArrayList<>();
        Map<String, int[]> counts = run(dir.resolve("experimental"), failures);
        print("Parser on promql-testdata/experimental (report only):", counts);
    }
}
