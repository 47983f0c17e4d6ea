package io.tsdb.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.tsdb.query.ast.Expr;
import io.tsdb.query.ast.ParenExpr;
import io.tsdb.query.ast.ValueType;
import io.tsdb.query.ast.VectorSelector;
import io.tsdb.query.parser.Printer;
import io.tsdb.query.parser.QueryParser;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A disagreement carried from an inner expression to the answer. Where the answers differ only because an inner
 * instant-vector expression {@code n} did (by a known difference, or by rounding inside the comparison's tolerance that
 * the rest of the query amplifies: {@code sin} of a predict_linear of 2567, a comparison, a floor), the rest of the
 * query is not to blame. {@link #carried} proves it: it reads our values of {@code n} at every time {@code n} is
 * evaluated (the query's steps, or the absolute step grid of the subqueries around it: {@link DiffTies#find}), writes
 * them as a PromQL literal ({@code label_replace(vector(<value>), ...) and on () (vector(time()) == <t>) or ...}),
 * replaces {@code n} by it and runs the query on the reference: if the reference then answers exactly what we
 * answered, our answer follows from our values of {@code n} through the reference's own arithmetic.
 */
final class DiffInner {
    private DiffInner() {}

    /** Beyond this many (series, time) values a literal is not built. */
    static final int MAX_POINTS = 2000;
    /** Inner expressions tried per disagreement, outermost first. */
    static final int MAX_CANDIDATES = 12;

    /** A candidate inner expression, the case that evaluates it alone at its times, and both answers to that case. */
    record Inner(Expr node, DiffCase alone, JsonNode[] answers) {}

    /**
     * The instant-vector subexpressions of c (not c itself, not selectors, not parentheses), outermost first, each with
     * its answers when evaluated alone at the times the query evaluates it. A node under a subquery that uses
     * {@code @ start()}/{@code @ end()} is left out (alone on the subquery's grid those would mean other times).
     */
    static List<Inner> candidates(DiffCase c, DiffKnownDifferences.Runner runner) throws Exception {
        DiffTies.Grid top = top(c);
        List<Inner> out = new ArrayList<>();
        Deque<Expr> queue = new ArrayDeque<>(DiffAst.children(c.expr()));
        while (!queue.isEmpty() && out.size() < MAX_CANDIDATES) {
            Expr n = queue.poll();
            queue.addAll(DiffAst.children(n));
            if (n instanceof ParenExpr || n instanceof VectorSelector || n.type() != ValueType.VECTOR) continue;
            DiffTies.Grid g = DiffTies.find(c, c.expr(), n, top);
            if (g == null || g.empty()) continue;
            String printed = Printer.print(n);
            if (!g.equals(top) && (printed.contains("start()") || printed.contains("end()"))) continue;
            DiffCase alone = g.of(n);
            out.add(new Inner(n, alone, runner.run(alone)));
        }
        return out;
    }

    /**
     * Null when the reference, with {@code inner.node} replaced by our values of it, answers what we answered to c;
     * otherwise why not.
     */
    static String carried(DiffCase c, Inner inner, DiffKnownDifferences.Runner runner) throws Exception {
        JsonNode ours = inner.answers()[1];
        if (!"success".equals(ours.path("status").asText())) return "ours failed on " + Printer.print(inner.node());
        String literal = literal(ours);
        if (literal == null) return "more than " + MAX_POINTS + " values of " + Printer.print(inner.node());
        Map<Expr, Expr> by = new IdentityHashMap<>();
        by.put(inner.node(), new ParenExpr(QueryParser.parse(literal), 0));
        DiffCase substituted = c.with(DiffTies.replace(c.expr(), by));
        DiffComparator.Disagreement d = DiffComparator.compare(runner.run(substituted)[0], runner.run(c)[1], c.ordered());
        return d == null ? null : "with our values of " + Printer.print(inner.node()) + " the reference still disagrees: " + d;
    }

    /**
     * An answer (vector or matrix) as an instant-vector expression with exactly its series and values at exactly its
     * times; null beyond {@link #MAX_POINTS}.
     */
    static String literal(JsonNode answer) {
        List<String> terms = new ArrayList<>();
        JsonNode result = answer.at("/data/result");
        if ("scalar".equals(answer.at("/data/resultType").asText())) return null;
        for (JsonNode s : result) {
            Map<String, String> labels = new TreeMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = s.get("metric").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> l = it.next();
                labels.put(l.getKey(), l.getValue().asText());
            }
            List<JsonNode> points = new ArrayList<>();
            if (s.has("value")) points.add(s.get("value"));
            else s.get("values").forEach(points::add);
            for (JsonNode p : points) {
                if (terms.size() >= MAX_POINTS) return null;
                String v = "vector(" + number(p.get(1).asText()) + ")";
                for (Map.Entry<String, String> l : labels.entrySet()) {
                    v = "label_replace(" + v + ", " + DiffTies.quote(l.getKey()) + ", "
                            + DiffTies.quote(l.getValue().replace("$", "$$")) + ", " + DiffTies.quote(l.getKey()) + ", \"\")";
                }
                terms.add("(" + v + " and on () (vector(time()) == " + GoFloat.timestamp(DiffTies.ms(p.get(0))) + "))");
            }
        }
        if (terms.isEmpty()) return "(vector(1) unless on () vector(1))";
        return "(" + String.join(" or ", terms) + ")";
    }

    /** A sample value of the API (Go's formatting: "1.5", "1e+300", "+Inf", "NaN") as a PromQL number. */
    static String number(String v) {
        return switch (v) {
            case "+Inf" -> "Inf";
            case "-Inf" -> "-Inf";
            case "NaN" -> "NaN";
            default -> v.startsWith("-") ? "(" + v + ")" : v;
        };
    }

    private static DiffTies.Grid top(DiffCase c) {
        return c.range() ? new DiffTies.Grid(c.start(), c.end(), c.step()) : new DiffTies.Grid(c.time(), c.time(), 0);
    }
}
