package io.tsdb.query.engine.eval;

import io.tsdb.core.Labels;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.histogram.HistogramArithmetic;
import io.tsdb.core.histogram.IncompatibleHistogramsException;
import io.tsdb.query.ast.AggregateOp;
import io.tsdb.query.engine.eval.Vals.Row;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Streaming sum/avg/min/max/count/group/stddev/stdvar: input series are added one at a time (so a range
 * function feeding an aggregation never materialises all its rows), accumulating into group x step arrays.
 */
final class Accumulator {
    private final AggregateOp op;
    private final int steps;
    private final List<String> grouping;
    private final boolean without;
    private final EvalContext cx;
    private final Map<Labels, Integer> groups = new HashMap<>();
    private final List<Labels> groupLabels = new ArrayList<>();
    /** Each group's first input series (a shard's groups are ordered by them when shards are merged). */
    private final List<Labels> firstSeries = new ArrayList<>();
    private double[] val, comp, mean, count;
    private boolean[] seen, incr, dropName;
    private final double[] c = new double[1];
    private long accounted;
    /**
     * Native histograms per cell (sum/avg: the running sum; null until a histogram arrives), histograms counted per
     * cell, and cells given up (a mix of floats and histograms, or of incompatible histograms).
     */
    private FloatHistogram[] hsum;
    private int[] hcount;
    private boolean[] floatSeen, invalid;
    /** Compensation of the running sum and count fields of hsum (Kahan-Neumaier). */
    private double[] hsumComp, hcountComp;
    /** avg cells that switched to an incremental mean (the running sum would have overflowed). */
    private boolean[] hincr;
    /** Counter-reset hints seen per cell: bit 1 reset, bit 2 not reset. */
    private byte[] hints;
    private FloatHistogram scratch;   // made at the first histogram average that needs it
    /** Where annotations point (the aggregation's position). */
    int pos;

    Accumulator(EvalContext cx, AggregateOp op, int steps, List<String> grouping, boolean without) {
        this.cx = cx;
        this.op = op;
        this.steps = steps;
        this.grouping = grouping;
        this.without = without;
        // an aggregation without grouping labels has one group: cells for four were allocated, zeroed and counted
        // against the query's samples for every such query
        grow(grouping.isEmpty() && !without ? 1 : 4);
    }

    static boolean supports(AggregateOp op) {
        return switch (op) {
            case SUM, AVG, MIN, MAX, COUNT, GROUP, STDDEV, STDVAR -> true;
            default -> false;
        };
    }

    private void grow(int ng) {
        int cells = ng * steps;
        val = val == null ? new double[cells] : Arrays.copyOf(val, cells);
        comp = comp == null ? new double[cells] : Arrays.copyOf(comp, cells);
        mean = mean == null ? new double[cells] : Arrays.copyOf(mean, cells);
        count = count == null ? new double[cells] : Arrays.copyOf(count, cells);
        seen = seen == null ? new boolean[cells] : Arrays.copyOf(seen, cells);
        if (op == AggregateOp.AVG) incr = incr == null ? new boolean[cells] : Arrays.copyOf(incr, cells);
        dropName = dropName == null ? new boolean[ng] : Arrays.copyOf(dropName, ng);
        if (hsum != null) {
            hsum = Arrays.copyOf(hsum, cells);
            hcount = Arrays.copyOf(hcount, cells);
            floatSeen = Arrays.copyOf(floatSeen, cells);
            invalid = Arrays.copyOf(invalid, cells);
            hsumComp = Arrays.copyOf(hsumComp, cells);
            hcountComp = Arrays.copyOf(hcountComp, cells);
            hincr = Arrays.copyOf(hincr, cells);
            hints = Arrays.copyOf(hints, cells);
        }
        long now = 3L * cells;
        cx.addSamples(now - accounted);
        accounted = now;
    }

    private int group(Labels l) {
        Labels k = Aggregations.groupLabels(l, grouping, without);
        Integer g = groups.get(k);
        if (g == null) {
            g = groupLabels.size();
            groups.put(k, g);
            groupLabels.add(k);
            firstSeries.add(l);
            if (dropName.length <= g) grow(dropName.length * 2);
        }
        return g;
    }

    private void histCells() {
        if (hsum != null) return;
        int cells = val.length;
        hsum = new FloatHistogram[cells];
        hcount = new int[cells];
        floatSeen = new boolean[cells];
        invalid = new boolean[cells];
        hsumComp = new double[cells];
        hcountComp = new double[cells];
        hincr = new boolean[cells];
        hints = new byte[cells];
        // floats seen so far
        for (int k = 0; k < cells; k++) floatSeen[k] = seen[k];
    }

    static boolean overflows(double a, double b) {
        return Double.isInfinite(a + b) && !Double.isInfinite(a) && !Double.isInfinite(b);
    }

    private void annotate(int flags) {
        if ((flags & HistogramArithmetic.NHCB_BOUNDS_RECONCILED) != 0) {
            cx.info("mismatched custom buckets were reconciled during aggregation", pos);
        }
    }

    private void addHistogram(Row row, int k, FloatHistogram h) {
        switch (op) {
            case SUM, AVG -> {
                if (invalid[k]) return;
                if (floatSeen[k]) {
                    invalid[k] = true;
                    cx.warn("encountered a mix of histograms and floats for aggregation", pos);
                    return;
                }
                hcount[k]++;
                // upstream warns when the inputs say both "reset" and "not reset", whatever else they say
                hints[k] |= h.hint == io.tsdb.core.histogram.CounterResetHint.COUNTER_RESET ? 1
                        : h.hint == io.tsdb.core.histogram.CounterResetHint.NOT_COUNTER_RESET ? 2 : 0;
                if (hints[k] == 3) cx.warn("conflicting counter resets during histogram aggregation", pos);
                if (hsum[k] == null) {
                    hsum[k] = new FloatHistogram().copyFrom(h);
                    return;
                }
                try {
                    FloatHistogram acc = hsum[k];
                    if (op == AggregateOp.AVG && !hincr[k] && overflows(acc.count, h.count)) {
                        // as for floats: continue with an incremental mean instead of an overflowing sum
                        double before = hcount[k] - 1;
                        acc.mul(1.0 / before);
                        hsumComp[k] /= before;
                        hcountComp[k] /= before;
                        hincr[k] = true;
                    }
                    if (hincr[k]) {
                        double n = hcount[k], q = (n - 1) / n, s0 = acc.sum, n0 = acc.count;
                        acc.mul(q);
                        if (scratch == null) scratch = new FloatHistogram();
                        annotate(acc.add(scratch.copyFrom(h).mul(1 / n)));
                        c[0] = q * hsumComp[k];
                        acc.sum = RangeFunctions.kahanInc(h.sum / n, q * s0, c);
                        hsumComp[k] = c[0];
                        c[0] = q * hcountComp[k];
                        acc.count = RangeFunctions.kahanInc(h.count / n, q * n0, c);
                        hcountComp[k] = c[0];
                        return;
                    }
                    double s0 = hsum[k].sum, n0 = hsum[k].count;
                    int flags = hsum[k].add(h);
                    c[0] = hsumComp[k];
                    hsum[k].sum = RangeFunctions.kahanInc(h.sum, s0, c);
                    hsumComp[k] = c[0];
                    c[0] = hcountComp[k];
                    hsum[k].count = RangeFunctions.kahanInc(h.count, n0, c);
                    hcountComp[k] = c[0];
                    if ((flags & HistogramArithmetic.NHCB_BOUNDS_RECONCILED) != 0) {
                        cx.info("mismatched custom buckets were reconciled during aggregation", pos);
                    }
                } catch (IncompatibleHistogramsException e) {
                    invalid[k] = true;
                    String name = row.labels.metricName();
                    cx.warn("vector contains a mix of histograms with exponential and custom buckets schemas"
                            + (name == null ? "" : " for metric name \"" + name + "\""), pos);
                }
            }
            case COUNT, GROUP -> {
                hcount[k]++;
                if (!seen[k]) {
                    seen[k] = true;
                    count[k] = 0;
                    val[k] = 1;
                }
                count[k]++;
            }
            default -> cx.info("ignored histogram in " + op.name().toLowerCase(java.util.Locale.ROOT) + " aggregation", pos);
        }
    }

    void add(Row row) {
        cx.checkDeadline();
        int g = group(row.labels);
        int base = g * steps;
        double[] v = row.v;
        boolean any = false;
        if (row.h != null) {
            histCells();
            for (int i = 0; i < steps; i++) {
                FloatHistogram h = row.h[i];
                if (h == null) continue;
                addHistogram(row, base + i, h);
                if (op == AggregateOp.SUM || op == AggregateOp.AVG || op == AggregateOp.COUNT || op == AggregateOp.GROUP) any = true;
            }
        }
        for (int i = 0; i < steps; i++) {
            double f = v[i];
            if (Vals.absent(f)) continue;
            any = true;
            int k = base + i;
            if (hsum != null) {
                if ((op == AggregateOp.SUM || op == AggregateOp.AVG) && (hsum[k] != null || invalid[k])) {
                    if (!invalid[k]) cx.warn("encountered a mix of histograms and floats for aggregation", pos);
                    invalid[k] = true;
                    continue;
                }
                floatSeen[k] = true;
            }
            if (!seen[k]) {
                seen[k] = true;
                val[k] = f;
                mean[k] = f;
                count[k] = 1;
                if (op == AggregateOp.STDDEV || op == AggregateOp.STDVAR) {
                    val[k] = (Double.isNaN(f) || Double.isInfinite(f)) ? Double.NaN : 0;
                } else if (op == AggregateOp.GROUP) {
                    val[k] = 1;
                }
                continue;
            }
            switch (op) {
                case SUM -> {
                    c[0] = comp[k];
                    val[k] = RangeFunctions.kahanInc(f, val[k], c);
                    comp[k] = c[0];
                }
                case AVG -> {
                    count[k]++;
                    double n = count[k];
                    if (!incr[k]) {
                        c[0] = comp[k];
                        double nv = RangeFunctions.kahanInc(f, val[k], c);
                        if (!Double.isInfinite(nv)) {
                            val[k] = nv;
                            comp[k] = c[0];
                            break;
                        }
                        incr[k] = true;
                        mean[k] = val[k] / (n - 1);
                        comp[k] /= (n - 1);
                    }
                    double q = (n - 1) / n;
                    c[0] = q * comp[k];
                    mean[k] = RangeFunctions.kahanInc(f / n, q * mean[k], c);
                    comp[k] = c[0];
                }
                case MAX -> { if (val[k] < f || Double.isNaN(val[k])) val[k] = f; }
                case MIN -> { if (val[k] > f || Double.isNaN(val[k])) val[k] = f; }
                case COUNT -> count[k]++;
                case GROUP -> { }
                case STDDEV, STDVAR -> {
                    count[k]++;
                    double delta = f - mean[k];
                    mean[k] += delta / count[k];
                    val[k] += delta * (f - mean[k]);
                }
                default -> throw new IllegalStateException(op.name());
            }
        }
        if (any && row.dropName) dropName[g] = true;
    }

    Vals.VecVal finish() {
        List<Row> out = new ArrayList<>(groupLabels.size());
        finish(out, null);
        cx.releaseSamples(accounted);
        accounted = 0;
        return new Vals.VecVal(out);
    }

    /**
     * Adds the output rows to {@code out} and, when {@code firsts} is not null, each row's group's first input series.
     * The cells stay counted in the context (a shard's stay counted until all shards are done, as one thread's groups
     * are all in memory at once).
     */
    void finish(List<Row> out, List<Labels> firsts) {
        int ng = groupLabels.size();
        for (int g = 0; g < ng; g++) {
            double[] o = Row.empty(steps);
            FloatHistogram[] ho = null;
            boolean any = false;
            for (int i = 0; i < steps; i++) {
                int k = g * steps + i;
                if (hsum != null && (op == AggregateOp.SUM || op == AggregateOp.AVG)) {
                    if (invalid[k]) continue;
                    if (hsum[k] != null) {
                        FloatHistogram h = hsum[k];
                        if (!Double.isInfinite(h.sum)) h.sum += hsumComp[k];
                        if (!Double.isInfinite(h.count)) h.count += hcountComp[k];
                        if (op == AggregateOp.AVG && !hincr[k]) h.mul(1.0 / hcount[k]);
                        h.compact(0);
                        if (ho == null) ho = new FloatHistogram[steps];
                        ho[i] = h;
                        any = true;
                        continue;
                    }
                }
                if (!seen[k]) continue;
                any = true;
                o[i] = switch (op) {
                    case SUM -> val[k] + comp[k];
                    case AVG -> incr[k] ? mean[k] + comp[k] : val[k] / count[k] + comp[k] / count[k];
                    case COUNT -> count[k];
                    case STDVAR -> val[k] / count[k];
                    case STDDEV -> Math.sqrt(val[k] / count[k]);
                    default -> val[k];
                };
            }
            if (!any) continue;
            out.add(new Row(groupLabels.get(g), o, ho, dropName[g]));
            if (firsts != null) firsts.add(firstSeries.get(g));
        }
    }
}
