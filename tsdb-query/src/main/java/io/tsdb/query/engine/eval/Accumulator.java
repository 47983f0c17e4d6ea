package io.tsdb.query.engine.eval;

import io.tsdb.core.Labels;
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
    private double[] val, comp, mean, count;
    private boolean[] seen, incr, dropName;
    private final double[] c = new double[1];
    private long accounted;

    Accumulator(EvalContext cx, AggregateOp op, int steps, List<String> grouping, boolean without) {
        this.cx = cx;
        this.op = op;
        this.steps = steps;
        this.grouping = grouping;
        this.without = without;
        grow(4);
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
            if (dropName.length <= g) grow(dropName.length * 2);
        }
        return g;
    }

    void add(Row row) {
        cx.checkDeadline();
        int g = group(row.labels);
        int base = g * steps;
        double[] v = row.v;
        boolean any = false;
        for (int i = 0; i < steps; i++) {
            double f = v[i];
            if (Vals.absent(f)) continue;
            any = true;
            int k = base + i;
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
        int ng = groupLabels.size();
        List<Row> out = new ArrayList<>(ng);
        for (int g = 0; g < ng; g++) {
            double[] o = Row.empty(steps);
            boolean any = false;
            for (int i = 0; i < steps; i++) {
                int k = g * steps + i;
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
            if (any) out.add(new Row(groupLabels.get(g), o, dropName[g]));
        }
        cx.releaseSamples(accounted);
        accounted = 0;
        return new Vals.VecVal(out);
    }
}
