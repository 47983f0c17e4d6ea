package io.tsdb.query.parser;

import io.tsdb.core.Matcher;
import io.tsdb.grammar.Query;
import io.tsdb.grammar.QueryBaseVisitor;
import io.tsdb.query.ast.AggregateExpr;
import io.tsdb.query.ast.AggregateOp;
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
import io.tsdb.query.ast.ValueType;
import io.tsdb.query.ast.VectorMatching;
import io.tsdb.query.ast.VectorSelector;
import io.tsdb.query.engine.eval.FunctionDef;
import io.tsdb.query.engine.eval.FunctionRegistry;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.Token;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Builds the {@link Expr} AST from the generated parse tree, converting literals and checking every
 * rule Prometheus checks at parse time (types, modifier placement, selector validity), bottom-up.
 */
final class AstBuilder extends QueryBaseVisitor<Expr> {
    private final String query;
    private final DurationExprs durations;

    AstBuilder(String query, QueryParser.QueryRange range) {
        this.query = query;
        this.durations = new DurationExprs(query, range);
    }

    private ParseException error(int offset, String detail) { return SyntaxErrors.at(query, offset, detail); }

    private static int pos(ParserRuleContext ctx) { return ctx.getStart().getStartIndex(); }

    private static int pos(Token t) { return t.getStartIndex(); }

    @Override
    public Expr visitQuery(Query.QueryContext ctx) { return visit(ctx.expr()); }

    // ------------------------------------------------------------------ literals

    @Override
    public Expr visitNumberExpr(Query.NumberExprContext ctx) {
        Token t = ctx.getStart();
        return new NumberLiteral(number(t), pos(t));
    }

    /** A NUMBER (seconds where a duration is meant) or DURATION token as a float. Durations become seconds. */
    private double number(Token t) {
        try {
            if (t.getType() == Query.DURATION) return Literals.parseDurationMs(t.getText()) / 1000.0;
            double v = Literals.parseNumber(t.getText());
            if (Double.isInfinite(v) && !t.getText().toLowerCase(Locale.ROOT).contains("inf")) {
                throw error(pos(t), "error parsing number: value out of range: \"" + abbreviate(t.getText()) + "\"");
            }
            return v;
        } catch (IllegalArgumentException e) {
            throw error(pos(t), e.getMessage());
        }
    }

    /** A duration in ms from a DURATION token or a NUMBER of seconds. */
    private long durationMs(Token t) {
        if (t.getType() == Query.DURATION) {
            try {
                return Literals.parseDurationMs(t.getText());
            } catch (IllegalArgumentException e) {
                throw error(pos(t), e.getMessage());
            }
        }
        double seconds = number(t);
        // Prometheus keeps durations as int64 nanoseconds: about 292 years at most.
        if (Double.isNaN(seconds) || Double.isInfinite(seconds) || Math.abs(seconds) >= 9.223372036854775807e9) {
            throw error(pos(t), "duration out of range");
        }
        return Literals.secondsToMs(seconds);
    }

    private long positiveDurationMs(Query.DurationExprContext d) {
        return durationMs(d, false);
    }

    /** A range, step or offset: a single literal token, or a duration expression evaluated in seconds. */
    private long durationMs(Query.DurationExprContext d, boolean allowNegative) {
        Token literal = DurationExprs.singleLiteral(d);
        if (literal != null) {
            long ms = durationMs(literal);
            if (ms <= 0 && !allowNegative) throw error(pos(d), "duration must be greater than 0");
            return ms;
        }
        return durations.toMs(durations.seconds(d, this::number), pos(d), allowNegative);
    }

    @Override
    public Expr visitStringExpr(Query.StringExprContext ctx) {
        return new StringLiteral(unquote(ctx.STRING().getSymbol()), pos(ctx));
    }

    private String unquote(Token t) {
        try {
            return Literals.unquote(t.getText());
        } catch (IllegalArgumentException e) {
            throw error(pos(t), "error unquoting string " + t.getText() + ": " + e.getMessage());
        }
    }

    @Override
    public Expr visitParenExpr(Query.ParenExprContext ctx) {
        return new ParenExpr(visit(ctx.expr()), pos(ctx));
    }

    // ------------------------------------------------------------------ selectors

    @Override
    public Expr visitSelectorExpr(Query.SelectorExprContext ctx) {
        Query.VectorSelectorContext vs = ctx.vectorSelector();
        String name = vs.metricName() == null ? null : vs.metricName().getText();
        List<Matcher> matchers = new ArrayList<>();
        if (name != null) matchers.add(Matcher.eq("__name__", name));
        if (vs.matcherList() != null) {
            for (Query.MatcherContext m : vs.matcherList().matcher()) {
                Matcher matcher = matcher(m);
                if (name != null && matcher.name().equals("__name__")) {
                    throw error(pos(ctx), "metric name must not be set twice: " + Literals.quote(name) + " or "
                            + Literals.quote(matcher.value()));
                }
                matchers.add(matcher);
            }
        }
        if (name == null && !isInfoLabelSelector(ctx)) {
            boolean nonEmpty = false;
            for (Matcher m : matchers) {
                if (!m.matchesEmpty()) {
                    nonEmpty = true;
                    break;
                }
            }
            if (!nonEmpty) throw error(pos(ctx), "vector selector must contain at least one non-empty matcher");
        }
        return new VectorSelector(name, List.copyOf(matchers), 0, null, pos(ctx));
    }

    /** The second argument of info() is a label selector that may match the empty string. */
    private static boolean isInfoLabelSelector(Query.SelectorExprContext ctx) {
        if (!(ctx.getParent() instanceof Query.FunctionArgsContext args)) return false;
        if (!(args.getParent() instanceof Query.FunctionCallContext call)) return false;
        return call.IDENTIFIER().getText().equals("info") && args.expr().indexOf(ctx) == 1;
    }

    private Matcher matcher(Query.MatcherContext m) {
        String label;
        Matcher.Type type;
        String value;
        if (m.matchOp() == null) {
            // {"metric.name"}: a quoted metric name alone (Prometheus 3 UTF-8 names).
            label = "__name__";
            type = Matcher.Type.EQ;
            value = unquote(m.M_STRING().getSymbol());
        } else {
            Token l = m.getStart();
            label = l.getType() == Query.M_STRING ? unquote(l) : l.getText();
            if (label.isEmpty()) throw error(pos(l), "invalid label name \"\"");
            type = switch (m.matchOp().getStart().getType()) {
                case Query.M_EQ -> Matcher.Type.EQ;
                case Query.M_NEQ -> Matcher.Type.NEQ;
                case Query.M_RE -> Matcher.Type.RE;
                default -> Matcher.Type.NRE;
            };
            Token v = m.labelValue().getStart();
            value = v.getType() == Query.M_STRING ? unquote(v) : v.getText();
        }
        try {
            return Matcher.of(type, label, value);
        } catch (IllegalArgumentException e) {
            throw error(pos(m), e.getMessage());
        }
    }

    @Override
    public Expr visitMatrixExpr(Query.MatrixExprContext ctx) {
        Expr inner = visit(ctx.expr());
        int bracket = pos(ctx.LEFT_BRACKET().getSymbol());
        if (!(inner instanceof VectorSelector vs)) throw error(bracket, "ranges only allowed for vector selectors");
        if (vs.offsetMs() != 0) throw error(bracket, "no offset modifiers allowed before range");
        if (vs.at() != null) throw error(bracket, "no @ modifiers allowed before range");
        return new MatrixSelector(vs, positiveDurationMs(ctx.rangeDur), vs.pos());
    }

    @Override
    public Expr visitSubqueryExpr(Query.SubqueryExprContext ctx) {
        Expr inner = visit(ctx.expr());
        long range = positiveDurationMs(ctx.rangeDur);
        long step = ctx.stepDur == null ? 0 : positiveDurationMs(ctx.stepDur);
        if (inner.type() != ValueType.VECTOR) {
            throw error(inner.pos(), "subquery is only allowed on instant vector, got " + inner.type().resultType() + " instead");
        }
        return new SubqueryExpr(inner, range, step, 0, null, inner.pos());
    }

    @Override
    public Expr visitOffsetExpr(Query.OffsetExprContext ctx) {
        Expr inner = visit(ctx.expr());
        Query.OffsetValueContext v = ctx.offsetValue();
        long ms;
        if (v.durationExpr() != null) {
            ms = durations.toMs(durations.seconds(v.durationExpr(), this::number), pos(v), true);
        } else if (v.durationCall() != null) {
            ms = durations.toMs(durations.call(v.durationCall(), this::number), pos(v), true);
        } else {
            ms = durationMs(v.getStop());
        }
        if (v.sign != null && v.sign.getType() == Query.SUB) ms = -ms;
        int at = pos(ctx.OFFSET().getSymbol());
        String placement = "offset modifier must be preceded by an instant vector selector or range vector selector or a subquery";
        String twice = "offset may not be set multiple times";
        if (inner instanceof VectorSelector vs) {
            if (vs.offsetMs() != 0) throw error(at, twice);
            return new VectorSelector(vs.name(), vs.matchers(), ms, vs.at(), vs.pos());
        }
        if (inner instanceof MatrixSelector m) {
            VectorSelector vs = m.selector();
            if (vs.offsetMs() != 0) throw error(at, twice);
            return new MatrixSelector(new VectorSelector(vs.name(), vs.matchers(), ms, vs.at(), vs.pos()), m.rangeMs(), m.pos());
        }
        if (inner instanceof SubqueryExpr s) {
            if (s.offsetMs() != 0) throw error(at, twice);
            return new SubqueryExpr(s.expr(), s.rangeMs(), s.stepMs(), ms, s.at(), s.pos());
        }
        throw error(at, placement);
    }

    @Override
    public Expr visitAtExpr(Query.AtExprContext ctx) {
        Expr inner = visit(ctx.expr());
        AtModifier modifier = atModifier(ctx.atValue());
        int at = pos(ctx.AT().getSymbol());
        String twice = "@ <timestamp> may not be set multiple times";
        if (inner instanceof VectorSelector vs) {
            if (vs.at() != null) throw error(at, twice);
            return new VectorSelector(vs.name(), vs.matchers(), vs.offsetMs(), modifier, vs.pos());
        }
        if (inner instanceof MatrixSelector m) {
            VectorSelector vs = m.selector();
            if (vs.at() != null) throw error(at, twice);
            return new MatrixSelector(new VectorSelector(vs.name(), vs.matchers(), vs.offsetMs(), modifier, vs.pos()), m.rangeMs(), m.pos());
        }
        if (inner instanceof SubqueryExpr s) {
            if (s.at() != null) throw error(at, twice);
            return new SubqueryExpr(s.expr(), s.rangeMs(), s.stepMs(), s.offsetMs(), modifier, s.pos());
        }
        throw error(at, "@ modifier must be preceded by an instant vector selector or range vector selector or a subquery");
    }

    private AtModifier atModifier(Query.AtValueContext v) {
        if (v.IDENTIFIER() != null) {
            String fn = v.IDENTIFIER().getText().toLowerCase(Locale.ROOT);
            if (fn.equals("start")) return AtModifier.START;
            if (fn.equals("end")) return AtModifier.END;
            throw error(pos(v), "unexpected identifier " + Literals.quote(v.IDENTIFIER().getText())
                    + " in @, expected a timestamp (Unix seconds), start() or end()");
        }
        Token t = v.getStart();
        double seconds = number(v.getStop());
        if (v.sign != null && v.sign.getType() == Query.SUB) seconds = -seconds;
        if (Double.isNaN(seconds) || Double.isInfinite(seconds) || seconds >= 9.223372036854775807E18 || seconds <= -9.223372036854775807E18) {
            throw error(pos(t), "timestamp out of bounds for @ modifier: " + goFloat(seconds));
        }
        double ms = Math.rint(seconds * 1000.0);
        if (ms >= 9.223372036854775807E18 || ms <= -9.223372036854775807E18) {
            throw error(pos(t), "timestamp out of bounds for @ modifier: " + goFloat(seconds));
        }
        return AtModifier.at((long) ms);
    }

    private static String abbreviate(String s) { return s.length() > 40 ? s.substring(0, 37) + "..." : s; }

    /** Go's %f formatting, used in Prometheus's message. */
    private static String goFloat(double v) {
        if (Double.isNaN(v)) return "NaN";
        if (Double.isInfinite(v)) return v > 0 ? "+Inf" : "-Inf";
        return String.format(Locale.ROOT, "%f", v);
    }

    // ------------------------------------------------------------------ operators

    @Override
    public Expr visitUnaryExpr(Query.UnaryExprContext ctx) {
        Expr inner = visit(ctx.expr());
        boolean negate = ctx.op.getType() == Query.SUB;
        if (inner instanceof NumberLiteral n) {
            return new NumberLiteral(negate ? -n.value() : n.value(), pos(ctx));
        }
        if (inner.type() != ValueType.SCALAR && inner.type() != ValueType.VECTOR) {
            throw error(pos(ctx), "unary expression only allowed on expressions of type scalar or instant vector, got \""
                    + inner.type().description + "\"");
        }
        return new UnaryExpr(negate, inner, pos(ctx));
    }

    @Override
    public Expr visitBinaryExpr(Query.BinaryExprContext ctx) {
        Expr lhs = visit(ctx.expr(0));
        Expr rhs = visit(ctx.expr(1));
        BinaryOp op = binaryOp(ctx.op);
        int opPos = pos(ctx.op);
        Query.BinModifiersContext mods = ctx.binModifiers();
        boolean returnBool = mods.BOOL() != null;
        boolean explicitMatching = mods.matchKind != null;
        boolean on = explicitMatching && mods.matchKind.getType() == Query.ON;
        List<String> labels = explicitMatching ? labels(mods.on) : List.of();
        VectorMatching.Cardinality card = VectorMatching.Cardinality.ONE_TO_ONE;
        List<String> include = List.of();
        if (mods.groupKind != null) {
            card = mods.groupKind.getType() == Query.GROUP_LEFT ? VectorMatching.Cardinality.MANY_TO_ONE
                    : VectorMatching.Cardinality.ONE_TO_MANY;
            include = mods.include == null ? List.of() : labels(mods.include);
        }
        if (returnBool && !op.isComparison()) {
            throw error(opPos, "bool modifier can only be used on comparison operators");
        }
        ValueType lt = lhs.type();
        ValueType rt = rhs.type();
        if (op.isComparison() && !returnBool && lt == ValueType.SCALAR && rt == ValueType.SCALAR) {
            throw error(opPos, "comparisons between scalars must use BOOL modifier");
        }
        if (on) {
            for (String l : labels) {
                if (include.contains(l)) throw error(opPos, "label " + Literals.quote(l) + " must not occur in ON and GROUP clause at once");
            }
        }
        if (lt != ValueType.SCALAR && lt != ValueType.VECTOR) {
            throw error(lhs.pos(), "binary expression must contain only scalar and instant vector types");
        }
        if (rt != ValueType.SCALAR && rt != ValueType.VECTOR) {
            throw error(rhs.pos(), "binary expression must contain only scalar and instant vector types");
        }
        VectorMatching matching;
        if (lt != ValueType.VECTOR || rt != ValueType.VECTOR) {
            if (!labels.isEmpty()) throw error(lhs.pos(), "vector matching only allowed between instant vectors");
            matching = null;
        } else if (op.isSetOperator()) {
            if (card != VectorMatching.Cardinality.ONE_TO_ONE) {
                throw error(lhs.pos(), "no grouping allowed for " + Literals.quote(op.symbol) + " operation");
            }
            matching = new VectorMatching(VectorMatching.Cardinality.MANY_TO_MANY, on, labels, include);
        } else {
            matching = new VectorMatching(card, on, labels, include);
        }
        if ((lt == ValueType.SCALAR || rt == ValueType.SCALAR) && op.isSetOperator()) {
            throw error(lhs.pos(), "set operator " + Literals.quote(op.symbol) + " not allowed in binary scalar expression");
        }
        return new BinaryExpr(op, lhs, rhs, matching, returnBool, lhs.pos());
    }

    private static BinaryOp binaryOp(Token t) {
        return switch (t.getType()) {
            case Query.ADD -> BinaryOp.ADD;
            case Query.SUB -> BinaryOp.SUB;
            case Query.MUL -> BinaryOp.MUL;
            case Query.DIV -> BinaryOp.DIV;
            case Query.MOD -> BinaryOp.MOD;
            case Query.POW -> BinaryOp.POW;
            case Query.ATAN2 -> BinaryOp.ATAN2;
            case Query.TRIM_UPPER -> BinaryOp.TRIM_UPPER;
            case Query.TRIM_LOWER -> BinaryOp.TRIM_LOWER;
            case Query.EQLC -> BinaryOp.EQL;
            case Query.NEQ -> BinaryOp.NEQ;
            case Query.GTR -> BinaryOp.GTR;
            case Query.LSS -> BinaryOp.LSS;
            case Query.GTE -> BinaryOp.GTE;
            case Query.LTE -> BinaryOp.LTE;
            case Query.AND -> BinaryOp.AND;
            case Query.OR -> BinaryOp.OR;
            case Query.UNLESS -> BinaryOp.UNLESS;
            default -> throw new IllegalStateException("not a binary operator: " + t.getText());
        };
    }

    private List<String> labels(Query.GroupingLabelsContext g) {
        List<String> out = new ArrayList<>();
        for (Query.LabelNameContext l : g.labelName()) {
            String name = l.STRING() != null ? unquote(l.STRING().getSymbol()) : l.getText();
            if (name.isEmpty()) throw error(pos(l), "invalid label name for grouping: \"\"");
            out.add(name);
        }
        return List.copyOf(out);
    }

    // ------------------------------------------------------------------ aggregations and calls

    @Override
    public Expr visitAggregateExpr(Query.AggregateExprContext ctx) {
        Query.AggregationContext a = ctx.aggregation();
        AggregateOp op = AggregateOp.valueOf(a.aggregateOp().getText().toUpperCase(Locale.ROOT));
        List<Expr> args = args(a.functionArgs());
        boolean without = false;
        List<String> grouping = List.of();
        if (a.grouping() != null) {
            without = a.grouping().WITHOUT() != null;
            grouping = labels(a.grouping().groupingLabels());
        }
        int p = pos(ctx);
        if (args.isEmpty()) throw error(p, "no arguments for aggregate expression provided");
        int desired = op.hasParam() ? 2 : 1;
        if (args.size() != desired) {
            throw error(p, "wrong number of arguments for aggregate expression provided, expected " + desired + ", got " + args.size());
        }
        Expr param = op.hasParam() ? args.get(0) : null;
        Expr expr = args.get(desired - 1);
        if (expr.type() != ValueType.VECTOR) {
            throw error(expr.pos(), "expected type instant vector in aggregation expression, got " + expr.type().description);
        }
        if (param != null) {
            ValueType want = op == AggregateOp.COUNT_VALUES ? ValueType.STRING : ValueType.SCALAR;
            if (param.type() != want) {
                throw error(param.pos(), "expected type " + want.description + " in aggregation parameter, got " + param.type().description);
            }
        }
        return new AggregateExpr(op, expr, param, grouping, without, p);
    }

    private List<Expr> args(Query.FunctionArgsContext f) {
        List<Expr> out = new ArrayList<>();
        for (Query.ExprContext e : f.expr()) out.add(visit(e));
        return out;
    }

    @Override
    public Expr visitCallExpr(Query.CallExprContext ctx) {
        Query.FunctionCallContext c = ctx.functionCall();
        String name = c.IDENTIFIER().getText();
        int p = pos(ctx);
        FunctionDef fn = FunctionRegistry.lookup(name);
        if (fn == null) throw error(p, "unknown function with name " + Literals.quote(name));
        List<Expr> args = args(c.functionArgs());
        int n = args.size();
        if (fn.variadic() == 0) {
            if (n != fn.params().size()) {
                throw error(p, "expected " + fn.params().size() + " argument(s) in call to " + Literals.quote(name) + ", got " + n);
            }
        } else if (n < fn.minArgs()) {
            throw error(p, "expected at least " + fn.minArgs() + " argument(s) in call to " + Literals.quote(name) + ", got " + n);
        } else if (n > fn.maxArgs()) {
            throw error(p, "expected at most " + fn.maxArgs() + " argument(s) in call to " + Literals.quote(name) + ", got " + n);
        }
        if (fn.argCheck() != null) {
            FunctionDef.ArgError bad = fn.argCheck().check(args);
            if (bad != null) throw error(bad.pos() < 0 ? p : bad.pos(), bad.message());
        }
        for (int i = 0; i < n; i++) {
            ValueType want = fn.argType(i);
            Expr arg = args.get(i);
            if (arg.type() != want) {
                throw error(arg.pos(), "expected type " + want.description + " in call to function " + Literals.quote(name)
                        + ", got " + arg.type().description);
            }
        }
        return new Call(fn, List.copyOf(args), p);
    }
}
