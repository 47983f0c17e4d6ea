package io.tsdb.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.tsdb.query.ast.Expr;
import io.tsdb.query.parser.Printer;
import io.tsdb.query.parser.QueryParser;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

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
}
