package io.tsdb.query.parser;

import io.tsdb.core.Matcher;
import io.tsdb.query.ast.AggregateExpr;
import io.tsdb.query.ast.AtModifier;
import io.tsdb.query.ast.BinaryExpr;
import io.tsdb.query.ast.BinaryOp;
import io.tsdb.query.ast.Call;
import io.tsdb.query.ast.Expr;
import io.tsdb.query.ast.MatrixSelector;
import io.tsdb.query.ast.NumberLiteral;
import io.tsdb.query.ast.ParenExpr;
import io.tsdb.query.ast.StringLiteral;
import io.tsdb.query.ast.SubqueryExpr;
import io.tsdb.query.ast.UnaryExpr;
import io.tsdb.query.ast.VectorMatching;
import io.tsdb.query.ast.VectorSelector;

import java.math.BigDecimal;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Prints an {@link Expr} as canonical PromQL (the form {@code /api/v1/format_query} returns), following
 * Prometheus's printer: single spaces around binary operators, {@code sum by (a) (x)}, durations as
 * {@code 1h30m}, {@code @ 100.000}, strings with Go escapes, numbers without exponent. Selectors are
 * always printed in the standard {@code {...}} form with quoted values (so output is valid PromQL for
 * any Prometheus-compatible tool); matcher order is kept. Parentheses the tree needs but does not hold
 * as {@link ParenExpr} are added, so {@code QueryParser.parse(Printer.print(e))} equals {@code e} up to
 * positions.
 */
public final class Printer {
    private Printer() {}

    private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
    private static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_:]*");

    public static String print(Expr e) {
        StringBuilder b = new StringBuilder();
        print(e, b);
        return b.toString();
    }

    private static void print(Expr e, StringBuilder b) {
        if (e instanceof NumberLiteral n) {
            b.append(number(n.value()));
        } else if (e instanceof StringLiteral s) {
            b.append(Literals.quote(s.value()));
        } else if (e instanceof ParenExpr p) {
            b.append('(');
            print(p.expr(), b);
            b.append(')');
        } else if (e instanceof VectorSelector vs) {
            selector(vs, b);
            atOffset(vs.at(), vs.offsetMs(), b);
        } else if (e instanceof MatrixSelector m) {
            selector(m.selector(), b);
            b.append('[').append(duration(m.rangeMs())).append(']');
            atOffset(m.selector().at(), m.selector().offsetMs(), b);
        } else if (e instanceof SubqueryExpr s) {
            operand(s.expr(), isPrimary(s.expr()), b);
            b.append('[').append(duration(s.rangeMs())).append(':');
            if (s.stepMs() != 0) b.append(duration(s.stepMs()));
            b.append(']');
            atOffset(s.at(), s.offsetMs(), b);
        } else if (e instanceof UnaryExpr u) {
            b.append(u.negate() ? '-' : '+');
            boolean bare = isPrimary(u.expr()) || u.expr() instanceof UnaryExpr || (u.expr() instanceof BinaryExpr be && be.op() == BinaryOp.POW);
            operand(u.expr(), bare, b);
        } else if (e instanceof BinaryExpr be) {
            binary(be, b);
        } else if (e instanceof AggregateExpr a) {
            b.append(a.op().keyword());
            if (a.without()) {
                b.append(" without (");
                labels(a.grouping(), b);
                b.append(") ");
            } else if (!a.grouping().isEmpty()) {
                b.append(" by (");
                labels(a.grouping(), b);
                b.append(") ");
            }
            b.append('(');
            if (a.param() != null) {
                print(a.param(), b);
                b.append(", ");
            }
            print(a.expr(), b);
            b.append(')');
        } else if (e instanceof Call c) {
            b.append(c.function()).append('(');
            for (int i = 0; i < c.args().size(); i++) {
                if (i > 0) b.append(", ");
                print(c.args().get(i), b);
            }
            b.append(')');
        } else {
            throw new IllegalArgumentException("unknown node " + e);
        }
    }

    /** Nodes that never need parentheses as an operand. */
    private static boolean isPrimary(Expr e) {
        return e instanceof VectorSelector || e instanceof MatrixSelector || e instanceof SubqueryExpr
                || e instanceof ParenExpr || e instanceof Call || e instanceof AggregateExpr || e instanceof StringLiteral
                || (e instanceof NumberLiteral n && !(n.value() < 0) && !isNegativeZero(n.value()));
    }

    private static boolean isNegativeZero(double v) { return v == 0 && 1 / v < 0; }

    private static void operand(Expr e, boolean bare, StringBuilder b) {
        if (!bare) b.append('(');
        print(e, b);
        if (!bare) b.append(')');
    }

    private static int precedence(BinaryOp op) {
        return switch (op) {
            case OR -> 1;
            case AND, UNLESS -> 2;
            case EQL, NEQ, GTR, LSS, GTE, LTE -> 3;
            case ADD, SUB -> 4;
            case MUL, DIV, MOD, ATAN2, TRIM_UPPER, TRIM_LOWER -> 5;
            case POW -> 7;
        };
    }

    /** Unary +/- binds between * and ^. */
    private static final int UNARY = 6;

    private static int precedence(Expr e) {
        if (e instanceof BinaryExpr be) return precedence(be.op());
        if (e instanceof UnaryExpr) return UNARY;
        if (e instanceof NumberLiteral n && (n.value() < 0 || isNegativeZero(n.value()))) return UNARY;
        return 100;
    }

    private static void binary(BinaryExpr be, StringBuilder b) {
        int p = precedence(be.op());
        boolean rightAssoc = be.op() == BinaryOp.POW;
        int lp = precedence(be.lhs());
        int rp = precedence(be.rhs());
        boolean lhsBare = rightAssoc ? lp > p : lp >= p;
        boolean rhsBare = rightAssoc ? rp >= p || rp == UNARY : rp > p || be.rhs() instanceof UnaryExpr || rp == UNARY;
        operand(be.lhs(), lhsBare, b);
        b.append(' ').append(be.op().symbol);
        if (be.returnBool()) b.append(" bool");
        VectorMatching vm = be.matching();
        if (vm != null) {
            boolean group = vm.card() == VectorMatching.Cardinality.MANY_TO_ONE || vm.card() == VectorMatching.Cardinality.ONE_TO_MANY;
            if (!vm.labels().isEmpty() || vm.on() || group) {
                b.append(vm.on() ? " on (" : " ignoring (");
                labels(vm.labels(), b);
                b.append(')');
            }
            if (group) {
                b.append(vm.card() == VectorMatching.Cardinality.MANY_TO_ONE ? " group_left (" : " group_right (");
                labels(vm.include(), b);
                b.append(')');
            }
        }
        b.append(' ');
        operand(be.rhs(), rhsBare, b);
    }

    private static void labels(List<String> labels, StringBuilder b) {
        for (int i = 0; i < labels.size(); i++) {
            if (i > 0) b.append(", ");
            b.append(labelName(labels.get(i)));
        }
    }

    private static String labelName(String name) {
        return LABEL_NAME.matcher(name).matches() ? name : Literals.quote(name);
    }

    private static void selector(VectorSelector vs, StringBuilder b) {
        String name = vs.name();
        boolean printName = name != null && METRIC_NAME.matcher(name).matches();
        boolean skippedName = false;
        StringBuilder m = new StringBuilder();
        for (Matcher matcher : vs.matchers()) {
            if (printName && !skippedName && matcher.name().equals("__name__") && matcher.type() == Matcher.Type.EQ
                    && matcher.value().equals(name)) {
                skippedName = true;
                continue;
            }
            if (m.length() > 0) m.append(", ");
            m.append(labelName(matcher.name())).append(matcher.type().symbol).append(Literals.quote(matcher.value()));
        }
        if (printName) b.append(name);
        if (m.length() > 0 || !printName) b.append('{').append(m).append('}');
    }

    private static void atOffset(AtModifier at, long offsetMs, StringBuilder b) {
        if (at != null) {
            switch (at.kind()) {
                case START -> b.append(" @ start()");
                case END -> b.append(" @ end()");
                case TIMESTAMP -> b.append(" @ ").append(String.format(Locale.ROOT, "%.3f", at.timestampMs() / 1000.0));
            }
        }
        if (offsetMs > 0) b.append(" offset ").append(duration(offsetMs));
        else if (offsetMs < 0) b.append(" offset -").append(duration(-offsetMs));
    }

    /** A number as Go's {@code strconv.FormatFloat(v, 'f', -1, 64)}: no exponent; +Inf, -Inf, NaN. */
    public static String number(double v) {
        if (Double.isNaN(v)) return "NaN";
        if (v == Double.POSITIVE_INFINITY) return "+Inf";
        if (v == Double.NEGATIVE_INFINITY) return "-Inf";
        if (isNegativeZero(v)) return "-0";
        String s = new BigDecimal(Double.toString(v)).stripTrailingZeros().toPlainString();
        return s;
    }

    /** A duration in ms as Prometheus prints it: 1y2w3d4h5m6s7ms, 0s for zero. */
    public static String duration(long ms) {
        if (ms == 0) return "0s";
        StringBuilder b = new StringBuilder();
        if (ms < 0) {
            b.append('-');
            ms = -ms;
        }
        long[] units = {365L * 24 * 3600 * 1000, 7L * 24 * 3600 * 1000, 24L * 3600 * 1000, 3600L * 1000, 60L * 1000, 1000, 1};
        String[] names = {"y", "w", "d", "h", "m", "s", "ms"};
        for (int i = 0; i < units.length; i++) {
            long q = ms / units[i];
            if (q > 0) {
                b.append(q).append(names[i]);
                ms -= q * units[i];
            }
        }
        return b.toString();
    }
}
