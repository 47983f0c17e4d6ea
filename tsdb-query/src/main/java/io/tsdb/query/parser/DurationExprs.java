package io.tsdb.query.parser;

import io.tsdb.grammar.Query;
import org.antlr.v4.runtime.Token;

import java.util.List;
import java.util.Locale;

/**
 * Evaluates duration expressions (Prometheus 3 experimental: {@code x[5m+1m]}, {@code offset (1h/2)},
 * {@code x[step()]}, {@code min_of(a, b)}) in seconds, as Prometheus does before a query runs.
 * {@code step()} and {@code range()} need the query's step and range; without them (a plain
 * {@link QueryParser#parse(String)}) they are reported as errors.
 */
final class DurationExprs {
    private final String query;
    private final QueryParser.QueryRange range;

    DurationExprs(String query, QueryParser.QueryRange range) {
        this.query = query;
        this.range = range;
    }

    private ParseException error(int offset, String detail) { return SyntaxErrors.at(query, offset, detail); }

    /** Whether the expression is a single literal token (the common, non-experimental case). */
    static Token singleLiteral(Query.DurationExprContext d) {
        return d instanceof Query.DurLiteralContext ? d.getStart() : null;
    }

    double seconds(Query.DurationExprContext d, java.util.function.ToDoubleFunction<Token> literal) {
        if (d instanceof Query.DurLiteralContext) return literal.applyAsDouble(d.getStart());
        if (d instanceof Query.DurParenContext p) return seconds(p.durationExpr(), literal);
        if (d instanceof Query.DurUnaryContext u) {
            double v = seconds(u.durationExpr(), literal);
            return u.op.getType() == Query.SUB ? -v : v;
        }
        if (d instanceof Query.DurCallContext c) return call(c.durationCall(), literal);
        Query.DurBinaryContext b = (Query.DurBinaryContext) d;
        double l = seconds(b.durationExpr(0), literal);
        double r = seconds(b.durationExpr(1), literal);
        return switch (b.op.getType()) {
            case Query.ADD -> l + r;
            case Query.SUB -> l - r;
            case Query.MUL -> l * r;
            case Query.DIV -> {
                if (r == 0) throw error(b.getStart().getStartIndex(), "division by zero");
                yield l / r;
            }
            case Query.MOD -> {
                if (r == 0) throw error(b.getStart().getStartIndex(), "modulo by zero");
                yield l % r; // Java's % on doubles is Go's math.Mod (sign of the dividend)
            }
            default -> Math.pow(l, r);
        };
    }

    double call(Query.DurationCallContext c, java.util.function.ToDoubleFunction<Token> literal) {
        String name = c.IDENTIFIER().getText().toLowerCase(Locale.ROOT);
        List<Query.DurationExprContext> args = c.durationExpr();
        int pos = c.getStart().getStartIndex();
        switch (name) {
            case "step", "range" -> {
                if (!args.isEmpty()) throw error(pos, "expected 0 argument(s) in call to \"" + name + "\", got " + args.size());
                if (range == null) {
                    throw error(pos, name + "() in a duration is only known when the query runs; "
                            + "parse with QueryParser.parse(query, queryRange)");
                }
                return (name.equals("step") ? range.stepMs() : range.rangeMs()) / 1000.0;
            }
            case "min_of", "max_of" -> {
                if (args.size() != 2) throw error(pos, "expected 2 argument(s) in call to \"" + name + "\", got " + args.size());
                double a = seconds(args.get(0), literal);
                double b = seconds(args.get(1), literal);
                return name.equals("min_of") ? Math.min(a, b) : Math.max(a, b);
            }
            default -> throw error(pos, "unexpected function \"" + c.IDENTIFIER().getText()
                    + "\" in duration expression, expected step(), range(), min_of() or max_of()");
        }
    }

    /** Seconds to ms as Prometheus converts an evaluated duration expression (truncating to ms). */
    long toMs(double seconds, int pos, boolean allowNegative) {
        if (Double.isNaN(seconds) || Double.isInfinite(seconds)) throw error(pos, "duration is NaN or infinite");
        if (seconds <= 0 && !allowNegative) throw error(pos, "duration must be greater than 0");
        if (Math.abs(seconds) >= 9.223372036854775807e9) throw error(pos, "duration out of range");
        return (long) (seconds * 1000);
    }
}
