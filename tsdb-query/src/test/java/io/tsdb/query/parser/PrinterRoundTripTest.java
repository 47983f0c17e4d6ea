package io.tsdb.query.parser;

import io.tsdb.query.ast.Expr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PrinterRoundTripTest {

    private static void roundTrip(String q) {
        Expr e = QueryParser.parse(q);
        String printed = Printer.print(e);
        Expr again;
        try {
            again = QueryParser.parse(printed);
        } catch (ParseException ex) {
            throw new AssertionError("printed form of " + q + " does not parse: " + printed + " -> " + ex.getMessage());
        }
        assertEquals(Ast.strip(e), Ast.strip(again), () -> q + " printed as " + printed);
        assertEquals(printed, Printer.print(again), "printing is idempotent");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "1", "-1", "+1", "1.5e3", "0x1F", "Inf", "-Inf", "NaN", ".5", "2.", "\"a\\nb\"", "'x'", "`raw\\n`",
            "foo", "foo{a=\"b\"}", "{__name__=\"foo\",a!=\"\"}", "foo{a=~\"x.*\",b!~\"y\"}", "foo[5m]", "foo[1h30m]",
            "foo offset 5m", "foo offset -5m", "foo[5m] offset 1w", "foo @ 100", "foo @ 1.5", "foo @ start()",
            "foo @ end() offset 1m", "foo[5m:1m]", "foo[5m:]", "rate(foo[5m])[30m:1m] offset 1h @ 200",
            "-foo", "--foo", "-(foo + 1)", "- -1", "1 - -1", "2 ^ 3 ^ 2", "(2 ^ 3) ^ 2", "-2 ^ 2", "(-2) ^ 2",
            "a + b * c", "(a + b) * c", "a - (b - c)", "a - b - c", "a / b % c atan2 d",
            "a > bool b", "a == b unless c or d and e", "a * on(x, y) group_left(z) b", "a * ignoring(x) group_right b",
            "a and on() b", "a or ignoring(x) b", "sum by (a) (x)", "sum without (a, b) (x)", "sum(x) by (on, by)",
            "topk(5, x)", "count_values(\"v\", x)", "quantile by (le) (0.9, x)", "limitk(2, x)", "limit_ratio(0.5, x)",
            "label_replace(x, \"a\", \"$1\", \"b\", \"(.*)\")", "time()", "vector(1)", "day_of_week()",
            "histogram_quantile(0.9, sum by (le) (rate(x_bucket[5m])))",
            "http_request<code=500,region=westus>[5m]", "x{version=2.0, id=3aebf531, zone=us-west-1}",
            "sum(x)", "sum by () (x)", "sum without () (x)", "1 + 2 > bool 3", "x offset 1y2w", "foo[90s]",
            "{\"utf8.metric\"}", "foo{\"utf8.label\"=\"v\"}", "by", "sum", "a:b:c{x=\"y\"}"
    })
    void roundTrips(String q) {
        roundTrip(q);
    }

    @Test
    void printsCanonicalForm() {
        assertEquals("sum by (region) (rate(http_request{code=\"500\", region=\"westus\"}[5m]))",
                Printer.print(QueryParser.parse("sum(rate(http_request<code=500,region=westus>[5m])) by (region)")));
        assertEquals("foo{a=\"b\"}[1m30s] @ 100.000 offset -5m", Printer.print(QueryParser.parse("foo{a='b'}[90s] offset -5m @ 100")));
        assertEquals("a * on (x) group_left () b", Printer.print(QueryParser.parse("a*on(x)group_left b")));
        assertEquals("1000000", Printer.print(QueryParser.parse("1e6")));
        assertEquals("0.000001", Printer.print(QueryParser.parse("1e-6")));
        assertEquals("+Inf", Printer.print(QueryParser.parse("inf")));
        assertEquals("\"a\\\"b\"", Printer.print(QueryParser.parse("'a\"b'")));
    }

    @Test
    void everyConformanceQueryRoundTrips() throws IOException {
        Path dir = io.tsdb.query.testdata.SharedTestData.require("promql-testdata", "printer round trip of conformance queries");
        List<Path> files;
        try (Stream<Path> s = Files.list(dir.resolve("core"))) {
            files = s.filter(p -> p.toString().endsWith(".test")).sorted().toList();
        }
        int n = 0;
        List<String> failures = new ArrayList<>();
        for (Path f : files) {
            for (ConformanceQueriesParseTest.Case c : ConformanceQueriesParseTest.cases(f)) {
                Expr e;
                try {
                    e = QueryParser.parse(c.query());
                } catch (ParseException ex) {
                    continue;
                }
                try {
                    roundTrip(c.query());
                    n++;
                } catch (AssertionError | ParseException ex) {
                    failures.add(c.file() + ":" + c.line() + ": " + ex.getMessage());
                }
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
        assertTrue(n > 1000, "round-tripped " + n);
    }
}
