package io.tsdb.query.parser;

import io.tsdb.core.Matcher;
import io.tsdb.query.ast.AggregateExpr;
import io.tsdb.query.ast.AggregateOp;
import io.tsdb.query.ast.AtModifier;
import io.tsdb.query.ast.BinaryExpr;
import io.tsdb.query.ast.BinaryOp;
import io.tsdb.query.ast.Call;
import io.tsdb.query.ast.Expr;
import io.tsdb.query.ast.MatrixSelector;
import io.tsdb.query.ast.NumberLiteral;
import io.tsdb.query.ast.StringLiteral;
import io.tsdb.query.ast.SubqueryExpr;
import io.tsdb.query.ast.UnaryExpr;
import io.tsdb.query.ast.ValueType;
import io.tsdb.query.ast.VectorMatching;
import io.tsdb.query.ast.VectorSelector;
import io.tsdb.query.engine.eval.FunctionRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QueryParserTest {

    private static Expr p(String q) { return QueryParser.parse(q); }

    private static double num(String q) { return ((NumberLiteral) p(q)).value(); }

    private static VectorSelector sel(String q) { return (VectorSelector) p(q); }

    private static ParseException err(String q) { return assertThrows(ParseException.class, () -> p(q), q); }

    // ------------------------------------------------------------------ precedence and associativity

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "a + b * c                 | (a + (b * c))",
            "a * b + c                 | ((a * b) + c)",
            "a - b - c                 | ((a - b) - c)",
            "a / b / c                 | ((a / b) / c)",
            "2 ^ 3 ^ 2                 | (2 ^ (3 ^ 2))",
            "a ^ b * c                 | ((a ^ b) * c)",
            "-a ^ b                    | (-(a ^ b))",
            "-a * b                    | ((-a) * b)",
            "-a + b                    | ((-a) + b)",
            "a * -b                    | (a * (-b))",
            "a ^ -b                    | (a ^ (-b))",
            "a % b atan2 c             | ((a % b) atan2 c)",
            "a + b atan2 c             | (a + (b atan2 c))",
            "a + b > c - d             | ((a + b) > (c - d))",
            "a > b == c                | ((a > b) == c)",
            "a > b and c               | ((a > b) and c)",
            "a and b unless c          | ((a and b) unless c)",
            "a unless b and c          | ((a unless b) and c)",
            "a or b and c              | (a or (b and c))",
            "a and b or c              | ((a and b) or c)",
            "a or b or c               | ((a or b) or c)",
            "(a + b) * c               | ((a + b) * c)",
            "a + b offset 5m           | (a + b offset 5m)",
            "-a offset 5m              | (-a offset 5m)",
            "a ^ b offset 5m           | (a ^ b offset 5m)",
    })
    void precedence(String query, String structure) {
        assertEquals(structure, Ast.structure(p(query)));
    }

    @Test
    void unaryMinusOnNumberIsFolded() {
        assertEquals(-1, num("-1"));
        assertEquals(1, num("- -1"));
        assertEquals(1, num("+1"));
        // -2 ^ 2 is -(2 ^ 2) as in Prometheus
        UnaryExpr u = assertInstanceOf(UnaryExpr.class, p("-2 ^ 2"));
        assertTrue(u.negate());
        assertEquals(BinaryOp.POW, ((BinaryExpr) u.expr()).op());
    }

    // ------------------------------------------------------------------ literals

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "1            | 1", "12.34e6 | 12340000", "12.34e+6 | 12340000", "12.34e-6 | 0.00001234",
            ".2           | 0.2", "2. | 2", "0x1F | 31", "0XfF | 255", "010 | 8", "08 | 8", "1_000 | 1000",
            "-0.2e-6      | -0.0000002", "1e3 | 1000", "5m | 300", "1h30m | 5400", "500ms | 0.5",
    })
    void numbers(String query, double value) {
        assertEquals(value, num(query), 1e-15);
    }

    @Test
    void infinityAndNaNInAnyCase() {
        assertEquals(Double.POSITIVE_INFINITY, num("Inf"));
        assertEquals(Double.POSITIVE_INFINITY, num("+inF"));
        assertEquals(Double.NEGATIVE_INFINITY, num("-inf"));
        assertTrue(Double.isNaN(num("NaN")));
        assertTrue(Double.isNaN(num("nan")));
        // longer words are identifiers
        assertEquals("Infoo", sel("Infoo").name());
        assertEquals("nana", sel("nana").name());
    }

    @Test
    void strings() {
        assertEquals("Foo", ((StringLiteral) p("\"Foo\"")).value());
        assertEquals("Foo", ((StringLiteral) p("'Foo'")).value());
        assertEquals("a\\nb", ((StringLiteral) p("`a\\nb`")).value());
        assertEquals("a\nb\t\"'", ((StringLiteral) p("\"a\\nb\\t\\\"'\"")).value());
        assertEquals("it's", ((StringLiteral) p("'it\\'s'")).value());
        assertEquals("\u00e9\u00e9\u00e9 \u263a", ((StringLiteral) p("\"\\u00e9\\xc3\\xa9\\303\\251 \\U0000263a\"")).value());
        assertEquals("", ((StringLiteral) p("\"\"")).value());
        assertEquals(ValueType.STRING, p("\"x\"").type());
        assertTrue(err("\"a\\q\"").getMessage().contains("unknown escape sequence"));
        assertTrue(err("'a\\\"'").getMessage().contains("unknown escape sequence"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "x[5m] | 300000", "x[1h30m] | 5400000", "x[90s] | 90000", "x[500ms] | 500", "x[1d] | 86400000",
            "x[2w] | 1209600000", "x[1y] | 31536000000", "x[1m30s500ms] | 90500", "x[300] | 300000", "x[1.5] | 1500",
    })
    void durations(String query, long ms) {
        assertEquals(ms, ((MatrixSelector) p(query)).rangeMs());
    }

    @Test
    void badDurations() {
        assertEquals("1:3: not a valid duration string: \"1m1h\"", err("x[1m1h]").getMessage());
        assertEquals("1:3: not a valid duration string: \"5m5m\"", err("x[5m5m]").getMessage());
        assertEquals("1:3: duration must be greater than 0", err("x[0s]").getMessage());
        assertEquals("1:3: duration must be greater than 0", err("x[0]").getMessage());
        assertEquals("1:6: duration must be greater than 0", err("x[5m:0s]").getMessage());
    }

    // ------------------------------------------------------------------ selectors

    @Test
    void selectorsAndMatchers() {
        VectorSelector vs = sel("foo{a=\"1\", b!=\"2\", c=~\"3.*\", d!~'4'}");
        assertEquals("foo", vs.name());
        assertEquals(List.of(Matcher.eq("__name__", "foo"), Matcher.eq("a", "1"), Matcher.neq("b", "2"),
                Matcher.re("c", "3.*"), Matcher.nre("d", "4")), vs.matchers());
        assertEquals(0, vs.offsetMs());
        assertNull(vs.at());

        VectorSelector noName = sel("{__name__=~\"foo|bar\", job=\"x\",}");
        assertNull(noName.name());
        assertEquals(List.of(Matcher.re("__name__", "foo|bar"), Matcher.eq("job", "x")), noName.matchers());

        assertEquals(List.of(Matcher.eq("__name__", "a:b:c")), sel("a:b:c").matchers());
        assertEquals(List.of(Matcher.eq("__name__", "foo")), sel("foo{}").matchers());
        assertEquals(List.of(Matcher.eq("__name__", "utf8.metric"), Matcher.eq("a.b", "v")), sel("{\"utf8.metric\", \"a.b\"=\"v\"}").matchers());
    }

    @Test
    void keywordsAsLabelNamesAndMetricNames() {
        assertEquals(List.of(Matcher.eq("__name__", "x"), Matcher.eq("on", "1"), Matcher.eq("by", "2"),
                Matcher.eq("offset", "3"), Matcher.eq("sum", "4")), sel("x{on=\"1\", by=\"2\", offset=\"3\", sum=\"4\"}").matchers());
        AggregateExpr a = (AggregateExpr) p("sum by (on, by, ignoring, group_left, bool, offset, and, sum) (x)");
        assertEquals(List.of("on", "by", "ignoring", "group_left", "bool", "offset", "and", "sum"), a.grouping());
        assertEquals("sum", sel("sum").name());
        assertEquals("by", sel("by{a=\"b\"}").name());
        assertEquals("offset", ((MatrixSelector) p("offset{step=\"1s\"}[5m]")).selector().name());
        assertEquals("((a and and) or or)", Ast.structure(p("a and and or or")));
        assertEquals("(x offset 5m + offset)", Ast.structure(p("x offset 5m + offset")));
    }

    @Test
    void selectorValidity() {
        assertEquals("1:1: vector selector must contain at least one non-empty matcher", err("{}").getMessage());
        assertEquals("1:1: vector selector must contain at least one non-empty matcher", err("{a=\"\"}").getMessage());
        assertEquals("1:1: vector selector must contain at least one non-empty matcher", err("{a=~\".*\", b!=\"x\"}").getMessage());
        sel("{a=~\".+\"}");
        sel("{a!=\"\"}");
        assertEquals("1:1: metric name must not be set twice: \"foo\" or \"bar\"", err("foo{__name__=\"bar\"}").getMessage());
        assertTrue(err("foo{a=~\"(\"}").getMessage().startsWith("1:5: invalid regular expression"));
        // info()'s second argument is a label selector that may match everything
        p("info(x, {k=~\".*\"})");
        assertEquals("1:9: expected label selectors only, got vector selector instead", err("info(x, y{k=\"v\"})").getMessage());
    }

    // ------------------------------------------------------------------ the dimensional form

    @Test
    void dimensionalSelector() {
        MatrixSelector m = (MatrixSelector) p("http_request<code=500,region=westus>[5m]");
        assertEquals(Ast.strip(p("http_request{code=\"500\",region=\"westus\"}[5m]")), Ast.strip(m));
        assertEquals(300_000, m.rangeMs());
        assertEquals(List.of(Matcher.eq("__name__", "x"), Matcher.neq("a", "b"), Matcher.re("c", "5.."), Matcher.nre("d", "x-y")),
                sel("x<a!=b, c=~5.., d!~x-y>").matchers());
        assertEquals(Ast.strip(p("x")), Ast.strip(p("x<>")));
        assertEquals(Ast.strip(p("x{a=\"1\"}")), Ast.strip(p("x< a = 1 , >")));
        assertEquals(Ast.strip(p("x{a=\"q z\"}")), Ast.strip(p("x<a=\"q z\">")));
        assertEquals(Ast.strip(p("sum by (region) (rate(http_request{code=\"500\"}[5m]))")),
                Ast.strip(p("sum by (region) (rate(http_request<code=500>[5m]))")));
        assertEquals(Ast.strip(p("a:b{x=\"1\"} offset 5m")), Ast.strip(p("a:b<x=1> offset 5m")));
        assertEquals(Ast.strip(p("x{a=\"1\"} > y{b=\"2\"}")), Ast.strip(p("x<a=1> > y<b=2>")));
        assertEquals(Ast.strip(p("x{a=\"1\"} < y{b=\"2\"}")), Ast.strip(p("x<a=1> < y<b=2>")));
    }

    @Test
    void unquotedLabelValues() {
        VectorSelector vs = sel("http_requests{code=200, handler=new_user, method=get, version=2.0, id=3aebf531}");
        assertEquals(List.of(Matcher.eq("__name__", "http_requests"), Matcher.eq("code", "200"), Matcher.eq("handler", "new_user"),
                Matcher.eq("method", "get"), Matcher.eq("version", "2.0"), Matcher.eq("id", "3aebf531")), vs.matchers());
        assertEquals(List.of(Matcher.eq("__name__", "x"), Matcher.eq("zone", "us-west-1"), Matcher.eq("addr", "host:9100"),
                Matcher.eq("v", "-1.5"), Matcher.eq("w", "on")), sel("x{zone=us-west-1, addr=host:9100, v=-1.5, w=on}").matchers());
        assertEquals(List.of(Matcher.eq("__name__", "x"), Matcher.eq("zone", "us-west-1")), sel("x<zone=us-west-1>").matchers());
    }

    @Test
    void angleBracketAmbiguities() {
        // '<' separated from the name by a space is always less-than
        assertEquals("(x < 5)", Ast.structure(p("x < 5")));
        assertEquals("(x < 5)", Ast.structure(p("x<5")));
        assertEquals("((a < b) > c)", Ast.structure(p("a<b>c")));
        assertEquals("((a < b) > c)", Ast.structure(p("a < b > c")));
        assertEquals("((x < y) > z)", Ast.structure(p("x<y> bool z")));
        assertTrue(((BinaryExpr) p("x<y> bool z")).returnBool());
        assertEquals("(x <= y)", Ast.structure(p("x<=y")));
        assertEquals("((a < b) == c)", Ast.structure(p("a<b==c")));
        assertEquals("((a < b) != c)", Ast.structure(p("a<b!=c")), "no closing '>': comparison");
        assertEquals("((a < b) != c)", Ast.structure(p("a < b != c")));
        // a complete matcher list closed by '>' directly after a name: selector
        assertEquals(List.of(Matcher.eq("__name__", "a"), Matcher.neq("b", "c")), sel("a<b!=c>").matchers());
        // after a number, a parenthesis or a function call, '<' is less-than
        assertEquals("(5 < x)", Ast.structure(p("5<x")));
        assertEquals("(x < y)", Ast.structure(p("(x)<(y)")));
        assertEquals("(time() < x)", Ast.structure(p("time()<x")));
        assertEquals("(sum(x) < y)", Ast.structure(p("sum(x)<y")));
        // with a space it is a comparison, and '=' then is an error with a hint
        ParseException e = err("x <code=500>");
        assertEquals("1:8: unexpected \"=\", expected \"==\" for comparison, or a label matcher inside {...}; "
                + "a dimensional selector must directly follow the metric name, without space: x<code...>", e.getMessage());
        ParseException unclosed = err("x<code=500");
        assertTrue(unclosed.getMessage().contains("close it with \">\""), unclosed.getMessage());
    }

    @Test
    void durationExpressions() {
        assertEquals(1_800_000, ((MatrixSelector) p("x[26m+4m]")).rangeMs());
        assertEquals(1_800_000, ((MatrixSelector) p("x[60*30]")).rangeMs());
        assertEquals(1_800_000, ((MatrixSelector) p("x[2m*(10+5)]")).rangeMs());
        assertEquals(1_800_000, ((MatrixSelector) p("x[1h/2]")).rangeMs());
        assertEquals(1_800_000, ((MatrixSelector) p("x[1h30m % 1h]")).rangeMs());
        assertEquals(1_800_000, ((MatrixSelector) p("x[30m1s-30m1s % 1m]")).rangeMs());
        assertEquals(1_800_000, ((MatrixSelector) p("x[-5m+35m]")).rangeMs());
        assertEquals(1_800_000, ((MatrixSelector) p("x[min_of(30m, 1h)]")).rangeMs());
        SubqueryExpr s = (SubqueryExpr) p("x[29s+1s:((((8 - 2) / 3) * 7s) % 4) + 8000ms]");
        assertEquals(30_000, s.rangeMs());
        assertEquals(10_000, s.stepMs());
        assertEquals(102_000, sel("x offset (100 + 2)").offsetMs());
        assertEquals(-4_000, sel("x offset (-2 ^ 2)").offsetMs());
        assertEquals(-4_000, sel("x offset -(2 * 2)").offsetMs());
        // without parentheses offset takes one literal: (x offset 100) + 2
        assertEquals("(x offset 1m40s + 2)", Ast.structure(p("x offset 100 + 2")));
        assertEquals("(x offset -2s ^ 2)", Ast.structure(p("x offset -2 ^ 2")));
        // step() and range() need the query's step and range
        assertEquals(15_000, ((MatrixSelector) QueryParser.parse("x[step()]", new QueryParser.QueryRange(15_000, 3_600_000))).rangeMs());
        assertEquals(1_800_000, ((MatrixSelector) QueryParser.parse("x[range()/2]", new QueryParser.QueryRange(15_000, 3_600_000))).rangeMs());
        assertEquals(-30_000, ((VectorSelector) QueryParser.parse("x offset -(STEP()*2)", new QueryParser.QueryRange(15_000, 0))).offsetMs());
        assertTrue(err("x[step()]").getMessage().startsWith("1:3: step() in a duration is only known when the query runs"));
        assertEquals("1:3: duration must be greater than 0",
                assertThrows(ParseException.class, () -> QueryParser.parse("x[step()]", new QueryParser.QueryRange(0, 0))).getMessage());
        assertEquals("1:3: division by zero", err("x[5s/0d]").getMessage());
        assertEquals("1:3: modulo by zero", err("x[5s%0d]").getMessage());
        assertEquals("1:3: duration must be greater than 0", err("x[-1]").getMessage());
        assertEquals("1:3: duration must be greater than 0", err("x[5m-5m]").getMessage());
        assertEquals("1:3: unexpected function \"foo\" in duration expression, expected step(), range(), min_of() or max_of()",
                err("x[foo(1)]").getMessage());
    }

    // ------------------------------------------------------------------ modifiers

    @Test
    void offsetAndAt() {
        VectorSelector vs = sel("foo offset 5m");
        assertEquals(300_000, vs.offsetMs());
        assertEquals(-300_000, sel("foo offset -5m").offsetMs());
        assertEquals(50_000, sel("foo offset 50").offsetMs());
        assertEquals(AtModifier.at(100_000), sel("foo @ 100").at());
        assertEquals(AtModifier.at(1_500), sel("foo @ 1.5").at());
        assertEquals(AtModifier.at(-1_500), sel("foo @ -1.5").at());
        assertEquals(AtModifier.START, sel("foo @ start()").at());
        assertEquals(AtModifier.END, sel("foo @ END()").at());
        VectorSelector both = sel("foo @ 100 offset 50");
        assertEquals(50_000, both.offsetMs());
        assertEquals(AtModifier.at(100_000), both.at());
        assertEquals(Ast.strip(both), Ast.strip(p("foo offset 50 @ 100")));

        MatrixSelector m = (MatrixSelector) p("foo[5m] offset 1m @ 10");
        assertEquals(60_000, m.selector().offsetMs());
        assertEquals(AtModifier.at(10_000), m.selector().at());

        SubqueryExpr s = (SubqueryExpr) p("rate(foo[1m])[30m:1m] offset 20 @ end()");
        assertEquals(1_800_000, s.rangeMs());
        assertEquals(60_000, s.stepMs());
        assertEquals(20_000, s.offsetMs());
        assertEquals(AtModifier.END, s.at());
        assertEquals(0, ((SubqueryExpr) p("foo[30m:]")).stepMs());
    }

    @Test
    void modifierPlacementErrors() {
        assertEquals("1:3: offset modifier must be preceded by an instant vector selector or range vector selector or a subquery",
                err("1 offset 5m").getMessage());
        assertEquals("1:7: offset modifier must be preceded by an instant vector selector or range vector selector or a subquery",
                err("(foo) offset 5m").getMessage());
        assertEquals("1:15: offset may not be set multiple times", err("foo offset 1m offset 2m").getMessage());
        assertEquals("1:9: @ <timestamp> may not be set multiple times", err("foo @ 1 @ 2").getMessage());
        assertEquals("1:10: @ modifier must be preceded by an instant vector selector or range vector selector or a subquery",
                err("sum(foo) @ 1").getMessage());
        assertEquals("1:15: no offset modifiers allowed before range", err("foo offset 5m [5m]").getMessage());
        assertEquals("1:10: no @ modifiers allowed before range", err("foo @ 10 [5m]").getMessage());
        assertEquals("1:6: ranges only allowed for vector selectors", err("(foo)[5m]").getMessage());
        assertEquals("1:6: ranges only allowed for vector selectors", err("x[5m][5m]").getMessage());
        assertEquals("1:1: subquery is only allowed on instant vector, got matrix instead", err("x[5m][5m:]").getMessage());
        assertEquals("1:5: timestamp out of bounds for @ modifier: +Inf", err("x @ Inf").getMessage());
    }

    // ------------------------------------------------------------------ operators, aggregations, calls

    @Test
    void vectorMatching() {
        BinaryExpr b = (BinaryExpr) p("a * on(x, y) group_left(z) b");
        assertEquals(new VectorMatching(VectorMatching.Cardinality.MANY_TO_ONE, true, List.of("x", "y"), List.of("z")), b.matching());
        b = (BinaryExpr) p("a / ignoring(x) group_right b");
        assertEquals(new VectorMatching(VectorMatching.Cardinality.ONE_TO_MANY, false, List.of("x"), List.of()), b.matching());
        assertEquals(VectorMatching.DEFAULT, ((BinaryExpr) p("a + b")).matching());
        assertEquals(new VectorMatching(VectorMatching.Cardinality.MANY_TO_MANY, true, List.of(), List.of()),
                ((BinaryExpr) p("a and on() b")).matching());
        assertEquals(VectorMatching.Cardinality.MANY_TO_MANY, ((BinaryExpr) p("a or b")).matching().card());
        assertNull(((BinaryExpr) p("a + 1")).matching());
        assertNull(((BinaryExpr) p("1 + 1")).matching());
        BinaryExpr cmp = (BinaryExpr) p("a > bool 1");
        assertTrue(cmp.returnBool());
        assertEquals(ValueType.VECTOR, cmp.type());
        assertEquals(ValueType.SCALAR, p("1 > bool 2").type());
        assertEquals(BinaryOp.ATAN2, ((BinaryExpr) p("a ATAN2 b")).op());
    }

    @Test
    void aggregations() {
        for (AggregateOp op : AggregateOp.values()) {
            String q = op.hasParam() ? op.keyword() + "(" + (op == AggregateOp.COUNT_VALUES ? "\"v\"" : "1") + ", x)" : op.keyword() + "(x)";
            AggregateExpr a = (AggregateExpr) p(q);
            assertEquals(op, a.op());
            assertEquals(op.hasParam(), a.param() != null);
        }
        AggregateExpr a = (AggregateExpr) p("sum without (a, b,) (x)");
        assertTrue(a.without());
        assertEquals(List.of("a", "b"), a.grouping());
        assertEquals(Ast.strip(p("sum by (a) (x)")), Ast.strip(p("sum(x) by (a)")));
        assertEquals(Ast.strip(p("topk by (a) (5, x)")), Ast.strip(p("TOPK(5, x) BY (a)")));
        assertEquals(List.of(), ((AggregateExpr) p("sum by () (x)")).grouping());
    }

    @Test
    void calls() {
        Call c = (Call) p("histogram_quantile(0.9, sum by (le) (rate(x_bucket[5m])))");
        assertEquals("histogram_quantile", c.function());
        assertEquals(2, c.args().size());
        assertEquals(ValueType.VECTOR, c.type());
        assertEquals(ValueType.SCALAR, p("time()").type());
        assertEquals(ValueType.SCALAR, p("scalar(x)").type());
        assertEquals(0, ((Call) p("hour()")).args().size());
        assertEquals(4, ((Call) p("label_join(x, \"d\", \",\", \"a\", \"b\", \"c\")")).args().size() - 2);
        assertEquals("step", ((Call) p("STEP()")).function());
        assertEquals("1:1: unknown function with name \"holt_winters\"", err("holt_winters(x[5m], 0.5, 0.5)").getMessage());
        assertEquals(ValueType.VECTOR, p("double_exponential_smoothing(x[5m], 0.5, 0.5)").type());
        assertEquals(12, ((Call) p("histogram_quantiles(x, \"q\", 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.99)")).args().size());
        assertEquals("1:1: expected at most 12 argument(s) in call to \"histogram_quantiles\", got 13",
                err("histogram_quantiles(x, \"q\", 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.99, 1)").getMessage());
        for (var f : FunctionRegistry.all().values()) {
            assertTrue(f.name().matches("[a-z_0-9]+"), f.name());
        }
    }

    // ------------------------------------------------------------------ type errors (Prometheus wording)

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "rate(foo)                      | 1:6: expected type range vector in call to function \"rate\", got instant vector",
            "abs(foo[5m])                   | 1:5: expected type instant vector in call to function \"abs\", got range vector",
            "rate(foo[5m], 1)               | 1:1: expected 1 argument(s) in call to \"rate\", got 2",
            "label_join(x)                  | 1:1: expected at least 3 argument(s) in call to \"label_join\", got 1",
            "round(x, 1, 2)                 | 1:1: expected at most 2 argument(s) in call to \"round\", got 3",
            "label_replace(x, 1, \"\", \"\", \"\") | 1:18: expected type string in call to function \"label_replace\", got scalar",
            "nonexistent(x)                 | 1:1: unknown function with name \"nonexistent\"",
            "topk(x)                        | 1:1: wrong number of arguments for aggregate expression provided, expected 2, got 1",
            "sum(1, x)                      | 1:1: wrong number of arguments for aggregate expression provided, expected 1, got 2",
            "sum()                          | 1:1: no arguments for aggregate expression provided",
            "sum(x[5m])                     | 1:5: expected type instant vector in aggregation expression, got range vector",
            "topk(\"a\", x)                  | 1:6: expected type scalar in aggregation parameter, got string",
            "count_values(1, x)             | 1:14: expected type string in aggregation parameter, got scalar",
            "1 > 2                          | 1:3: comparisons between scalars must use BOOL modifier",
            "a + bool b                     | 1:3: bool modifier can only be used on comparison operators",
            "1 and 2                        | 1:1: set operator \"and\" not allowed in binary scalar expression",
            "x or 1                         | 1:1: set operator \"or\" not allowed in binary scalar expression",
            "a and on(x) group_left b       | 1:1: no grouping allowed for \"and\" operation",
            "1 + on(x) a                    | 1:1: vector matching only allowed between instant vectors",
            "a * on(x) group_left(x) b      | 1:3: label \"x\" must not occur in ON and GROUP clause at once",
            "x[5m] + 1                      | 1:1: binary expression must contain only scalar and instant vector types",
            "1 + \"a\"                      | 1:5: binary expression must contain only scalar and instant vector types",
            "-x[5m]                         | 1:1: unary expression only allowed on expressions of type scalar or instant vector, got \"range vector\"",
            "-\"a\"                         | 1:1: unary expression only allowed on expressions of type scalar or instant vector, got \"string\"",
            "\"a\"[5m:]                     | 1:1: subquery is only allowed on instant vector, got string instead",
    })
    void typeErrors(String query, String message) {
        assertEquals(message, err(query).getMessage());
    }

    // ------------------------------------------------------------------ syntax errors and positions

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "rate(http_requests_total[])    | 1:26: unexpected \"]\" in range selector, expected a duration such as 5m",
            "foo[5m                         | 1:7: unexpected end of input in subquery or range, expected \":\" or \"]\"",
            "foo[5m:1m                      | 1:10: unexpected end of input in subquery selector, expected \"]\"",
            "foo[5m:x]                      | 1:9: unexpected \"]\" in duration expression, expected \"(\" (durations may call step(), range(), min_of() and max_of())",
            "foo[5m:\"x\"]                  | 1:8: unexpected string \"x\" in subquery selector, expected a step duration such as 1m, or \"]\"",
            "foo[5m+]                       | 1:8: unexpected \"]\" in duration expression, expected a duration such as 5m",
            "foo{a=\"b\" c=\"d\"}             | 1:11: unexpected identifier \"c\" in label matching, expected \",\" or \"}\"",
            "foo{a=}                        | 1:7: unexpected \"}\" in label matching, expected label value (a quoted string or a word such as 500, us-west-1)",
            "foo{=}                         | 1:5: unexpected \"=\" in label matching, expected label name or \"}\"",
            "foo{a}                         | 1:6: unexpected \"}\" in label matching, expected label matching operator (\"=\", \"!=\", \"=~\" or \"!~\")",
            "foo{a=\"b\"                     | 1:10: unexpected end of input in label matching, expected \",\" or \"}\"",
            "x<a=1 b=2>                     | 1:4: unexpected \"=\", expected \"==\" for comparison, or a label matcher inside {...}; if x<...> is meant as a dimensional selector, write label=value items separated by commas and close it with \">\"; quote values with characters other than letters, digits, _ . : -",
            "x<p=/a>                        | 1:4: unexpected \"=\", expected \"==\" for comparison, or a label matcher inside {...}; if x<...> is meant as a dimensional selector, write label=value items separated by commas and close it with \">\"; quote values with characters other than letters, digits, _ . : -",
            "rate(foo[5m]                   | 1:13: unexpected end of input in function call, expected \",\" or \")\"",
            "sum(foo) by                    | 1:12: unexpected end of input in grouping opts, expected \"(\"",
            "sum by(foo                     | 1:11: unexpected end of input in grouping opts, expected \",\" or \")\"",
            "foo offset                     | 1:11: unexpected end of input in offset, expected a duration such as 5m or a number of seconds",
            "foo @                          | 1:6: unexpected end of input in @, expected a timestamp (Unix seconds), start() or end()",
            "foo @ bar()                    | 1:7: unexpected identifier \"bar\" in @, expected a timestamp (Unix seconds), start() or end()",
            "foo +                          | 1:6: unexpected end of input, expected an expression",
            "foo bar                        | 1:5: unexpected identifier \"bar\", expected end of input",
            "foo)                           | 1:4: unexpected right parenthesis \")\"",
            "$                              | 1:1: unexpected character: '$'",
            "foo{a=\"b\"$}                   | 1:10: unexpected character inside braces: '$'",
            "\"abc                           | 1:1: unterminated quoted string",
            "x ! y                          | 1:3: unexpected character after '!': ' ', expected \"!=\"",
            "#just a comment                | 1:1: no expression found in input",
            "2.5.                           | 1:1: bad number or duration syntax: \"2.5.\"",
            "0deadbeef                      | 1:1: bad number or duration syntax: \"0deadbeef\"",
            "foo[5mm]                       | 1:5: bad number or duration syntax: \"5mm\"",
            "foo offset 1m1                 | 1:12: bad number or duration syntax: \"1m1\"",
            "topk(some_metric,)             | 1:17: trailing commas not allowed in function call args",
            "((1)                           | 1:5: unclosed left parenthesis",
            "(                              | 1:2: unclosed left parenthesis",
            "foo{a>=\"b\"}                  | 1:6: unexpected character inside braces: '>'",
            "foo{a=\"b\"} $ bar x            | 1:12: unexpected character: '$'",
            "foo bar $                      | 1:5: unexpected identifier \"bar\", expected end of input",
            "1e999                          | 1:1: error parsing number: value out of range: \"1e999\"",
            "foo[9.5e10]                    | 1:5: duration out of range",
            "increase(x[1m] anchored)       | 1:16: the \"anchored\" range modifier (a Prometheus experimental feature) is not supported",
            "x[1m] smoothed                 | 1:7: the \"smoothed\" range modifier (a Prometheus experimental feature) is not supported",
            "a + fill(0) b                  | 1:5: the fill() binary operator modifier (a Prometheus experimental feature) is not supported",
            "a * on(x) fill_left(1) b       | 1:11: the fill_left() binary operator modifier (a Prometheus experimental feature) is not supported",
    })
    void syntaxErrors(String query, String message) {
        assertEquals(message, err(query).getMessage());
    }

    @Test
    void trimOperatorsBindLikeMultiplication() {
        io.tsdb.query.ast.BinaryExpr e = (io.tsdb.query.ast.BinaryExpr) QueryParser.parse("h </ 5 + h >/ on(a) g * 2", null);
        assertEquals(io.tsdb.query.ast.BinaryOp.ADD, e.op());
        assertEquals(io.tsdb.query.ast.BinaryOp.TRIM_UPPER, ((io.tsdb.query.ast.BinaryExpr) e.lhs()).op());
        io.tsdb.query.ast.BinaryExpr r = (io.tsdb.query.ast.BinaryExpr) e.rhs();
        assertEquals(io.tsdb.query.ast.BinaryOp.MUL, r.op());
        assertEquals(io.tsdb.query.ast.BinaryOp.TRIM_LOWER, ((io.tsdb.query.ast.BinaryExpr) r.lhs()).op());
        assertEquals("h </ 5 + h >/ on (a) g * 2", Printer.print(e));
    }

    @Test
    void errorPositionsAreLineAndColumn() {
        ParseException e = err("sum by (job) (\n  rate(foo[])\n)");
        assertEquals(2, e.line());
        assertEquals(12, e.column());
        assertEquals(26, e.offset());
        assertEquals("unexpected \"]\" in range selector, expected a duration such as 5m", e.detail());
        assertEquals("2:12: " + e.detail(), e.getMessage());
        ParseException t = err("foo +\n# comment\n  rate(x)");
        assertEquals("3:8: expected type range vector in call to function \"rate\", got instant vector", t.getMessage());
        assertEquals("1:1: no expression found in input", err("").getMessage());
        assertEquals("1:1: no expression found in input", err("  \n ").getMessage());
    }

    @Test
    void positionsOfNodes() {
        BinaryExpr b = (BinaryExpr) p("  foo + rate(bar[5m])");
        assertEquals(2, b.pos());
        assertEquals(2, b.lhs().pos());
        assertEquals(8, b.rhs().pos());
        assertEquals(13, ((MatrixSelector) ((Call) b.rhs()).args().get(0)).pos());
    }

    @Test
    void deepNestingIsAnErrorNotACrash() {
        String deep = "(".repeat(20000) + "1" + ")".repeat(20000);
        ParseException e = err(deep);
        assertTrue(e.getMessage().contains("nested too deeply"), e.getMessage());
    }
}
