package io.tsdb.query.parser;

import io.tsdb.query.ast.Expr;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad input only ever yields a ParseException with a position inside the query (never another exception,
 * a hang or a crash); whatever parses prints to a string that parses back to the same tree. Inputs are
 * seeded mutations of real queries, so the run is deterministic.
 */
class ParserRobustnessTest {
    private static final String ALPHABET = "{}[]()<>=!~,:@+-*/%^\"'`# \n.0123456789abcxyzmsh_$\\";

    private static List<String> seeds() throws Exception {
        List<String> seeds = new ArrayList<>(List.of(
                "sum by (job) (rate(http_requests_total{code=~\"5..\"}[5m] offset 1m @ 100))",
                "http_request<code=500,region=westus>[5m]", "a * on(x) group_left(y) b > bool 1",
                "topk(3, x) unless y or z and w", "histogram_quantile(0.9, rate(x_bucket[5m:1m]))",
                "label_replace(x, \"a\", \"$1\", \"b\", \"(.*)\")", "-2 ^ -x offset -5m", "x{a=b, c=\"d\"}"));
        Path dir = ConformanceQueriesParseTest.testdata();
        if (dir != null) {
            try (Stream<Path> s = Files.list(dir.resolve("core"))) {
                for (Path f : s.filter(p -> p.toString().endsWith(".test")).sorted().toList()) {
                    for (ConformanceQueriesParseTest.Case c : ConformanceQueriesParseTest.cases(f)) seeds.add(c.query());
                }
            }
        }
        return seeds;
    }

    private static String mutate(String s, Random r) {
        StringBuilder b = new StringBuilder(s);
        int edits = 1 + r.nextInt(3);
        for (int i = 0; i < edits; i++) {
            int pos = b.length() == 0 ? 0 : r.nextInt(b.length());
            switch (r.nextInt(4)) {
                case 0 -> { if (b.length() > 0) b.deleteCharAt(pos); }
                case 1 -> b.insert(pos, ALPHABET.charAt(r.nextInt(ALPHABET.length())));
                case 2 -> { if (b.length() > 0) b.setCharAt(pos, ALPHABET.charAt(r.nextInt(ALPHABET.length()))); }
                default -> b.setLength(pos); // truncate
            }
        }
        return b.toString();
    }

    @Test
    void mutatedQueriesFailCleanlyOrRoundTrip() throws Exception {
        List<String> seeds = seeds();
        Random r = new Random(42);
        int parsed = 0;
        int rejected = 0;
        for (int i = 0; i < 8000; i++) {
            String q = mutate(seeds.get(r.nextInt(seeds.size())), r);
            Expr e;
            try {
                e = QueryParser.parse(q);
            } catch (ParseException ex) {
                rejected++;
                assertTrue(ex.offset() >= 0 && ex.offset() <= q.length(), () -> "offset out of range for " + q + ": " + ex.getMessage());
                assertTrue(ex.line() >= 1 && ex.column() >= 1, q);
                assertTrue(!ex.detail().isBlank() && !ex.detail().contains("null"), () -> q + " -> " + ex.getMessage());
                continue;
            } catch (RuntimeException ex) {
                throw new AssertionError("unexpected " + ex + " for query: " + q, ex);
            }
            parsed++;
            String printed = Printer.print(e);
            Expr again;
            try {
                again = QueryParser.parse(printed);
            } catch (ParseException ex) {
                throw new AssertionError(q + " printed as " + printed + " does not parse: " + ex.getMessage());
            }
            assertEquals(Ast.strip(e), Ast.strip(again), () -> q + " printed as " + printed);
        }
        assertTrue(parsed > 500 && rejected > 500, "parsed " + parsed + ", rejected " + rejected);
    }
}
