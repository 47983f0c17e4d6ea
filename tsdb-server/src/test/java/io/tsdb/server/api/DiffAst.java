package io.tsdb.server.api;

import io.tsdb.core.Matcher;
import io.tsdb.query.ast.AggregateExpr;
import io.tsdb.query.ast.BinaryExpr;
import io.tsdb.query.ast.Call;
import io.tsdb.query.ast.Expr;
import io.tsdb.query.ast.MatrixSelector;
import io.tsdb.query.ast.NumberLiteral;
import io.tsdb.query.ast.ParenExpr;
import io.tsdb.query.ast.StringLiteral;
import io.tsdb.query.ast.SubqueryExpr;
import io.tsdb.query.ast.UnaryExpr;
import io.tsdb.query.ast.ValueType;
import io.tsdb.query.ast.VectorMatching;
import io.tsdb.query.ast.VectorSelector;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** Generic walks over the engine's AST for the differential test: children, rebuilding, feature tokens. */
final class DiffAst {
    private DiffAst() {}

    static List<Expr> children(Expr e) {
        if (e instanceof AggregateExpr a) return a.param() == null ? List.of(a.expr()) : List.of(a.expr(), a.param());
        if (e instanceof BinaryExpr b) return List.of(b.lhs(), b.rhs());
        if (e instanceof Call c) return c.args();
        if (e instanceof MatrixSelector m) return List.of(m.selector());
        if (e instanceof ParenExpr p) return List.of(p.expr());
        if (e instanceof UnaryExpr u) return List.of(u.expr());
        if (e instanceof SubqueryExpr s) return List.of(s.expr());
        return List.of();
    }

    /** e with its i-th child (in {@link #children} order) replaced by c. */
    static Expr withChild(Expr e, int i, Expr c) {
        if (e instanceof AggregateExpr a) {
            return i == 0 ? new AggregateExpr(a.op(), c, a.param(), a.grouping(), a.without(), 0)
                    : new AggregateExpr(a.op(), a.expr(), c, a.grouping(), a.without(), 0);
        }
        if (e instanceof BinaryExpr b) {
            Expr l = i == 0 ? c : b.lhs(), r = i == 1 ? c : b.rhs();
            boolean scalars = l.type() == ValueType.SCALAR && r.type() == ValueType.SCALAR;
            boolean anyScalar = l.type() == ValueType.SCALAR || r.type() == ValueType.SCALAR;
            VectorMatching m = anyScalar ? null : b.matching() != null ? b.matching() : defaultMatching(b);
            // Comparisons between scalars need bool.
            return new BinaryExpr(b.op(), l, r, m, b.returnBool() || (scalars && b.op().isComparison()), 0);
        }
        if (e instanceof Call f) {
            List<Expr> args = new ArrayList<>(f.args());
            args.set(i, c);
            return new Call(f.fn(), List.copyOf(args), 0);
        }
        if (e instanceof MatrixSelector m) return new MatrixSelector((VectorSelector) c, m.rangeMs(), 0);
        if (e instanceof ParenExpr) return new ParenExpr(c, 0);
        if (e instanceof UnaryExpr u) return new UnaryExpr(u.negate(), c, 0);
        if (e instanceof SubqueryExpr s) return new SubqueryExpr(c, s.rangeMs(), s.stepMs(), s.offsetMs(), s.at(), 0);
        throw new IllegalArgumentException("no children: " + e);
    }

    /** e with every {@code @ <timestamp>} moved by ms ({@code start()}/{@code end()} move with the query times). */
    static Expr shiftAt(Expr e, long ms) {
        if (e instanceof VectorSelector vs) return new VectorSelector(vs.name(), vs.matchers(), vs.offsetMs(), shift(vs.at(), ms), 0);
        if (e instanceof SubqueryExpr s) {
            return new SubqueryExpr(shiftAt(s.expr(), ms), s.rangeMs(), s.stepMs(), s.offsetMs(), shift(s.at(), ms), 0);
        }
        List<Expr> ch = children(e);
        Expr out = e;
        for (int i = 0; i < ch.size(); i++) out = withChild(out, i, shiftAt(ch.get(i), ms));
        return out;
    }

    /** e with every range (of range selectors and subqueries) made ms longer: window starts move off the step grid. */
    static Expr widenRanges(Expr e, long ms) {
        if (e instanceof MatrixSelector m) return new MatrixSelector(m.selector(), m.rangeMs() + ms, 0);
        if (e instanceof SubqueryExpr s) {
            return new SubqueryExpr(widenRanges(s.expr(), ms), s.rangeMs() + ms, s.stepMs(), s.offsetMs(), s.at(), 0);
        }
        List<Expr> ch = children(e);
        Expr out = e;
        for (int i = 0; i < ch.size(); i++) out = withChild(out, i, widenRanges(ch.get(i), ms));
        return out;
    }

    private static io.tsdb.query.ast.AtModifier shift(io.tsdb.query.ast.AtModifier at, long ms) {
        return at == null || at.kind() != io.tsdb.query.ast.AtModifier.Kind.TIMESTAMP ? at : io.tsdb.query.ast.AtModifier.at(at.timestampMs() + ms);
    }

    private static VectorMatching defaultMatching(BinaryExpr b) {
        return b.op().isSetOperator() ? new VectorMatching(VectorMatching.Cardinality.MANY_TO_MANY, false, List.of(), List.of())
                : VectorMatching.DEFAULT;
    }

    /** Number of nodes (the shrinker's measure of size, with the printed length). */
    static int size(Expr e) {
        int n = 1;
        for (Expr c : children(e)) n += size(c);
        if (e instanceof VectorSelector vs) n += vs.matchers().size() + (vs.offsetMs() != 0 ? 1 : 0) + (vs.at() != null ? 1 : 0);
        return n;
    }

    /**
     * Feature tokens of an expression, as the known-differences file names them: every function and aggregation
     * name, every operator symbol, and {@code matrix}, {@code subquery}, {@code offset}, {@code at}, {@code bool},
     * {@code vector-vector} (a binary operation between two instant vectors), {@code comparison-vector-vector},
     * {@code group_left}, {@code group_right}, {@code on}, {@code ignoring}, {@code name-regex} (a selector that does
     * not fix the metric name), {@code name-label} (a label function or matching clause naming __name__).
     */
    static Set<String> tokens(Expr e) {
        Set<String> out = new TreeSet<>();
        collect(e, out);
        return out;
    }

    private static void collect(Expr e, Set<String> out) {
        if (e instanceof AggregateExpr a) {
            out.add(a.op().keyword());
            if (a.grouping().contains("__name__")) out.add("name-label");
        } else if (e instanceof BinaryExpr b) {
            out.add(b.op().symbol);
            if (b.returnBool()) out.add("bool");
            if (b.lhs().type() == ValueType.VECTOR && b.rhs().type() == ValueType.VECTOR) {
                out.add("vector-vector");
                if (b.op().isComparison()) out.add("comparison-vector-vector");
                if (!b.op().isComparison() && !b.op().isSetOperator()) out.add("arithmetic-vector-vector");
            }
            VectorMatching m = b.matching();
            if (m != null) {
                if (m.card() == VectorMatching.Cardinality.MANY_TO_ONE) out.add("group_left");
                if (m.card() == VectorMatching.Cardinality.ONE_TO_MANY) out.add("group_right");
                if (m.on()) out.add("on");
                else if (!m.labels().isEmpty()) out.add("ignoring");
                if (m.labels().contains("__name__") || m.include().contains("__name__")) out.add("name-label");
            }
        } else if (e instanceof Call c) {
            out.add(c.function());
            if (c.function().startsWith("label_")) {
                for (Expr arg : c.args()) if (arg instanceof StringLiteral s && s.value().equals("__name__")) out.add("name-label");
            }
        } else if (e instanceof MatrixSelector) {
            out.add("matrix");
        } else if (e instanceof SubqueryExpr s) {
            out.add("subquery");
            if (s.offsetMs() != 0) out.add("offset");
            if (s.at() != null) out.add("at");
        } else if (e instanceof VectorSelector vs) {
            out.add("selector");
            if (vs.offsetMs() != 0) out.add("offset");
            if (vs.at() != null) out.add("at");
            boolean fixed = false;
            for (Matcher m : vs.matchers()) if (m.name().equals("__name__") && m.type() == Matcher.Type.EQ) fixed = true;
            if (!fixed) out.add("name-regex");
        } else if (e instanceof NumberLiteral) {
            out.add("number");
        }
        for (Expr c : children(e)) collect(c, out);
    }
}
