package io.tsdb.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.tsdb.query.ast.AggregateExpr;
import io.tsdb.query.ast.AggregateOp;
import io.tsdb.query.ast.AtModifier;
import io.tsdb.query.ast.Expr;
import io.tsdb.query.ast.NumberLiteral;
import io.tsdb.query.ast.SubqueryExpr;
import io.tsdb.query.parser.Printer;
import io.tsdb.query.parser.QueryParser;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Ties in {@code topk}/{@code bottomk} without guessing: Prometheus keeps, among equal values, whichever series its
 * heap saw first, and the order it feeds series in comes from a Go map (a range evaluation assembles its output matrix
 * by iterating one), so repeated runs of the same query choose differently (the reference answered
 * {@code increase(topk(1, a >= bool b)[2m:1m])} with three different answers in three runs). This engine's choice is
 * deterministic.
 *
 * <p>{@link #pin} proves that an answer of ours is one Prometheus could give: for every {@code topk(k, e)} /
 * {@code bottomk(k, e)} with a literal k (innermost first) it reads our choice at every time the node is evaluated
 * (the query's steps, or the absolute step grid of the subqueries around it), checks on the reference that it is a
 * valid choice at each of those times ({@link DiffKnownDifferences#validChoice}: k series per group, none left out
 * that ranks strictly better), and replaces the node by {@code e} restricted to exactly those series at exactly those
 * times: {@code e and on(<labels>) (<series 1> and on() <its times> or ...)}. The reference then evaluates the whole
 * query with our choices; if it answers what we answered, our answer follows from valid choices through the
 * reference's own arithmetic. A wrong choice, or a wrong computation on top of a valid one, still disagrees.
 */
final class DiffTies {
    private DiffTies() {}

    /** Beyond this many (series, run of consecutive steps) terms a pinned query is not built (a rejection instead). */
    static final int MAX_TERMS = 2000;
    /** Prometheus' default evaluation interval, the step of a subquery without one (both sides run with it). */
    static final long DEFAULT_SUBQUERY_STEP_MS = 60_000;

    /**
     * The case with every pinnable node pinned to our choices, or why none could be built. When the query itself is a
     * topk/bottomk, our answer is our choice: {@code proven} once it is a valid one (no pinned query needed).
     */
    record Pinned(DiffCase reference, String rejection, boolean proven) {
        Pinned(DiffCase reference, String rejection) { this(reference, rejection, false); }
    }

    /**
     * A topk/bottomk whose choice can be read and checked: k a number, or an expression without {@code @} (evaluated on
     * the reference at the node's times; Prometheus leaves a parameter's {@code @} out of its preprocessing, a known
     * difference of its own).
     */
    static boolean pinnable(Expr e) {
        return e instanceof AggregateExpr a && (a.op() == AggregateOp.TOPK || a.op() == AggregateOp.BOTTOMK)
                && (a.param() instanceof NumberLiteral || !DiffAst.tokens(a.param()).contains("at"));
    }

    /** Whether e contains a topk/bottomk the reference may answer differently on every run. */
    static boolean hasSelection(Expr e) {
        if (e instanceof AggregateExpr a && (a.op() == AggregateOp.TOPK || a.op() == AggregateOp.BOTTOMK)) return true;
        for (Expr c : DiffAst.children(e)) if (hasSelection(c)) return true;
        return false;
    }

    /** Whether every topk/bottomk in e can be pinned (its reference answer is then reproducible). */
    static boolean allPinnable(Expr e) {
        if (e instanceof AggregateExpr a && (a.op() == AggregateOp.TOPK || a.op() == AggregateOp.BOTTOMK) && !pinnable(a)) return false;
        for (Expr c : DiffAst.children(e)) if (!allPinnable(c)) return false;
        return true;
    }

    /**
     * The tie-aware comparison: the plain one, and where that disagrees over a query with pinnable topk/bottomk, the
     * reference's answer with its choices pinned to ours against our answer (null: the disagreement was only which
     * of equal values each side picked). {@code answers} is a run of c ([reference, ours]).
     */
    static DiffComparator.Disagreement compare(DiffCase c, JsonNode[] answers, DiffKnownDifferences.Runner runner) throws Exception {
        DiffComparator.Disagreement d = DiffComparator.compare(answers[0], answers[1], c.ordered());
        if (d == null || !hasSelection(c.expr())) return d;
        Pinned p = pin(c, runner);
        if (p.rejection() != null) return d;
        if (p.proven()) return null;
        return DiffComparator.compare(runner.run(p.reference())[0], answers[1], c.ordered());
    }

    static DiffComparator.Disagreement compare(DiffCase c, DiffKnownDifferences.Runner runner) throws Exception {
        return compare(c, runner.run(c), runner);
    }

    /**
     * Whether c still shows a disagreement of the family (the shrinker's predicate), under the tie-aware comparison.
     * A query whose topk/bottomk cannot all be pinned is answered differently from run to run by the reference: it
     * is run up to three times and fails if any run disagrees. A query the reference cannot parse does not fail.
     */
    static boolean failsLike(DiffCase c, String family, DiffKnownDifferences.Runner runner) throws Exception {
        int runs = hasSelection(c.expr()) && !allPinnable(c.expr()) ? 3 : 1;
        for (int i = 0; i < runs; i++) {
            JsonNode[] r = runner.run(c);
            if (DiffComparator.referenceParseError(r[0])) return false; // not a reproduction 2.42 can run
            DiffComparator.Disagreement d = compare(c, r, runner);
            if (d != null && d.kind().family().equals(family)) return true;
        }
        return false;
    }

    /** Builds the reference's case with every pinnable topk/bottomk of c fixed to our choices (see the class comment). */
    static Pinned pin(DiffCase c, DiffKnownDifferences.Runner runner) throws Exception {
        List<AggregateExpr> nodes = new ArrayList<>();
        collect(c.expr(), nodes);
        if (nodes.isEmpty()) return new Pinned(null, "no topk/bottomk with a literal k");
        Grid top = c.range() ? new Grid(c.start(), c.end(), c.step()) : new Grid(c.time(), c.time(), 0);
        Map<Expr, Expr> pinned = new IdentityHashMap<>();
        Expr root = c.expr();
        while (root instanceof io.tsdb.query.ast.ParenExpr p) root = p.expr();
        for (AggregateExpr a : nodes) {
            Grid g = find(c, c.expr(), a, top);
            if (g == null || g.empty()) continue; // never evaluated: whatever it would choose cannot matter
            Expr arg = replace(a.expr(), pinned);
            JsonNode ours = runner.run(g.of(a))[1];
            JsonNode candidates = runner.run(g.of(arg))[0];
            String q = Printer.print(a);
            if (!"success".equals(ours.path("status").asText())) return new Pinned(null, q + ": ours failed: " + ours.path("error").asText());
            Map<Double, Long> k = new TreeMap<>();
            if (!(a.param() instanceof NumberLiteral)) {
                JsonNode kv = runner.run(g.of(replace(a.param(), pinned)))[0];
                if (!"success".equals(kv.path("status").asText())) return new Pinned(null, q + ": the reference fails on k");
                if (kv.at("/data/resultType").asText().equals("scalar")) {
                    k.put(kv.at("/data/result/0").asDouble(), (long) DiffComparator.parse(kv.at("/data/result/1").asText()));
                } else {
                    for (JsonNode s : kv.at("/data/result")) {
                        for (JsonNode pt : s.get("values")) k.put(pt.get(0).asDouble(), (long) DiffComparator.parse(pt.get(1).asText()));
                    }
                }
            }
            boolean valid = a.param() instanceof NumberLiteral ? DiffKnownDifferences.validChoice(ours, candidates, a)
                    : DiffKnownDifferences.validChoice(ours, candidates, a, t -> k.getOrDefault(t, 0L));
            if (!valid) return new Pinned(null, q + ": our choice is not a valid one among the reference's values of its argument");
            if (a == root) {
                // The query is this node: our answer is the choice just checked (our answer to c, for the record).
                JsonNode answer = runner.run(c)[1];
                return DiffComparator.compare(answer, ours, c.ordered()) == null ? new Pinned(null, null, true)
                        : new Pinned(null, q + ": our answer differs from our choice read again");
            }
            String p = restrict(Printer.print(arg), ours, candidates, g);
            if (p == null) return new Pinned(null, q + ": more than " + MAX_TERMS + " (series, steps) terms to pin");
            pinned.put(a, QueryParser.parse(p));
        }
        if (pinned.isEmpty()) return new Pinned(null, "no topk/bottomk is ever evaluated");
        return new Pinned(c.with(replace(c.expr(), pinned)), null);
    }

    /** Post-order: inner nodes (in another's argument) before the outer ones. */
    private static void collect(Expr e, List<AggregateExpr> out) {
        for (Expr c : DiffAst.children(e)) collect(c, out);
        if (pinnable(e)) out.add((AggregateExpr) e);
    }

    static Expr replace(Expr e, Map<Expr, Expr> by) {
        Expr r = by.get(e);
        if (r != null) return r;
        List<Expr> ch = DiffAst.children(e);
        Expr out = e;
        for (int i = 0; i < ch.size(); i++) {
            Expr n = replace(ch.get(i), by);
            if (n != ch.get(i)) out = DiffAst.withChild(out, i, n);
        }
        return out;
    }

    /**
     * The times a node is evaluated at: from start to end every step (step 0: an instant evaluation at start). Under a
     * subquery, the multiples of its step in its windows (closed on the left, as 2.42: a superset of 3.x's).
     */
    record Grid(long start, long end, long step) {
        boolean empty() { return end < start; }

        DiffCase of(Expr e) { return step == 0 ? DiffCase.instant(e, start) : DiffCase.range(e, start, end, step); }

        List<Long> times() {
            List<Long> out = new ArrayList<>();
            if (step == 0) out.add(start);
            else for (long t = start; t <= end; t += step) out.add(t);
            return out;
        }
    }

    /** The grid target is evaluated on, walking down from e (evaluated on cur); null when target is not in e. */
    static Grid find(DiffCase c, Expr e, Expr target, Grid cur) {
        if (e == target) return cur;
        Grid inner = cur;
        if (e instanceof SubqueryExpr sq) {
            long step = sq.stepMs() > 0 ? sq.stepMs() : DEFAULT_SUBQUERY_STEP_MS;
            long last = cur.step == 0 ? cur.start : cur.start + (cur.end - cur.start) / cur.step * cur.step;
            long lo, hi;
            if (sq.at() != null) {
                long t = at(c, sq.at());
                lo = t - sq.offsetMs() - sq.rangeMs();
                hi = t - sq.offsetMs();
            } else {
                lo = cur.start - sq.offsetMs() - sq.rangeMs();
                hi = last - sq.offsetMs();
            }
            long first = Math.floorDiv(lo, step) * step;
            if (first < lo) first += step;
            inner = new Grid(first, Math.floorDiv(hi, step) * step, step);
        }
        for (Expr ch : DiffAst.children(e)) {
            Grid g = find(c, ch, target, inner);
            if (g != null) return g;
        }
        return null;
    }

    private static long at(DiffCase c, AtModifier at) {
        return switch (at.kind()) {
            case START -> c.range() ? c.start() : c.time();
            case END -> c.range() ? c.end() : c.time();
            case TIMESTAMP -> at.timestampMs();
        };
    }

    /**
     * {@code (arg) and on(<every label name>) (<series> and on() <times> or ...)}: arg restricted to the series of
     * choice (a matrix or vector answer of ours) at the times each was chosen; null beyond {@link #MAX_TERMS}.
     */
    static String restrict(String arg, JsonNode choice, JsonNode candidates, Grid g) {
        Set<String> names = new TreeSet<>();
        for (JsonNode s : candidates.at("/data/result")) s.get("metric").fieldNames().forEachRemaining(names::add);
        for (JsonNode s : choice.at("/data/result")) s.get("metric").fieldNames().forEachRemaining(names::add);
        List<String> terms = new ArrayList<>();
        for (JsonNode s : choice.at("/data/result")) {
            TreeSet<Long> times = new TreeSet<>();
            if (s.has("value")) times.add(ms(s.get("value").get(0)));
            else for (JsonNode p : s.get("values")) times.add(ms(p.get(0)));
            String series = "vector(1)";
            Map<String, String> labels = new TreeMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = s.get("metric").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> l = it.next();
                labels.put(l.getKey(), l.getValue().asText());
            }
            for (Map.Entry<String, String> l : labels.entrySet()) {
                series = "label_replace(" + series + ", " + quote(l.getKey()) + ", " + quote(l.getValue().replace("$", "$$"))
                        + ", " + quote(l.getKey()) + ", \"\")";
            }
            for (long[] run : runs(times, g.step())) {
                if (terms.size() >= MAX_TERMS) return null;
                String when = run[0] == run[1] ? "vector(time()) == " + GoFloat.timestamp(run[0])
                        : "(vector(time()) >= " + GoFloat.timestamp(run[0]) + ") <= " + GoFloat.timestamp(run[1]);
                terms.add("(" + series + " and on () (" + when + "))");
            }
        }
        if (terms.isEmpty()) return "((" + arg + ") unless on () vector(1))";
        return "((" + arg + ") and on (" + String.join(", ", names) + ") (" + String.join(" or ", terms) + "))";
    }

    /** Maximal runs [first, last] of consecutive grid steps. */
    private static List<long[]> runs(TreeSet<Long> times, long step) {
        List<long[]> out = new ArrayList<>();
        long[] cur = null;
        for (long t : times) {
            if (cur != null && step > 0 && t == cur[1] + step) cur[1] = t;
            else out.add(cur = new long[]{t, t});
        }
        return out;
    }

    static long ms(JsonNode seconds) { return new BigDecimal(seconds.asText()).movePointRight(3).longValueExact(); }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '\\' -> b.append("\\\\");
                case '"' -> b.append("\\\"");
                case '\n' -> b.append("\\n");
                default -> b.append(ch);
            }
        }
        return b.append('"').toString();
    }
}
