package io.tsdb.query.engine.eval;

import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.query.ast.AggregateExpr;
import io.tsdb.query.ast.AtModifier;
import io.tsdb.query.ast.BinaryExpr;
import io.tsdb.query.ast.Call;
import io.tsdb.query.ast.Expr;
import io.tsdb.query.ast.MatrixSelector;
import io.tsdb.query.ast.ParenExpr;
import io.tsdb.query.ast.SubqueryExpr;
import io.tsdb.query.ast.UnaryExpr;
import io.tsdb.query.ast.VectorSelector;
import io.tsdb.query.engine.QueryException;

import java.util.ArrayList;
import java.util.List;

/**
 * Estimates a query's cost before it runs: for every selector, the time range it will read, the exact
 * number of series from the label index and the storage's sample estimate for that range. Refuses the
 * query when a limit would be exceeded, naming the responsible selector and the estimated size.
 */
public final class CostEstimator {
    private CostEstimator() {}

    /** One selector's estimated footprint. */
    public record SelectorCost(VectorSelector source, long mint, long maxt, long series, long samples) {
        /** The selector as PromQL text (written only when asked: most queries are not refused). */
        public String selector() { return describe(source); }
    }

    public static List<SelectorCost> estimate(EvalContext cx, Expr e) {
        return estimate(cx, e, true);
    }

    /** With {@code countSeries} false the series counts are left at -1 (one pass over the selection less). */
    private static List<SelectorCost> estimate(EvalContext cx, Expr e, boolean countSeries) {
        List<SelectorCost> out = new ArrayList<>();
        walk(cx, e, cx.queryStart, cx.queryEnd, countSeries, out);
        return out;
    }

    public static void check(EvalContext cx, Expr e, long maxSeries, long maxSamples) {
        if (maxSeries <= 0 && maxSamples <= 0) return;
        // Without a series limit the series counts only serve the message of a refusal: they are counted then.
        List<SelectorCost> costs = estimate(cx, e, maxSeries > 0);
        long totalSeries = 0, totalSamples = 0;
        SelectorCost bySeries = null, bySamples = null;
        for (SelectorCost c : costs) {
            totalSeries += c.series;
            totalSamples += c.samples;
            if (bySeries == null || c.series > bySeries.series) bySeries = c;
            if (bySamples == null || c.samples > bySamples.samples) bySamples = c;
        }
        if (maxSeries > 0 && totalSeries > maxSeries) {
            throw new QueryException(QueryException.Kind.EXECUTION, "query would select " + totalSeries
                    + " series, over the limit of " + maxSeries + " (query.max-series); selector " + bySeries.selector()
                    + " alone matches " + bySeries.series + " series");
        }
        if (maxSamples > 0 && totalSamples > maxSamples) {
            if (bySamples.series < 0) bySamples = estimate(cx, e, true).get(costs.indexOf(bySamples));
            throw new QueryException(QueryException.Kind.EXECUTION, "query would load about " + totalSamples
                    + " samples, over the limit of " + maxSamples + " (query.max-samples); selector " + bySamples.selector()
                    + " reads about " + bySamples.samples + " samples from " + bySamples.series + " series");
        }
    }

    private static long at(EvalContext cx, AtModifier a) {
        return switch (a.kind()) {
            case TIMESTAMP -> a.timestampMs();
            case START -> cx.queryStart;
            case END -> cx.queryEnd;
        };
    }

    private static void walk(EvalContext cx, Expr e, long mint, long maxt, boolean countSeries, List<SelectorCost> out) {
        if (e instanceof ParenExpr p) {
            walk(cx, p.expr(), mint, maxt, countSeries, out);
        } else if (e instanceof UnaryExpr u) {
            walk(cx, u.expr(), mint, maxt, countSeries, out);
        } else if (e instanceof BinaryExpr b) {
            walk(cx, b.lhs(), mint, maxt, countSeries, out);
            walk(cx, b.rhs(), mint, maxt, countSeries, out);
        } else if (e instanceof AggregateExpr a) {
            if (a.param() != null) walk(cx, a.param(), mint, maxt, countSeries, out);
            walk(cx, a.expr(), mint, maxt, countSeries, out);
        } else if (e instanceof Call c) {
            for (Expr arg : c.args()) walk(cx, arg, mint, maxt, countSeries, out);
        } else if (e instanceof VectorSelector vs) {
            long lo = vs.at() != null ? at(cx, vs.at()) : mint, hi = vs.at() != null ? at(cx, vs.at()) : maxt;
            add(cx, vs, lo - vs.offsetMs() - cx.lookbackMs + 1, hi - vs.offsetMs(), countSeries, out);
        } else if (e instanceof MatrixSelector ms) {
            VectorSelector vs = ms.selector();
            long lo = vs.at() != null ? at(cx, vs.at()) : mint, hi = vs.at() != null ? at(cx, vs.at()) : maxt;
            add(cx, vs, lo - vs.offsetMs() - ms.rangeMs() + 1, hi - vs.offsetMs(), countSeries, out);
        } else if (e instanceof SubqueryExpr sq) {
            long lo = sq.at() != null ? at(cx, sq.at()) : mint, hi = sq.at() != null ? at(cx, sq.at()) : maxt;
            walk(cx, sq.expr(), lo - sq.offsetMs() - sq.rangeMs(), hi - sq.offsetMs(), countSeries, out);
        }
    }

    private static void add(EvalContext cx, VectorSelector vs, long mint, long maxt, boolean countSeries, List<SelectorCost> out) {
        if (mint > maxt) return;
        // kept open for the evaluation, which selects the same series over the same range (EvalContext#sharedQuerier)
        Querier q = cx.sharedQuerier(mint, maxt);
        List<Matcher> ms = vs.matchers();
        out.add(new SelectorCost(vs, mint, maxt, countSeries ? q.seriesCount(ms) : -1, q.sampleEstimate(ms)));
    }

    /** The selector as PromQL text. */
    public static String describe(VectorSelector vs) {
        StringBuilder sb = new StringBuilder();
        if (vs.name() != null) sb.append(vs.name());
        StringBuilder inner = new StringBuilder();
        for (Matcher m : vs.matchers()) {
            if (vs.name() != null && m.name().equals(Labels.METRIC_NAME) && m.type() == Matcher.Type.EQ
                    && m.value().equals(vs.name())) continue;
            if (inner.length() > 0) inner.append(", ");
            inner.append(m);
        }
        if (inner.length() > 0 || vs.name() == null) sb.append('{').append(inner).append('}');
        return sb.toString();
    }
}
