package io.tsdb.server.api;

import io.tsdb.core.Matcher;
import io.tsdb.query.ast.AggregateExpr;
import io.tsdb.query.ast.BinaryExpr;
import io.tsdb.query.ast.Expr;
import io.tsdb.query.ast.MatrixSelector;
import io.tsdb.query.ast.NumberLiteral;
import io.tsdb.query.ast.ParenExpr;
import io.tsdb.query.ast.SubqueryExpr;
import io.tsdb.query.ast.UnaryExpr;
import io.tsdb.query.ast.ValueType;
import io.tsdb.query.ast.VectorMatching;
import io.tsdb.query.ast.VectorSelector;
import io.tsdb.query.parser.Printer;
import io.tsdb.query.parser.QueryParser;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Delta debugging over the AST: greedily replaces the expression by a smaller variant as long as the predicate
 * (the same kind of disagreement still shows) holds, until no variant does (a 1-minimal reproduction under these
 * edits) or the budget of predicate runs is spent. Variants, smallest first: a subtree replaced by one of its
 * children of the same type, or by a literal ({@code 1}); parentheses and unary minus unwrapped; a subquery over a
 * selector turned into a range selector; matchers, offsets, {@code @}, {@code bool}, grouping, matching and
 * group_left/group_right labels dropped one at a time; a name regex narrowed to one name; a range shortened.
 */
final class DiffShrinker {
    private DiffShrinker() {}

    record Result(Expr expr, int steps, int tries) {}

    static Result shrink(Expr start, Predicate<Expr> stillFails, int budget) {
        Expr cur = start;
        int steps = 0, tries = 0;
        Set<String> seen = new LinkedHashSet<>();
        seen.add(Printer.print(start));
        boolean progress = true;
        while (progress && tries < budget) {
            progress = false;
            List<Expr> vs = new ArrayList<>(variants(cur));
            int curSize = DiffAst.size(cur), curLen = Printer.print(cur).length();
            // Never larger; equal size and length is allowed (a shorter range), the seen set rules out cycles.
            vs.removeIf(v -> DiffAst.size(v) > curSize || (DiffAst.size(v) == curSize && Printer.print(v).length() > curLen));
            vs.sort(Comparator.comparingInt(DiffAst::size).thenComparingInt(v -> Printer.print(v).length()));
            for (Expr v : vs) {
                if (tries >= budget) break;
                String text = Printer.print(v);
                if (!seen.add(text) || !valid(text, start.type())) continue;
                tries++;
                if (stillFails.test(v)) {
                    cur = v;
                    steps++;
                    progress = true;
                    break;
                }
            }
        }
        return new Result(cur, steps, tries);
    }

    /** Parses again (the variant must be well-typed) and keeps queries of the original's kind. */
    private static boolean valid(String text, ValueType type) {
        try {
            Expr e = QueryParser.parse(text);
            return e.type() == ValueType.VECTOR || e.type() == ValueType.SCALAR || e.type() == type;
        } catch (RuntimeException ex) {
            return false;
        }
    }

    /** Every one-edit variant of e (anywhere in the tree). */
    static List<Expr> variants(Expr e) {
        List<Expr> out = new ArrayList<>(local(e));
        List<Expr> ch = DiffAst.children(e);
        for (int i = 0; i < ch.size(); i++) {
            for (Expr v : variants(ch.get(i))) {
                try {
                    out.add(DiffAst.withChild(e, i, v));
                } catch (RuntimeException ex) {
                    // a variant of a kind this position cannot hold
                }
            }
        }
        return out;
    }

    /** Edits of the node itself. */
    private static List<Expr> local(Expr e) {
        List<Expr> out = new ArrayList<>();
        ValueType t = e.type();
        // Replace by a child of the same type, or by what a range argument selects.
        for (Expr c : DiffAst.children(e)) {
            if (c.type() == t) out.add(c);
            if (t == ValueType.VECTOR && c instanceof MatrixSelector m) out.add(m.selector());
            if (t == ValueType.VECTOR && c instanceof SubqueryExpr s && s.expr().type() == ValueType.VECTOR) out.add(s.expr());
        }
        if (t == ValueType.SCALAR && !(e instanceof NumberLiteral n && n.value() == 1)) out.add(new NumberLiteral(1, 0));
        if (e instanceof ParenExpr p) out.add(p.expr());
        if (e instanceof UnaryExpr u) out.add(u.expr());
        if (e instanceof SubqueryExpr s) {
            if (s.expr() instanceof VectorSelector vs) out.add(new MatrixSelector(vs, s.rangeMs(), 0));
            if (s.offsetMs() != 0) out.add(new SubqueryExpr(s.expr(), s.rangeMs(), s.stepMs(), 0, s.at(), 0));
            if (s.at() != null) out.add(new SubqueryExpr(s.expr(), s.rangeMs(), s.stepMs(), s.offsetMs(), null, 0));
        }
        if (e instanceof MatrixSelector m && m.rangeMs() > 60_000) out.add(new MatrixSelector(m.selector(), 60_000, 0));
        if (e instanceof VectorSelector vs) out.addAll(selectorVariants(vs));
        if (e instanceof AggregateExpr a) {
            for (int i = 0; i < a.grouping().size(); i++) {
                List<String> g = new ArrayList<>(a.grouping());
                g.remove(i);
                out.add(new AggregateExpr(a.op(), a.expr(), a.param(), List.copyOf(g), a.without() && !g.isEmpty(), 0));
            }
        }
        if (e instanceof BinaryExpr b) {
            if (b.returnBool() && !(b.lhs().type() == ValueType.SCALAR && b.rhs().type() == ValueType.SCALAR)) {
                out.add(new BinaryExpr(b.op(), b.lhs(), b.rhs(), b.matching(), false, 0));
            }
            VectorMatching m = b.matching();
            if (m != null) {
                for (int i = 0; i < m.labels().size(); i++) {
                    List<String> l = new ArrayList<>(m.labels());
                    l.remove(i);
                    out.add(new BinaryExpr(b.op(), b.lhs(), b.rhs(), new VectorMatching(m.card(), m.on(), List.copyOf(l), m.include()), b.returnBool(), 0));
                }
                for (int i = 0; i < m.include().size(); i++) {
                    List<String> l = new ArrayList<>(m.include());
                    l.remove(i);
                    out.add(new BinaryExpr(b.op(), b.lhs(), b.rhs(), new VectorMatching(m.card(), m.on(), m.labels(), List.copyOf(l)), b.returnBool(), 0));
                }
                if (m.card() == VectorMatching.Cardinality.MANY_TO_ONE || m.card() == VectorMatching.Cardinality.ONE_TO_MANY) {
                    out.add(new BinaryExpr(b.op(), b.lhs(), b.rhs(), new VectorMatching(VectorMatching.Cardinality.ONE_TO_ONE, m.on(), m.labels(), List.of()), b.returnBool(), 0));
                }
                if (m.on() && m.labels().isEmpty() && m.card() != VectorMatching.Cardinality.MANY_TO_MANY) {
                    out.add(new BinaryExpr(b.op(), b.lhs(), b.rhs(), new VectorMatching(m.card(), false, List.of(), m.include()), b.returnBool(), 0));
                }
            }
        }
        return out;
    }

    private static List<Expr> selectorVariants(VectorSelector vs) {
        List<Expr> out = new ArrayList<>();
        for (int i = 0; i < vs.matchers().size(); i++) {
            Matcher m = vs.matchers().get(i);
            if (m.name().equals("__name__") && vs.name() != null) continue;
            List<Matcher> l = new ArrayList<>(vs.matchers());
            l.remove(i);
            if (m.name().equals("__name__") && m.type() == Matcher.Type.RE) {
                for (String alt : m.value().split("\\|")) {
                    List<Matcher> n = new ArrayList<>(l);
                    n.add(0, Matcher.eq("__name__", alt));
                    out.add(new VectorSelector(alt, List.copyOf(n), vs.offsetMs(), vs.at(), 0));
                }
                continue;
            }
            if (l.isEmpty()) continue;
            out.add(new VectorSelector(vs.name(), List.copyOf(l), vs.offsetMs(), vs.at(), 0));
        }
        if (vs.offsetMs() != 0) out.add(new VectorSelector(vs.name(), vs.matchers(), 0, vs.at(), 0));
        if (vs.at() != null) out.add(new VectorSelector(vs.name(), vs.matchers(), vs.offsetMs(), null, 0));
        return out;
    }
}
