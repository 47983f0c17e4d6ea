package io.tsdb.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.tsdb.query.ast.Expr;
import io.tsdb.query.parser.Printer;
import io.tsdb.query.parser.QueryParser;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/** The differential test's own tools, without Prometheus: comparator, shrinker, generator, known-differences file. */
class DiffToolsTest {
    static JsonNode json(String s) throws Exception { return ApiFixture.JSON.readTree(s); }

    static String vector(String... labelsAndValue) {
        StringBuilder b = new StringBuilder("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[");
        for (int i = 0; i < labelsAndValue.length; i += 2) {
            if (i > 0) b.append(',');
            b.append("{\"metric\":").append(labelsAndValue[i]).append(",\"value\":[10.5,\"").append(labelsAndValue[i + 1]).append("\"]}");
        }
        return b.append("]}}").toString();
    }

    @Test void comparatorToleranceNaNAndInfinities() throws Exception {
        assertNull(DiffComparator.compare(json(vector("{\"a\":\"1\"}", "1")), json(vector("{\"a\":\"1\"}", "1.0000000001")), false));
        DiffComparator.Disagreement d = DiffComparator.compare(json(vector("{\"a\":\"1\"}", "1")), json(vector("{\"a\":\"1\"}", "1.00000001")), false);
        assertEquals(DiffComparator.Kind.VALUE, d.kind());
        assertEquals(1.0, d.refValue());
        assertNull(DiffComparator.compare(json(vector("{}", "NaN")), json(vector("{}", "NaN")), false));
        assertNull(DiffComparator.compare(json(vector("{}", "+Inf")), json(vector("{}", "+Inf")), false));
        assertEquals(DiffComparator.Kind.VALUE, DiffComparator.compare(json(vector("{}", "+Inf")), json(vector("{}", "-Inf")), false).kind());
        assertEquals(DiffComparator.Kind.VALUE, DiffComparator.compare(json(vector("{}", "NaN")), json(vector("{}", "0")), false).kind());
        assertEquals(DiffComparator.Kind.VALUE, DiffComparator.compare(json(vector("{}", "0")), json(vector("{}", "1e-300")), false).kind());
    }

    @Test void comparatorKinds() throws Exception {
        String named = vector("{\"__name__\":\"x\",\"a\":\"1\"}", "1"), unnamed = vector("{\"a\":\"1\"}", "1");
        assertEquals(DiffComparator.Kind.NAME, DiffComparator.compare(json(unnamed), json(named), false).kind());
        assertEquals(DiffComparator.Kind.LABELS, DiffComparator.compare(json(unnamed), json(vector("{\"a\":\"2\"}", "1")), false).kind());
        String err = "{\"status\":\"error\",\"errorType\":\"execution\",\"error\":\"boom\"}";
        assertEquals(DiffComparator.Kind.ERROR_OURS, DiffComparator.compare(json(unnamed), json(err), false).kind());
        assertEquals(DiffComparator.Kind.ERROR_REF, DiffComparator.compare(json(err), json(unnamed), false).kind());
        assertNull(DiffComparator.compare(json(err), json(err.replace("boom", "other words")), false));
        String two = vector("{\"a\":\"1\"}", "1", "{\"a\":\"2\"}", "2"), swapped = vector("{\"a\":\"2\"}", "2", "{\"a\":\"1\"}", "1");
        assertNull(DiffComparator.compare(json(two), json(swapped), false));
        assertEquals(DiffComparator.Kind.ORDER, DiffComparator.compare(json(two), json(swapped), true).kind());
        String m1 = "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{},\"values\":[[1,\"1\"],[2,\"2\"]]}]}}";
        assertEquals(DiffComparator.Kind.POINTS, DiffComparator.compare(json(m1), json(m1.replace(",[2,\"2\"]", "")), false).kind());
        assertTrue(DiffComparator.referenceParseError(json("{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"1:5: parse error: unexpected\"}")));
    }

    @Test void shrinkerFindsTheMinimalFailingSubexpression() {
        Expr start = QueryParser.parse("sum by (job) (rate(http_requests_total{code=\"500\", job=~\"a|b\"}[5m] offset 1m)) "
                + "> on (job) group_left () max by (job) (up)");
        // "Fails" while the query still contains a rate over http_requests_total.
        DiffShrinker.Result r = DiffShrinker.shrink(start, e -> Printer.print(e).contains("rate(http_requests_total"), 500);
        assertEquals("rate(http_requests_total[1m])", Printer.print(r.expr()));
        assertTrue(r.steps() >= 5, "steps " + r.steps());
        // One-edit minimal: no variant of the result keeps the predicate.
        for (Expr v : DiffShrinker.variants(r.expr())) {
            String t = Printer.print(v);
            assertFalse(t.contains("rate(http_requests_total") && !t.equals(Printer.print(r.expr())), t);
        }
    }

    @Test void generatorWritesParseableVariedQueries() {
        DiffQueryGenerator g = new DiffQueryGenerator(7, 0, DiffDataSet.DURATION_MS);
        Set<String> tokens = new HashSet<>(), texts = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            Expr e = g.query();
            String t = Printer.print(e);
            QueryParser.parse(t); // throws on anything this engine's parser rejects
            texts.add(t);
            tokens.addAll(DiffAst.tokens(e));
        }
        assertTrue(texts.size() > 1500, "distinct queries: " + texts.size());
        for (String need : new String[]{"subquery", "at", "offset", "group_left", "group_right", "on", "ignoring", "bool",
                "topk", "count_values", "histogram_quantile", "label_replace", "label_join", "rate", "quantile_over_time",
                "and", "or", "unless", "comparison-vector-vector", "name-regex", "predict_linear", "absent"}) {
            assertTrue(tokens.contains(need), "the generator never wrote " + need);
        }
        for (String never : new String[]{"limitk", "limit_ratio", "sort_by_label", "mad_over_time", "info", "first_over_time", "holt_winters"}) {
            assertFalse(tokens.contains(never), "2.42 has no " + never);
        }
    }

    @Test void knownDifferencesLoadWithUpstreamReferences() throws Exception {
        DiffKnownDifferences k = DiffKnownDifferences.load();
        assertTrue(k.entries.size() >= 10);
        for (DiffKnownDifferences.Entry e : k.entries) {
            assertFalse(e.upstream().isEmpty(), e.id());
            assertNotNull(e.explanation(), e.id());
        }
    }

    @Test void extrapolationFormulasDifferWhereUpstreamSaysTheyDo() {
        // A counter 2, 4 sampled 15 s apart, first sample 39.475 s after the window start, 5.525 s before its end:
        // 2.42 extrapolated to the zero point (15 s back), 3.x only half an interval (7.5 s).
        long[] t = {40_475, 55_475};
        double[] v = {2, 4};
        assertEquals(0.07894444444444444, DiffKnownDifferences.extrapolate(t, v, 1_000, 61_000, 60_000, true, false), 1e-15);
        assertEquals(0.06227777777777777, DiffKnownDifferences.extrapolate(t, v, 1_000, 61_000, 60_000, true, true), 1e-15);
    }

    @Test void regressionFormulasPartOnlyOverInfinities() {
        long[] t = {0, 1_000, 2_000};
        // y = 1 + 2x: slope 2 per second, 5 at t = 2 s; both versions agree on finite samples.
        for (boolean guard : new boolean[]{false, true}) {
            double[] r = DiffRegression.regression(t, new double[]{1, 3, 5}, 2_000, guard);
            assertEquals(2.0, r[0], 1e-12);
            assertEquals(5.0, r[1], 1e-12);
        }
        // An infinite sample: 2.42's correction term becomes Inf - Inf (NaN), 3.x keeps the infinity (x = -1.5, -0.5,
        // 0.5 s: the sum of x y is -Inf, the sum of x negative, so the covariance is -Inf - (+Inf)).
        double[] inf = {1, 3, Double.NEGATIVE_INFINITY};
        assertTrue(Double.isNaN(DiffRegression.regression(t, inf, 1_500, false)[0]));
        assertEquals(Double.NEGATIVE_INFINITY, DiffRegression.regression(t, inf, 1_500, true)[0]);
        // Constant samples: slope 0, or NaN when the constant is infinite.
        assertEquals(0.0, DiffRegression.regression(t, new double[]{4, 4, 4}, 0, true)[0]);
        assertTrue(Double.isNaN(DiffRegression.regression(t, new double[]{inf[2], inf[2], inf[2]}, 0, true)[0]));
    }

    // --- topk/bottomk ties (DiffTies): the reference is this engine over a small data set, "ours" the canned answers
    // of the test for the queries it names (else the reference's answer).

    /** A whole minute: the subquery steps of the cases below sit at T0 + 4m and T0 + 5m. */
    static final long T0 = 1_699_999_980_000L;

    /** x{a="1"} and x{a="2"} equal everywhere (2i at T0 + 15s i), x{a="3"} below them (i). */
    static ApiFixture tieData() {
        ApiFixture f = new ApiFixture(io.tsdb.query.engine.PromqlEngine::new);
        f.now.set(T0 + 3_600_000);
        for (int i = 0; i <= 40; i++) {
            f.add(T0 + 15_000L * i, 2 * i, "__name__", "x", "a", "1");
            f.add(T0 + 15_000L * i, 2 * i, "__name__", "x", "a", "2");
            f.add(T0 + 15_000L * i, i, "__name__", "x", "a", "3");
        }
        return f;
    }

    static JsonNode answer(ApiFixture f, DiffCase c) throws Exception {
        io.tsdb.server.http.Response r = f.call(FakeRequest.post(c.path(), ExternalProcess.form(c.params())));
        return json(new String(r.body(), java.nio.charset.StandardCharsets.UTF_8));
    }

    /** [reference, ours]: ours from the canned answers ("instant <query>" / "range <query>"), else the reference's. */
    static DiffKnownDifferences.Runner runner(ApiFixture f, Map<String, String> ours, AtomicInteger runs) {
        return c -> {
            if (runs != null) runs.incrementAndGet();
            JsonNode ref = answer(f, c);
            String o = ours.get((c.range() ? "range " : "instant ") + c.query());
            return new JsonNode[]{ref, o != null ? json(o) : ref};
        };
    }

    /** A matrix answer: per series its labels (a JSON object) and "seconds after T0=value" points. */
    static String matrix(String... metricAndPoints) {
        StringBuilder b = new StringBuilder("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[");
        for (int i = 0; i < metricAndPoints.length; i += 2) {
            if (i > 0) b.append(',');
            b.append("{\"metric\":").append(metricAndPoints[i]).append(",\"values\":[");
            String[] pts = metricAndPoints[i + 1].split(" ");
            for (int j = 0; j < pts.length; j++) {
                String[] tv = pts[j].split("=");
                if (j > 0) b.append(',');
                b.append('[').append(GoFloat.timestamp(T0 + 1000L * Long.parseLong(tv[0]))).append(",\"").append(tv[1]).append("\"]");
            }
            b.append("]}");
        }
        return b.append("]}}").toString();
    }

    static final String X1 = "{\"__name__\":\"x\",\"a\":\"1\"}", X2 = "{\"__name__\":\"x\",\"a\":\"2\"}", X3 = "{\"__name__\":\"x\",\"a\":\"3\"}";
    /** The shape of the one unexplained case of seed 20261206: topk(1, ...) inside a subquery, under increase. */
    static final DiffCase SUBQUERY_TIE = DiffCase.instant(QueryParser.parse("increase(topk(1, x)[2m:1m])"), T0 + 330_000);
    static final String EMPTY = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}";

    @Test void subqueryGridOfATopkNode() {
        Expr e = QueryParser.parse("max_over_time(rate(topk(1, x)[2m:30s])[5m:1m] offset 1m)");
        Expr node = ((io.tsdb.query.ast.SubqueryExpr) ((io.tsdb.query.ast.Call) ((io.tsdb.query.ast.SubqueryExpr)
                ((io.tsdb.query.ast.Call) e).args().get(0)).expr()).args().get(0)).expr();
        assertTrue(DiffTies.pinnable(node));
        // Range query T0+10m..T0+20m step 7 s (last step T0+19m55s): the outer subquery's steps are the whole minutes
        // in [T0+10m-1m-5m, T0+19m55s-1m], T0+4m..T0+18m; the inner one's every 30 s in [T0+4m-2m, T0+18m].
        DiffTies.Grid g = DiffTies.find(DiffCase.range(e, T0 + 600_000, T0 + 1_200_000, 7_000), e, node,
                new DiffTies.Grid(T0 + 600_000, T0 + 1_200_000, 7_000));
        assertEquals(new DiffTies.Grid(T0 + 120_000, T0 + 1_080_000, 30_000), g);
        assertNull(DiffTies.find(SUBQUERY_TIE, e, QueryParser.parse("x"), g), "not in the tree");
    }

    @Test void topkTieInsideASubqueryIsExcusedWhenOurAnswerFollowsFromValidChoices() throws Exception {
        ApiFixture f = tieData();
        // Ours keeps x{a="2"} at the first step and x{a="1"} at the second (both valid: they tie), so increase sees
        // one point per series and answers nothing; a reference that keeps the same series at both steps answers 16.
        Map<String, String> ours = new HashMap<>();
        ours.put("range topk(1, x)", matrix(X2, "240=32", X1, "300=40"));
        ours.put("instant " + SUBQUERY_TIE.query(), EMPTY);
        DiffKnownDifferences.Runner run = runner(f, ours, null);
        JsonNode[] plain = run.run(SUBQUERY_TIE);
        assertEquals(DiffComparator.Kind.LABELS, DiffComparator.compare(plain[0], plain[1], false).kind(), plain[0].toString());
        assertNull(DiffKnownDifferences.topkTies(SUBQUERY_TIE, run));
        DiffTies.Pinned p = DiffTies.pin(SUBQUERY_TIE, run);
        assertTrue(p.reference().query().contains("vector(time()) == " + GoFloat.timestamp(T0 + 240_000)), p.reference().query());
        assertNull(DiffTies.compare(SUBQUERY_TIE, run));
        assertEquals("topk-bottomk-ties", DiffKnownDifferences.load().classify(SUBQUERY_TIE,
                DiffComparator.compare(plain[0], plain[1], false), run));
    }

    @Test void topkTieCheckRejectsAnInvalidChoiceAndAWrongAnswerOverAValidOne() throws Exception {
        ApiFixture f = tieData();
        // x{a="3"} is below the other two at the first step: not a topk(1) choice there.
        Map<String, String> invalid = new HashMap<>();
        invalid.put("range topk(1, x)", matrix(X3, "240=16", X1, "300=40"));
        invalid.put("instant " + SUBQUERY_TIE.query(), EMPTY);
        assertTrue(DiffKnownDifferences.topkTies(SUBQUERY_TIE, runner(f, invalid, null)).contains("not a valid one"));
        assertNotNull(DiffTies.compare(SUBQUERY_TIE, runner(f, invalid, null)));
        // A valid choice (x{a="2"} at both steps), but an increase that does not follow from it.
        Map<String, String> wrong = new HashMap<>();
        wrong.put("range topk(1, x)", matrix(X2, "240=32 300=40"));
        wrong.put("instant " + SUBQUERY_TIE.query(), vector(X2.replace("\"__name__\":\"x\",", ""), "17"));
        String why = DiffKnownDifferences.topkTies(SUBQUERY_TIE, runner(f, wrong, null));
        assertTrue(why != null && why.contains("still disagrees"), why);
        // The same choice with the increase that does follow from it (16: 8 over 60 s, extrapolated to 120 s).
        Map<String, String> right = new HashMap<>(wrong);
        JsonNode refAnswer = answer(f, SUBQUERY_TIE);
        String value = refAnswer.at("/data/result/0/value/1").asText();
        right.put("instant " + SUBQUERY_TIE.query(), vector(X2.replace("\"__name__\":\"x\",", ""), value)
                .replace("10.5", GoFloat.timestamp(T0 + 330_000)));
        assertNull(DiffKnownDifferences.topkTies(SUBQUERY_TIE, runner(f, right, null)));
    }

    @Test void topkAsTheWholeQueryNeedsOnlyAValidChoiceAlsoWithAComputedK() throws Exception {
        ApiFixture f = tieData();
        DiffCase c = DiffCase.instant(QueryParser.parse("topk(3 - 2, x)"), T0 + 330_000);
        String at = GoFloat.timestamp(T0 + 330_000);
        for (String pick : new String[]{X1, X2, X3}) {
            Map<String, String> ours = Map.of("instant " + c.query(), vector(pick, pick == X3 ? "22" : "44").replace("10.5", at));
            String why = DiffKnownDifferences.topkTies(c, runner(f, ours, null));
            // x{a="1"} and x{a="2"} are 44 at T0+5m30s, x{a="3"} 22.
            if (pick == X3) assertTrue(why != null && why.contains("not a valid one"), why);
            else assertNull(why, pick);
        }
        assertTrue(DiffTies.pinnable(c.expr()));
        assertFalse(DiffTies.pinnable(QueryParser.parse("topk(scalar(x{a=\"3\"} @ 100), x)")), "k with @: a known difference of its own");
    }

    @Test void tieAwareComparisonDoesNotDependOnWhichTieTheReferenceKeeps() throws Exception {
        ApiFixture f = tieData();
        Map<String, String> ours = new HashMap<>();
        ours.put("range topk(1, x)", matrix(X2, "240=32", X1, "300=40"));
        ours.put("instant " + SUBQUERY_TIE.query(), EMPTY);
        Map<String, String> wrong = new HashMap<>(ours);
        wrong.put("instant " + SUBQUERY_TIE.query(), vector("{\"a\":\"2\"}", "3").replace("10.5", GoFloat.timestamp(T0 + 330_000)));
        // A reference that answers the query itself differently on every run, as Prometheus does (a tie it breaks
        // one way, then the other); its answers with the choices pinned stay the same.
        AtomicInteger flip = new AtomicInteger();
        for (Map<String, String> side : java.util.List.of(ours, wrong)) {
            DiffKnownDifferences.Runner flaky = c -> {
                JsonNode ref = answer(f, c);
                if (c.equals(SUBQUERY_TIE) && flip.incrementAndGet() % 2 == 0) ref = json(EMPTY);
                String o = side.get((c.range() ? "range " : "instant ") + c.query());
                return new JsonNode[]{ref, o != null ? json(o) : ref};
            };
            for (int i = 0; i < 4; i++) {
                assertEquals(side == wrong, DiffTies.failsLike(SUBQUERY_TIE, "data", flaky), "run " + i);
            }
        }
    }
    /** floor(x / 4) at T0 + 5m30s: x / 4 is 11, 11 and 5.5, floor 11, 11 and 5. */
    static final DiffCase FLOOR = DiffCase.instant(QueryParser.parse("floor(x / 4)"), T0 + 330_000);

    static String at330(String answer) { return answer.replace("10.5", GoFloat.timestamp(T0 + 330_000)); }

    @Test void amplifiedRoundingNeedsAnInnerExpressionThatAgreesAndCarriesToOurAnswer() throws Exception {
        ApiFixture f = tieData();
        DiffKnownDifferences known = DiffKnownDifferences.load();
        String a1 = "{\"a\":\"1\"}", a2 = "{\"a\":\"2\"}", a3 = "{\"a\":\"3\"}";
        // Our x / 4 is 11 less one unit in the last place for x{a="1"} (equal within the tolerance); floor makes it 10.
        Map<String, String> ours = new HashMap<>();
        ours.put("instant x / 4", at330(vector(a1, "10.999999999999998", a2, "11", a3, "5.5")));
        ours.put("instant " + FLOOR.query(), at330(vector(a1, "10", a2, "11", a3, "5")));
        DiffKnownDifferences.Runner run = runner(f, ours, null);
        JsonNode[] r = run.run(FLOOR);
        DiffComparator.Disagreement d = DiffComparator.compare(r[0], r[1], false);
        assertEquals(DiffComparator.Kind.VALUE, d.kind(), r[0].toString());
        assertEquals("amplified-rounding", known.classify(FLOOR, d, run));
        String literal = DiffInner.literal(json(ours.get("instant x / 4")));
        assertTrue(literal.contains("vector(10.999999999999998)") && literal.contains("== " + GoFloat.timestamp(T0 + 330_000)), literal);
        // An answer that does not follow from our x / 4 is not excused.
        ours.put("instant " + FLOOR.query(), at330(vector(a1, "9", a2, "11", a3, "5")));
        assertNull(known.classify(FLOOR, DiffComparator.compare(r[0], json(ours.get("instant " + FLOOR.query())), false), run));
        assertTrue(known.lastRejection.contains("still disagrees"), known.lastRejection);
        // Nor one whose inner values differ beyond the tolerance.
        ours.put("instant x / 4", at330(vector(a1, "10.5", a2, "11", a3, "5.5")));
        ours.put("instant " + FLOOR.query(), at330(vector(a1, "10", a2, "11", a3, "5")));
        assertNull(known.classify(FLOOR, d, run));
    }

    @Test void knownDifferenceOfAnInnerExpressionIsExcusedWhenTheReferenceCarriesOurValuesToOurAnswer() throws Exception {
        ApiFixture f = tieData();
        // An entry that explains a NaN of ours from stddev as a VALUE difference only; the query turns it into labels.
        DiffKnownDifferences known = DiffKnownDifferences.of(java.util.List.of(new DiffKnownDifferences.Entry("stddev-nan", "t",
                java.util.List.of("VALUE"), java.util.List.of("stddev"), null, null, null, "NaN", null, null, null, java.util.List.of("test"), "e")));
        DiffCase c = DiffCase.instant(QueryParser.parse("count_values(\"v\", stddev(x))"), T0 + 330_000);
        Map<String, String> ours = new HashMap<>();
        ours.put("instant stddev(x)", at330(vector("{}", "NaN")));
        ours.put("instant " + c.query(), at330(vector("{\"v\":\"NaN\"}", "1")));
        DiffKnownDifferences.Runner run = runner(f, ours, null);
        JsonNode[] r = run.run(c);
        DiffComparator.Disagreement d = DiffComparator.compare(r[0], r[1], false);
        assertEquals(DiffComparator.Kind.LABELS, d.kind(), r[0].toString());
        assertEquals("stddev-nan", known.classify(c, d, run));
        // A count that does not follow from our NaN is not excused.
        ours.put("instant " + c.query(), at330(vector("{\"v\":\"NaN\"}", "2")));
        assertNull(known.classify(c, DiffComparator.compare(r[0], json(ours.get("instant " + c.query())), false), run));
        assertTrue(known.lastRejection.startsWith("stddev-nan (at an inner expression)"), known.lastRejection);
    }
    @Test void subnormalLogArgumentNeedsASubnormalArgumentAndJavasLogarithmOfIt() throws Exception {
        ApiFixture f = new ApiFixture(io.tsdb.query.engine.PromqlEngine::new);
        f.now.set(T0 + 3_600_000);
        f.add(T0 + 300_000, 1.68158047e-313, "__name__", "y", "a", "sub");
        f.add(T0 + 300_000, 1e-300, "__name__", "y", "a", "normal");
        DiffCase c = DiffCase.instant(QueryParser.parse("ln(y)"), T0 + 330_000);
        // The reference binary's answers (measured): about ln(2^-1023) for the subnormal, right for the normal number.
        String twoFortyTwo = at330(vector("{\"a\":\"sub\"}", "-709.0895581554385", "{\"a\":\"normal\"}", "-690.7755278982137"));
        DiffKnownDifferences.Runner run = q -> {
            JsonNode ours = answer(f, q);
            return new JsonNode[]{q.query().equals("ln(y)") ? json(twoFortyTwo) : ours, ours};
        };
        assertNull(DiffKnownDifferences.subnormalLogArgument(c, run));
        JsonNode[] r = run.run(c);
        assertEquals("go-log-subnormal", DiffKnownDifferences.load().classify(c, DiffComparator.compare(r[0], r[1], false), run));
        // A difference at a normal argument is not excused.
        String wrongNormal = twoFortyTwo.replace("-690.7755278982137", "-690.5");
        DiffKnownDifferences.Runner run2 = q -> {
            JsonNode ours = answer(f, q);
            return new JsonNode[]{q.query().equals("ln(y)") ? json(wrongNormal) : ours, ours};
        };
        String why = DiffKnownDifferences.subnormalLogArgument(c, run2);
        assertTrue(why != null && why.contains("argument 1.0E-300"), why);
    }
    @Test void stepwiseAssemblyOfTheReferencesInstantAnswers() throws Exception {
        ApiFixture f = tieData();
        DiffCase c = DiffCase.range(QueryParser.parse("-x"), T0 + 60_000, T0 + 240_000, 60_000);
        String collision = "{\"status\":\"error\",\"errorType\":\"execution\",\"error\":\"vector cannot contain metrics with the same labelset\"}";
        // A reference that fails the range query, although each of its steps answers: ours is the steps assembled.
        DiffKnownDifferences.Runner run = q -> {
            JsonNode ours = answer(f, q);
            return new JsonNode[]{q.range() ? json(collision) : ours, ours};
        };
        assertNull(DiffKnownDifferences.stepwise(c, run));
        JsonNode[] r = run.run(c);
        assertEquals("delayed-name-removal-range-merge", DiffKnownDifferences.load().classify(c, DiffComparator.compare(r[0], r[1], false), run));
        // Ours without the last step's points, or with another value, is not what the steps say.
        String short3 = matrix(X1.replace("\"__name__\":\"x\",", ""), "60=-8 120=-16 180=-24");
        DiffKnownDifferences.Runner wrong = q -> {
            JsonNode ref = answer(f, q);
            return new JsonNode[]{q.range() ? json(collision) : ref, q.range() ? json(short3) : ref};
        };
        assertNotNull(DiffKnownDifferences.stepwise(c, wrong));
        assertEquals("not a range query", DiffKnownDifferences.stepwise(DiffCase.instant(c.expr(), T0), run));
    }
}
