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
import io.tsdb.query.engine.QueryDeferred;
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

    /**
     * Throws {@link QueryDeferred} unless the query is small ({@link io.tsdb.query.engine.QueryOptions#smallOnly}):
     * its selectors match at most {@code maxSeries} series by the label index alone (no sample or chunk looked at)
     * and its work, samples estimated plus series x {@code steps}, is at most {@code maxWork}. The series bound is
     * checked first over all selectors, so a large selection is deferred after a few bitmap operations.
     *
     * @return the bounds found, which settle {@link #check} without a second estimate when they are within its limits
     */
    public static SmallCost requireSmall(EvalContext cx, Expr e, int steps, long maxSeries, long maxWork) {
        // a subquery evaluates its inner expression at its own steps, which series x the query's steps does not count
        if (hasSubquery(e)) throw new QueryDeferred("it has a subquery");
        List<long[]> ranges = new ArrayList<>();
        List<VectorSelector> sels = new ArrayList<>();
        collect(cx, e, cx.queryStart, cx.queryEnd, sels, ranges);
        long series = 0;
        for (int i = 0; i < sels.size(); i++) {
            long[] r = ranges.get(i);
            series += cx.sharedQuerier(r[0], r[1]).seriesUpperBound(sels.get(i).matchers());
            if (series > maxSeries) throw new QueryDeferred("its selectors match more than " + maxSeries + " series");
        }
        long work = series * Math.max(1, steps);
        if (work > maxWork) throw new QueryDeferred("about " + work + " series x steps");
        long samples = 0;
        for (int i = 0; i < sels.size(); i++) {
            long[] r = ranges.get(i);
            long n = cx.sharedQuerier(r[0], r[1]).sampleEstimate(sels.get(i).matchers());
            samples += n;
            work += n;
            if (work > maxWork) throw new QueryDeferred("about " + work + " samples and series x steps");
        }
        return new SmallCost(series, samples);
    }

    /**
     * What {@link #requireSmall} found: an upper bound of the series the selectors match (at least the exact count
     * {@link #check} would take) and the same sample estimate as {@link #check}'s.
     */
    public record SmallCost(long seriesUpperBound, long samples) {
        /** True when {@link #check} with these limits (0: none) cannot refuse the query. */
        public boolean within(long maxSeries, long maxSamples) {
            return (maxSeries <= 0 || seriesUpperBound <= maxSeries) && (maxSamples <= 0 || samples <= maxSamples);
        }
    }

    /** The selectors of {@code e} with the time ranges they read (as {@link #walk}), without looking at the data. */
    private static void collect(EvalContext cx, Expr e, long mint, long maxt, List<VectorSelector> sels, List<long[]> ranges) {
        walkRanges(cx, e, mint, maxt, (vs, lo, hi) -> {
            if (lo <= hi) { sels.add(vs); ranges.add(new long[]{lo, hi}); }
        });
    }

    private static boolean hasSubquery(Expr e) {
        if (e instanceof SubqueryExpr) return true;
        if (e instanceof ParenExpr p) return hasSubquery(p.expr());
        if (e instanceof UnaryExpr u) return hasSubquery(u.expr());
        if (e instanceof BinaryExpr b) return hasSubquery(b.lhs()) || hasSubquery(b.rhs());
        if (e instanceof AggregateExpr a) return (a.param() != null && hasSubquery(a.param())) || hasSubquery(a.expr());
        if (e instanceof Call c) {
            for (Expr arg : c.args()) if (hasSubquery(arg)) return true;
        }
        return false;
    }

    private interface RangeSink { void accept(VectorSelector vs, long mint, long maxt); }

    private static long at(EvalContext cx, AtModifier a) {
        return switch (a.kind()) {
            case TIMESTAMP -> a.timestampMs();
            case START -> cx.queryStart;
            case END -> cx.queryEnd;
        };
    }

    private static void walk(EvalContext cx, Expr e, long mint, long maxt, boolean countSeries, List<SelectorCost> out) {
        walkRanges(cx, e, mint, maxt, (vs, lo, hi) -> add(cx, vs, lo, hi, countSeries, out));
    }

    /** Every selector of {@code e} with the time range it reads (lookback, ranges, offsets, {@code @}, subqueries). */
    private static void walkRanges(EvalContext cx, Expr e, long mint, long maxt, RangeSink out) {
        if (e instanceof ParenExpr p) {
            walkRanges(cx, p.expr(), mint, maxt, out);
        } else if (e instanceof UnaryExpr u) {
            walkRanges(cx, u.expr(), mint, maxt, out);
        } else if (e instanceof BinaryExpr b) {
            walkRanges(cx, b.lhs(), mint, maxt, out);
            walkRanges(cx, b.rhs(), mint, maxt, out);
        } else if (e instanceof AggregateExpr a) {
            if (a.param() != null) walkRanges(cx, a.param(), mint, maxt, out);
            walkRanges(cx, a.expr(), mint, maxt, out);
        } else if (e instanceof Call c) {
            for (Expr arg : c.args()) walkRanges(cx, arg, mint, maxt, out);
        } else if (e instanceof VectorSelector vs) {
            long lo = vs.at() != null ? at(cx, vs.at()) : mint, hi = vs.at() != null ? at(cx, vs.at()) : maxt;
            out.accept(vs, lo - vs.offsetMs() - cx.lookbackMs + 1, hi - vs.offsetMs());
        } else if (e instanceof MatrixSelector ms) {
            VectorSelector vs = ms.selector();
            long lo = vs.at() != null ? at(cx, vs.at()) : mint, hi = vs.at() != null ? at(cx, vs.at()) : maxt;
            out.accept(vs, lo - vs.offsetMs() - ms.rangeMs() + 1, hi - vs.offsetMs());
        } else if (e instanceof SubqueryExpr sq) {
            long lo = sq.at() != null ? at(cx, sq.at()) : mint, hi = sq.at() != null ? at(cx, sq.at()) : maxt;
            walkRanges(cx, sq.expr(), lo - sq.offsetMs() - sq.rangeMs(), hi - sq.offsetMs(), out);
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
