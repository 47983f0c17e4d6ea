package io.tsdb.query.engine.eval;

import io.tsdb.core.Labels;
import io.tsdb.core.histogram.CounterResetHint;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.histogram.HistogramArithmetic;
import io.tsdb.core.histogram.IncompatibleHistogramsException;
import io.tsdb.query.ast.BinaryExpr;
import io.tsdb.query.ast.BinaryOp;
import io.tsdb.query.ast.VectorMatching;
import io.tsdb.query.ast.VectorMatching.Cardinality;
import io.tsdb.query.engine.eval.Vals.Row;
import io.tsdb.query.engine.eval.Vals.ScalarVal;
import io.tsdb.query.engine.eval.Vals.Val;
import io.tsdb.query.engine.eval.Vals.VecVal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Binary operators: scalar/scalar, vector/scalar and vector/vector with label matching and set operators. */
public final class BinaryOps {
    private final Evaluator ev;
    private final EvalContext cx;

    BinaryOps(Evaluator ev) {
        this.ev = ev;
        this.cx = ev.cx;
    }

    /** Go's math.Pow special cases differ from Java's for base 1 and base -1 with infinite exponents. */
    static double pow(double x, double y) {
        if (y == 0) return 1;
        if (x == 1) return 1;
        if (x == -1 && Double.isInfinite(y)) return 1;
        return Math.pow(x, y);
    }

    static boolean arithmetic(BinaryOp op) {
        return switch (op) {
            case ADD, SUB, MUL, DIV, MOD, POW, ATAN2 -> true;
            default -> false;
        };
    }

    static double arith(BinaryOp op, double l, double r) {
        return switch (op) {
            case ADD -> l + r;
            case SUB -> l - r;
            case MUL -> l * r;
            case DIV -> l / r;
            case MOD -> l % r;
            case POW -> pow(l, r);
            case ATAN2 -> Math.atan2(l, r);
            default -> throw new IllegalStateException(op.name());
        };
    }

    static boolean compare(BinaryOp op, double l, double r) {
        return switch (op) {
            case EQL -> l == r;
            case NEQ -> l != r;
            case GTR -> l > r;
            case LSS -> l < r;
            case GTE -> l >= r;
            case LTE -> l <= r;
            default -> throw new IllegalStateException(op.name());
        };
    }

    /** The operation being evaluated (annotations point at it). */
    private BinaryExpr cur;
    /** Histogram result of {@link #histOp} (null: no result). */
    private FloatHistogram hres;

    private static String opText(BinaryOp op) {
        return switch (op) {
            case ADD -> "+"; case SUB -> "-"; case MUL -> "*"; case DIV -> "/"; case MOD -> "%"; case POW -> "^";
            case ATAN2 -> "atan2"; case EQL -> "=="; case NEQ -> "!="; case GTR -> ">"; case LSS -> "<";
            case GTE -> ">="; case LTE -> "<="; case TRIM_UPPER -> "</"; case TRIM_LOWER -> ">/";
            default -> op.name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    private void incompatible(BinaryOp op, boolean lHist, boolean rHist) {
        cx.info("incompatible sample types encountered for binary operator \"" + opText(op) + "\": "
                + (lHist ? "histogram" : "float") + " " + opText(op) + " " + (rHist ? "histogram" : "float"), cur.pos());
    }

    /**
     * op on samples of which at least one is a histogram (lh/rh null: that side is the float lf/rf). Returns
     * 0 with the result in {@link #hres}, a float (bool comparisons, or the float 1/0 of a kept comparison: the caller
     * keeps the left sample), or ABSENT (dropped, with the upstream annotation).
     */
    private double histOp(BinaryOp op, FloatHistogram lh, double lf, FloatHistogram rh, double rf, boolean returnBool) {
        hres = null;
        if (lh != null && rh != null) {
            switch (op) {
                case ADD, SUB -> {
                    FloatHistogram x = new FloatHistogram().copyFrom(lh);
                    try {
                        int flags = op == BinaryOp.ADD ? x.add(rh) : x.sub(rh);
                        String what = op == BinaryOp.ADD ? "addition" : "subtraction";
                        if ((flags & HistogramArithmetic.COUNTER_RESET_COLLISION) != 0) {
                            cx.warn("conflicting counter resets during histogram " + what, cur.pos());
                        }
                        if ((flags & HistogramArithmetic.NHCB_BOUNDS_RECONCILED) != 0) {
                            cx.info("mismatched custom buckets were reconciled during " + what, cur.pos());
                        }
                    } catch (IncompatibleHistogramsException e) {
                        cx.warn("incompatible bucket layout encountered for binary operator " + opText(op), cur.pos());
                        return Vals.ABSENT;
                    }
                    if (op == BinaryOp.SUB) x.hint = CounterResetHint.GAUGE;
                    hres = x.compact(0);
                    return 0;
                }
                case EQL, NEQ -> {
                    boolean eq = lh.sameData(rh) || compactEquals(lh, rh);
                    boolean keep = op == BinaryOp.EQL ? eq : !eq;
                    if (returnBool) return keep ? 1 : 0;
                    if (!keep) return Vals.ABSENT;
                    hres = lh;
                    return 0;
                }
                default -> {
                    incompatible(op, true, true);
                    return Vals.ABSENT;
                }
            }
        }
        FloatHistogram h = lh != null ? lh : rh;
        double f = lh != null ? rf : lf;
        if (op.isTrim() && lh != null) {
            hres = ev.nativeHistograms().trim(lh, rf, op == BinaryOp.TRIM_UPPER);
            return 0;
        }
        if (op == BinaryOp.MUL || (op == BinaryOp.DIV && lh != null)) {
            FloatHistogram x = new FloatHistogram().copyFrom(h);
            if (op == BinaryOp.MUL) x.mul(f); else div(x, f);
            hres = x.compact(0);
            return 0;
        }
        incompatible(op, lh != null, rh != null);
        return Vals.ABSENT;
    }

    private static boolean compactEquals(FloatHistogram a, FloatHistogram b) {
        return new FloatHistogram().copyFrom(a).compact(0).sameData(new FloatHistogram().copyFrom(b).compact(0));
    }

    /** Divides every field by f (exactly as division, not as multiplication by 1/f); by zero: no buckets. */
    static void div(FloatHistogram x, double f) {
        x.count /= f;
        x.sum /= f;
        x.zeroCount /= f;
        if (f == 0) { // as upstream: division by zero leaves no buckets
            x.positiveSpans.clear();
            x.negativeSpans.clear();
            x.positiveCount = x.negativeCount = 0;
            return;
        }
        for (int i = 0; i < x.positiveCount; i++) x.positiveBuckets[i] /= f;
        for (int i = 0; i < x.negativeCount; i++) x.negativeBuckets[i] /= f;
    }

    public Val eval(BinaryExpr b, long[] ts) {
        Val l = ev.eval(b.lhs(), ts);
        Val r = ev.eval(b.rhs(), ts);
        cur = b;
        BinaryOp op = b.op();
        if (l instanceof ScalarVal ls && r instanceof ScalarVal rs) {
            double[] o = new double[ts.length];
            for (int i = 0; i < o.length; i++) {
                if (op.isTrim()) throw EvalContext.execError("operator \"" + opText(op) + "\" not allowed for Scalar operations");
                o[i] = op.isComparison() ? (compare(op, ls.v[i], rs.v[i]) ? 1 : 0) : arith(op, ls.v[i], rs.v[i]);
            }
            return new ScalarVal(o);
        }
        if (l instanceof VecVal lv && r instanceof ScalarVal rs) return vectorScalar(op, lv, rs.v, false, b.returnBool());
        if (l instanceof ScalarVal ls && r instanceof VecVal rv) return vectorScalar(op, rv, ls.v, true, b.returnBool());
        VecVal lv = (VecVal) l, rv = (VecVal) r;
        VectorMatching m = b.matching() != null ? b.matching()
                : new VectorMatching(op.isSetOperator() ? Cardinality.MANY_TO_MANY : Cardinality.ONE_TO_ONE, false, List.of(), List.of());
        if (op.isSetOperator()) return setOp(op, lv, rv, m, ts.length);
        return vectorVector(op, lv, rv, m, b.returnBool(), ts.length);
    }

    private VecVal vectorScalar(BinaryOp op, VecVal vec, double[] s, boolean swap, boolean returnBool) {
        boolean cmp = op.isComparison();
        List<Row> out = new ArrayList<>(vec.rows.size());
        for (Row row : vec.rows) {
            // made at the first value kept: a filter (x > 90) drops most series of a large selection whole
            double[] o = null;
            boolean any = false;
            FloatHistogram[] ho = null;
            int steps = row.v.length;
            for (int i = 0; i < steps; i++) {
                double x = row.v[i];
                FloatHistogram h = row.hist(i);
                if (h != null) {
                    double r = histOp(op, swap ? null : h, s[i], swap ? h : null, s[i], returnBool);
                    if (hres == null) continue; // histograms with a scalar: only * and / give a result
                    if (ho == null) ho = new FloatHistogram[steps];
                    ho[i] = hres;
                    any = true;
                    continue;
                }
                if (Vals.absent(x)) continue;
                double lf = swap ? s[i] : x, rf = swap ? x : s[i];
                double val;
                if (op.isTrim()) {
                    incompatible(op, false, false);
                    continue;
                } else if (cmp) {
                    boolean keep = compare(op, lf, rf);
                    if (returnBool) val = keep ? 1 : 0;
                    else if (keep) val = x;
                    else continue;
                } else {
                    val = arith(op, lf, rf);
                }
                if (o == null) o = Row.empty(steps);
                o[i] = val;
                any = true;
            }
            if (o == null && any) o = Row.empty(steps);   // histogram results only
            if (any) out.add(new Row(row.labels, o, ho, row.dropName || !(cmp || op.isTrim()) || returnBool));
        }
        return new VecVal(out);
    }

    /** Matching signature of a series. */
    static Labels signature(Labels l, VectorMatching m) {
        if (m.on()) return l.toBuilder().keep(new HashSet<>(m.labels())).build();
        Labels.Builder b = l.toBuilder();
        for (String n : m.labels()) b.del(n);
        b.del(Labels.METRIC_NAME);
        return b.build();
    }

    private static int[] sigIds(VecVal v, VectorMatching m, Map<Labels, Integer> ids) {
        int[] out = new int[v.rows.size()];
        for (int i = 0; i < out.length; i++) {
            Labels sig = signature(v.rows.get(i).labels, m);
            Integer id = ids.get(sig);
            if (id == null) { id = ids.size(); ids.put(sig, id); }
            out[i] = id;
        }
        return out;
    }

    private VecVal setOp(BinaryOp op, VecVal lv, VecVal rv, VectorMatching m, int steps) {
        Map<Labels, Integer> ids = new HashMap<>();
        int[] ls = sigIds(lv, m, ids), rs = sigIds(rv, m, ids);
        int[] stampL = new int[ids.size()], stampR = new int[ids.size()];
        Arrays.fill(stampL, -1);
        Arrays.fill(stampR, -1);
        double[][] lo = new double[lv.rows.size()][], ro = new double[rv.rows.size()][];
        for (int i = 0; i < steps; i++) {
            boolean anyL = false, anyR = false;
            for (int j = 0; j < ls.length; j++) if (lv.rows.get(j).has(i)) { stampL[ls[j]] = i; anyL = true; }
            for (int j = 0; j < rs.length; j++) if (rv.rows.get(j).has(i)) { stampR[rs[j]] = i; anyR = true; }
            for (int j = 0; j < ls.length; j++) {
                double x = lv.rows.get(j).v[i];
                if (!lv.rows.get(j).has(i)) continue;
                boolean keep = switch (op) {
                    case AND -> anyR && stampR[ls[j]] == i;
                    case OR -> true;
                    case UNLESS -> !anyR || stampR[ls[j]] != i;
                    default -> false;
                };
                if (keep) {
                    if (lo[j] == null) lo[j] = Row.empty(steps);
                    lo[j][i] = x;
                    if (Vals.absent(x)) lo[j][i] = HIST_MARK;
                }
            }
            if (op == BinaryOp.OR) {
                for (int j = 0; j < rs.length; j++) {
                    double x = rv.rows.get(j).v[i];
                    if (!rv.rows.get(j).has(i)) continue;
                    if (anyL && stampL[rs[j]] == i) continue;
                    if (ro[j] == null) ro[j] = Row.empty(steps);
                    ro[j][i] = Vals.absent(x) ? HIST_MARK : x;
                }
            }
        }
        // Combine by label set (a series may come from the left at some steps and the right at others). A series whose
        // name is pending removal stays apart from one that keeps the same name: with names removed at once (2.x, 3.x
        // by default) they are different series (x / 1 or x: {a="1"} and x{a="1"}).
        Map<Labels, Row> out = new LinkedHashMap<>(), dropping = new LinkedHashMap<>();
        List<Row> order = new ArrayList<>();
        for (int j = 0; j < lo.length; j++) if (lo[j] != null) addMerged(lv.rows.get(j).dropName ? dropping : out, lv.rows.get(j), lo[j], order);
        for (int j = 0; j < ro.length; j++) if (ro[j] != null) addMerged(rv.rows.get(j).dropName ? dropping : out, rv.rows.get(j), ro[j], order);
        return new VecVal(order);
    }

    /** In setOp's selection arrays: the step's histogram of the source row is selected. */
    private static final double HIST_MARK = Double.longBitsToDouble(0x7ff8deadbeef0004L);

    private static boolean histMark(double x) { return Double.doubleToRawLongBits(x) == 0x7ff8deadbeef0004L; }

    private static void addMerged(Map<Labels, Row> out, Row src, double[] v, List<Row> order) {
        Row prev = out.get(src.labels);
        if (prev == null) {
            prev = new Row(src.labels, Row.empty(v.length), src.dropName);
            out.put(src.labels, prev);
            order.add(prev);
        }
        for (int i = 0; i < v.length; i++) {
            if (Vals.absent(v[i]) || prev.has(i)) continue;
            if (histMark(v[i])) prev.setHist(i, src.h[i]);
            else prev.v[i] = v[i];
        }
    }

    private Labels resultMetric(Labels lhs, Labels rhs, BinaryOp op, VectorMatching m) {
        Labels.Builder b = lhs.toBuilder();
        if (arithmetic(op)) b.del(Labels.METRIC_NAME).del("__type__").del("__unit__");
        if (m.card() == Cardinality.ONE_TO_ONE) {
            if (m.on()) b.keep(new HashSet<>(m.labels()));
            else for (String n : m.labels()) b.del(n);
        }
        for (String n : m.include()) {
            String v = rhs.get(n);
            if (v != null && !v.isEmpty()) b.set(n, v); else b.del(n);
        }
        return b.build();
    }

    private VecVal vectorVector(BinaryOp op, VecVal lv, VecVal rv, VectorMatching m, boolean returnBool, int steps) {
        boolean swap = m.card() == Cardinality.ONE_TO_MANY;
        VecVal many = swap ? rv : lv, one = swap ? lv : rv;
        Map<Labels, Integer> ids = new HashMap<>();
        int[] ms = sigIds(many, m, ids), os = sigIds(one, m, ids);
        int nsig = ids.size();
        int[] oneAt = new int[nsig], oneStamp = new int[nsig], matchedStamp = new int[nsig];
        Arrays.fill(oneStamp, -1);
        Arrays.fill(matchedStamp, -1);
        Map<Long, Labels> metricCache = new HashMap<>();
        Map<Labels, Row> out = new LinkedHashMap<>();
        List<Set<Labels>> inserted = m.card() == Cardinality.ONE_TO_ONE ? null : new ArrayList<>(nsig);
        if (inserted != null) for (int s = 0; s < nsig; s++) inserted.add(null);
        boolean cmp = op.isComparison();
        for (int i = 0; i < steps; i++) {
            cx.checkDeadline();
            boolean anyMany = false, anyOne = false;
            for (Row r : many.rows) if (r.has(i)) { anyMany = true; break; }
            for (Row r : one.rows) if (r.has(i)) { anyOne = true; break; }
            if (!anyMany || !anyOne) continue;
            for (int j = 0; j < os.length; j++) {
                Row r = one.rows.get(j);
                if (!r.has(i)) continue;
                int s = os[j];
                if (oneStamp[s] == i) {
                    Row dup = one.rows.get(oneAt[s]);
                    String a = Rows.promString(r.labels), c = Rows.promString(dup.labels);
                    if (a.compareTo(c) > 0) { String t = a; a = c; c = t; }
                    Labels matched = m.on() ? r.labels.toBuilder().keep(new HashSet<>(m.labels())).build()
                            : signatureKeepName(r.labels, m);
                    throw EvalContext.execError("found duplicate series for the match group " + Rows.promString(matched)
                            + " on the " + (swap ? "left" : "right") + " hand-side of the operation: [" + a + ", " + c
                            + "];many-to-many matching not allowed: matching labels must be unique on one side");
                }
                oneStamp[s] = i;
                oneAt[s] = j;
            }
            if (inserted != null) for (int s = 0; s < nsig; s++) if (inserted.get(s) != null) inserted.get(s).clear();
            for (int j = 0; j < ms.length; j++) {
                Row lr = many.rows.get(j);
                double x = lr.v[i];
                if (!lr.has(i)) continue;
                int s = ms[j];
                if (oneStamp[s] != i) continue;
                int oj = oneAt[s];
                Row rr = one.rows.get(oj);
                double y = rr.v[i];
                double fl = swap ? y : x, fr = swap ? x : y;
                double val;
                boolean keep = true;
                FloatHistogram hl = swap ? rr.hist(i) : lr.hist(i), hr = swap ? lr.hist(i) : rr.hist(i);
                FloatHistogram hout = null;
                if (hl != null || hr != null) {
                    val = histOp(op, hl, fl, hr, fr, returnBool);
                    if (Vals.absent(val)) continue;
                    hout = hres;
                    if (cmp && !returnBool) hout = swap ? rr.hist(i) : lr.hist(i);
                    if (hout != null && !cmp) val = 0;
                } else if (op.isTrim()) {
                    incompatible(op, false, false);
                    continue;
                } else if (cmp) {
                    keep = compare(op, fl, fr);
                    val = returnBool ? (keep ? 1 : 0) : fl;
                } else {
                    val = arith(op, fl, fr);
                }
                long key = ((long) j << 32) | oj;
                Labels metric = metricCache.get(key);
                if (metric == null) {
                    metric = resultMetric(lr.labels, rr.labels, op, m);
                    metricCache.put(key, metric);
                }
                if (inserted == null) {
                    if (matchedStamp[s] == i) {
                        throw EvalContext.execError("multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)");
                    }
                    matchedStamp[s] = i;
                } else {
                    Set<Labels> set = inserted.get(s);
                    if (set == null) { set = new HashSet<>(); inserted.set(s, set); }
                    if (!set.add(metric)) {
                        throw EvalContext.execError("multiple matches for labels: grouping labels must ensure unique matches");
                    }
                }
                if (!keep && !returnBool) continue;
                Row o = out.get(metric);
                if (o == null) {
                    // A filtering comparison keeps the many side's sample as it is, including a pending name
                    // removal (rate(x[5m]) > rate(x[10m]) has no __name__); arithmetic and bool drop the name.
                    o = new Row(metric, Row.empty(steps), returnBool || lr.dropName);
                    out.put(metric, o);
                } else if (o.has(i)) {
                    throw EvalContext.execError(Rows.DUPLICATE_LABELSET);
                }
                if (hout != null) o.setHist(i, hout);
                else o.v[i] = val;
            }
        }
        return new VecVal(new ArrayList<>(out.values()));
    }

    private static Labels signatureKeepName(Labels l, VectorMatching m) {
        Labels.Builder b = l.toBuilder();
        for (String n : m.labels()) b.del(n);
        return b.build();
    }
}
