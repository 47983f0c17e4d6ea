package io.tsdb.server.api;

import io.tsdb.core.Matcher;
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
import io.tsdb.query.ast.VectorMatching;
import io.tsdb.query.ast.VectorMatching.Cardinality;
import io.tsdb.query.ast.VectorSelector;
import io.tsdb.query.engine.eval.FunctionRegistry;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A grammar-driven generator of PromQL expressions over {@link DiffDataSet}: typed (instant vector, scalar, range
 * vector), depth-bounded, built as the engine's AST (printed with the engine's Printer). It stays within what
 * Prometheus 2.42 parses and evaluates for float samples: no function, aggregation or modifier newer than 2.42
 * (no limitk/limit_ratio, sort_by_label, mad_over_time, info, first_over_time, duration expressions, UTF-8 names),
 * no native-histogram function.
 */
final class DiffQueryGenerator {
    /** A metric of the data set and the labels its series carry (besides __name__). */
    record Metric(String name, String kind, List<String> labels) {}

    static final List<Metric> METRICS = List.of(
            new Metric("http_requests_total", "counter", List.of("code", "instance", "job", "method")),
            new Metric("process_cpu_seconds_total", "counter", List.of("instance", "job")),
            new Metric("request_duration_seconds_count", "counter", List.of("instance", "job")),
            new Metric("request_duration_seconds_sum", "counter", List.of("instance", "job")),
            new Metric("request_duration_seconds_bucket", "histogram", List.of("instance", "job", "le")),
            new Metric("up", "gauge", List.of("instance", "job")),
            new Metric("queue_depth", "gauge", List.of("instance", "job")),
            new Metric("node_cpu_usage", "gauge", List.of("instance", "mode")),
            new Metric("node_memory_bytes", "gauge", List.of("instance")),
            new Metric("temperature_celsius", "gauge", List.of("instance", "zone")),
            new Metric("batch_jobs_running", "gauge", List.of("batch", "instance")),
            new Metric("odd_values", "gauge", List.of("instance")));

    static final List<String> ALL_LABELS = List.of("instance", "job", "code", "method", "mode", "zone", "le", "batch", "nonexistent");

    static final String[] RANGE_FUNCS = {"rate", "irate", "increase", "delta", "idelta", "deriv", "resets", "changes",
            "avg_over_time", "min_over_time", "max_over_time", "sum_over_time", "count_over_time", "stddev_over_time",
            "stdvar_over_time", "last_over_time", "present_over_time"};
    static final String[] MATH_FUNCS = {"abs", "ceil", "floor", "round", "exp", "ln", "log2", "log10", "sqrt", "sgn",
            "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "deg", "rad"};
    static final String[] DATE_FUNCS = {"hour", "minute", "month", "year", "day_of_week", "day_of_month", "day_of_year", "days_in_month"};
    static final AggregateOp[] AGGS = {AggregateOp.SUM, AggregateOp.AVG, AggregateOp.MIN, AggregateOp.MAX, AggregateOp.COUNT,
            AggregateOp.GROUP, AggregateOp.STDDEV, AggregateOp.STDVAR, AggregateOp.TOPK, AggregateOp.BOTTOMK,
            AggregateOp.QUANTILE, AggregateOp.COUNT_VALUES};
    static final BinaryOp[] ARITH = {BinaryOp.ADD, BinaryOp.SUB, BinaryOp.MUL, BinaryOp.DIV, BinaryOp.MOD, BinaryOp.POW, BinaryOp.ATAN2};
    static final BinaryOp[] CMP = {BinaryOp.EQL, BinaryOp.NEQ, BinaryOp.GTR, BinaryOp.LSS, BinaryOp.GTE, BinaryOp.LTE};
    static final BinaryOp[] SET = {BinaryOp.AND, BinaryOp.OR, BinaryOp.UNLESS};
    static final long[] RANGES = {30_000, 60_000, 90_000, 2 * 60_000, 5 * 60_000, 10 * 60_000, 47_000, 3 * 60_000 + 20_000};
    static final long[] OFFSETS = {60_000, 5 * 60_000, 30_000, 7 * 60_000 + 30_000, -60_000, 90_000, 2 * 60_000 + 17_000, 250};
    static final long[] SUB_RANGES = {5 * 60_000, 10 * 60_000, 30 * 60_000, 2 * 60_000, 7 * 60_000};
    static final long[] SUB_STEPS = {0, 30_000, 60_000, 17_000, 2 * 60_000, 15_000};

    private final Random rnd;
    private final long dataStart, dataEnd;
    private int subqueryDepth;

    /** @param dataStart, dataEnd the data set's time span (for {@code @} timestamps) */
    DiffQueryGenerator(long seed, long dataStart, long dataEnd) {
        this.rnd = new Random(seed);
        this.dataStart = dataStart;
        this.dataEnd = dataEnd;
    }

    /** A query of instant-vector or (sometimes) scalar type, as range and instant queries accept. */
    /** Queries the engine's parser rejected (static checks the grammar above does not model); retried. */
    int rejected;

    Expr query() {
        for (int i = 0; ; i++) {
            subqueryDepth = 0;
            Expr e = rnd.nextInt(12) == 0 ? scalar(2) : vector(2 + rnd.nextInt(3), null);
            try {
                io.tsdb.query.parser.QueryParser.parse(io.tsdb.query.parser.Printer.print(e));
                return e;
            } catch (RuntimeException ex) {
                rejected++;
                if (i > 100) throw ex;
            }
        }
    }

    private <T> T pick(List<T> l) { return l.get(rnd.nextInt(l.size())); }

    private String pick(String[] a) { return a[rnd.nextInt(a.length)]; }

    private boolean chance(int percent) { return rnd.nextInt(100) < percent; }

    private Metric metric(Metric hint) {
        if (hint != null && chance(70)) return hint;
        return pick(METRICS);
    }

    // ---- instant vectors ----

    Expr vector(int depth, Metric hint) {
        if (depth <= 0) return selector(metric(hint), true);
        int c = rnd.nextInt(100);
        if (c < 10) return selector(metric(hint), true);
        if (c < 30) return rangeFunction(depth, hint);
        if (c < 40) return instantFunction(depth, hint);
        if (c < 58) return aggregation(depth, hint);
        if (c < 70) return vectorScalar(depth, hint);
        if (c < 85) return vectorVector(depth, hint);
        if (c < 89) return new UnaryExpr(true, vector(depth - 1, hint), 0);
        if (c < 92) return new ParenExpr(vector(depth - 1, hint), 0);
        if (c < 95) return histogramQuantile(depth);
        if (c < 97) return labelFunction(depth, hint);
        return otherVectorFunction(depth, hint);
    }

    VectorSelector selector(Metric m, boolean modifiers) {
        List<Matcher> ms = new ArrayList<>();
        String name = m.name();
        if (chance(6)) {
            // A name by regular expression: several metrics in one selector (their names drop together).
            Metric other = pick(METRICS);
            ms.add(Matcher.re("__name__", m.name() + "|" + other.name()));
            name = null;
            m = other.labels().size() < m.labels().size() ? other : m;
        } else {
            ms.add(Matcher.eq("__name__", name));
        }
        int k = chance(55) ? 0 : 1 + rnd.nextInt(2);
        for (int i = 0; i < k; i++) ms.add(matcher(m));
        long offset = modifiers && chance(12) ? OFFSETS[rnd.nextInt(OFFSETS.length)] : 0;
        AtModifier at = modifiers && chance(6) ? at() : null;
        return new VectorSelector(name, List.copyOf(ms), offset, at, 0);
    }

    private AtModifier at() {
        return switch (rnd.nextInt(4)) {
            case 0 -> AtModifier.START;
            case 1 -> AtModifier.END;
            case 2 -> AtModifier.at(dataStart + 40 * 60_000 + rnd.nextInt(60) * 60_000L); // whole minutes
            default -> AtModifier.at(dataStart + 30 * 60_000 + (long) rnd.nextInt((int) ((dataEnd - dataStart) / 2)));
        };
    }

    private Matcher matcher(Metric m) {
        String label = m.labels().isEmpty() || chance(5) ? "nonexistent" : pick(m.labels());
        List<String> values = values(label);
        String v = pick(values);
        return switch (rnd.nextInt(6)) {
            case 0, 1 -> Matcher.eq(label, v);
            case 2 -> Matcher.neq(label, v);
            case 3 -> Matcher.re(label, regex(values));
            case 4 -> Matcher.nre(label, regex(values));
            default -> Matcher.re(label, chance(50) ? ".+" : ".*");
        };
    }

    private String regex(List<String> values) {
        if (chance(30)) {
            String v = pick(values);
            return v.length() > 2 ? v.substring(0, 2).replace("+", "\\+").replace(".", "\\.") + ".*" : ".*";
        }
        String a = pick(values), b = pick(values);
        return quoteRe(a) + "|" + quoteRe(b);
    }

    private static String quoteRe(String s) { return s.replace("+", "\\+").replace(".", "\\."); }

    static List<String> values(String label) {
        return switch (label) {
            case "instance" -> List.of(DiffDataSet.INSTANCES);
            case "job" -> List.of(DiffDataSet.JOBS);
            case "code" -> List.of("200", "500", "404");
            case "method" -> List.of("GET", "POST");
            case "mode" -> List.of(DiffDataSet.MODES);
            case "zone" -> List.of(DiffDataSet.ZONES);
            case "le" -> List.of(DiffDataSet.LES);
            case "batch" -> List.of("b0", "b1");
            default -> List.of("", "x");
        };
    }

    private Expr rangeFunction(int depth, Metric hint) {
        if (chance(5)) return call("quantile_over_time", phi(), matrix(depth, hint));
        if (chance(5)) return call("predict_linear", matrix(depth, hint), chance(70) ? num(pick(new double[]{60, 600, 3600, -300, 0.5})) : scalar(depth - 1));
        if (chance(3)) return call("absent_over_time", matrix(depth, hint));
        String f = pick(RANGE_FUNCS);
        Metric m = metric(hint);
        if ((f.equals("rate") || f.equals("increase") || f.equals("irate") || f.equals("resets")) && chance(60)) {
            List<Metric> counters = METRICS.stream().filter(x -> !x.kind().equals("gauge")).toList();
            m = hint != null && !hint.kind().equals("gauge") ? hint : pick(counters);
        }
        return call(f, matrix(depth, m));
    }

    Expr matrix(int depth, Metric hint) {
        if (depth >= 2 && subqueryDepth < 2 && chance(15)) {
            subqueryDepth++;
            try {
                long range = SUB_RANGES[rnd.nextInt(SUB_RANGES.length)], step = SUB_STEPS[rnd.nextInt(SUB_STEPS.length)];
                long offset = chance(15) ? OFFSETS[rnd.nextInt(OFFSETS.length)] : 0;
                return new SubqueryExpr(vector(depth - 1, hint), range, step, offset, chance(8) ? at() : null, 0);
            } finally {
                subqueryDepth--;
            }
        }
        return new MatrixSelector(selector(metric(hint), true), RANGES[rnd.nextInt(RANGES.length)], 0);
    }

    private Expr instantFunction(int depth, Metric hint) {
        int c = rnd.nextInt(100);
        Expr v = vector(depth - 1, hint);
        if (c < 55) {
            String f = pick(MATH_FUNCS);
            if (f.equals("round") && chance(50)) return call("round", v, num(pick(new double[]{0.5, 10, 0.1, 3})));
            return call(f, v);
        }
        if (c < 70) {
            return switch (rnd.nextInt(3)) {
                case 0 -> call("clamp", v, num(pick(new double[]{0, 10, -5})), num(pick(new double[]{20, 100, 1e9, -10})));
                case 1 -> call("clamp_min", v, num(pick(new double[]{0, 10, 25.5})));
                default -> call("clamp_max", v, num(pick(new double[]{0, 10, 25.5})));
            };
        }
        if (c < 78) return call("timestamp", chance(60) ? selector(metric(hint), true) : v);
        if (c < 85) return call(pick(DATE_FUNCS), v);
        if (c < 92) return call(chance(50) ? "sort" : "sort_desc", v);
        return call("absent", chance(50) ? selector(metric(hint), false) : v);
    }

    private Expr labelFunction(int depth, Metric hint) {
        Metric m = metric(hint);
        Expr v = vector(depth - 1, m);
        List<String> labels = new ArrayList<>(m.labels());
        labels.add("__name__");
        if (chance(65)) {
            String dst = chance(40) ? "host" : chance(50) ? pick(labels) : "instance";
            String src = chance(15) ? "__name__" : pick(labels);
            String[][] rx = {{"(.*)", "$1"}, {"host-(\\d+).*", "h$1"}, {"(.+)", "x-$1"}, {"([a-z]+)_.*", "$1"}, {"", "const"}};
            String[] r = rx[rnd.nextInt(rx.length)];
            return call("label_replace", v, str(dst), str(r[1]), str(src), str(r[0]));
        }
        List<Expr> args = new ArrayList<>(List.of(v, str(chance(50) ? "joined" : pick(labels)), str(pick(new String[]{"-", "", ","}))));
        int k = rnd.nextInt(3);
        for (int i = 0; i < k; i++) args.add(str(chance(10) ? "__name__" : pick(labels)));
        return new Call(FunctionRegistry.lookup("label_join"), List.copyOf(args), 0);
    }

    private Expr otherVectorFunction(int depth, Metric hint) {
        if (chance(50)) return call("vector", scalar(depth - 1));
        return call("histogram_quantile", phi(), selector(METRICS.get(4), true));
    }

    private Expr histogramQuantile(int depth) {
        Metric b = METRICS.get(4);
        Expr rate = call(chance(80) ? "rate" : "increase", new MatrixSelector(selector(b, true), RANGES[3 + rnd.nextInt(3)], 0));
        Expr arg = switch (rnd.nextInt(3)) {
            case 0 -> rate;
            case 1 -> new AggregateExpr(AggregateOp.SUM, rate, null, chance(50) ? List.of("le") : List.of("le", pick(new String[]{"job", "instance"})), false, 0);
            default -> new AggregateExpr(AggregateOp.SUM, rate, null, List.of("instance"), true, 0);
        };
        return call("histogram_quantile", phi(), arg);
    }

    private Expr aggregation(int depth, Metric hint) {
        AggregateOp op = AGGS[rnd.nextInt(AGGS.length)];
        Metric m = metric(hint);
        Expr v = vector(depth - 1, m);
        Expr param = switch (op) {
            case TOPK, BOTTOMK -> chance(85) ? num(1 + rnd.nextInt(3)) : scalar(depth - 1);
            case QUANTILE -> phi();
            case COUNT_VALUES -> str(chance(70) ? "value" : pick(m.labels().isEmpty() ? List.of("value") : m.labels()));
            default -> null;
        };
        List<String> grouping = new ArrayList<>();
        boolean without = false;
        int g = rnd.nextInt(10);
        if (g >= 3) {
            without = g >= 8;
            int k = 1 + rnd.nextInt(2);
            for (int i = 0; i < k; i++) {
                String l = chance(90) && !m.labels().isEmpty() ? pick(m.labels()) : pick(ALL_LABELS);
                if (!grouping.contains(l)) grouping.add(l);
            }
        }
        return new AggregateExpr(op, v, param, List.copyOf(grouping), without, 0);
    }

    private Expr vectorScalar(int depth, Metric hint) {
        boolean cmp = chance(45);
        BinaryOp op = cmp ? CMP[rnd.nextInt(CMP.length)] : ARITH[rnd.nextInt(ARITH.length)];
        Expr v = vector(depth - 1, hint), s = chance(80) ? num(constant()) : scalar(depth - 1);
        boolean swap = chance(25);
        return new BinaryExpr(op, swap ? s : v, swap ? v : s, null, cmp && chance(35), 0);
    }

    private Expr vectorVector(int depth, Metric hint) {
        Metric m = metric(hint);
        int c = rnd.nextInt(100);
        BinaryOp op = c < 45 ? ARITH[rnd.nextInt(ARITH.length)] : c < 75 ? CMP[rnd.nextInt(CMP.length)] : SET[rnd.nextInt(SET.length)];
        // Both sides usually from the same metric (they match label for label), sometimes from another one.
        Expr l = vector(depth - 1, m), r = vector(depth - 1, chance(75) ? m : pick(METRICS));
        VectorMatching matching;
        int k = rnd.nextInt(100);
        if (op.isSetOperator()) {
            matching = k < 50 ? new VectorMatching(Cardinality.MANY_TO_MANY, false, List.of(), List.of())
                    : new VectorMatching(Cardinality.MANY_TO_MANY, k < 80, labelList(m), List.of());
        } else if (k < 45) {
            matching = VectorMatching.DEFAULT;
        } else if (k < 75) {
            matching = new VectorMatching(Cardinality.ONE_TO_ONE, chance(60), labelList(m), List.of());
        } else {
            Cardinality card = chance(60) ? Cardinality.MANY_TO_ONE : Cardinality.ONE_TO_MANY;
            List<String> on = labelList(m);
            String inc = pick(ALL_LABELS);
            List<String> include = chance(50) || on.contains(inc) ? List.of() : List.of(inc);
            matching = new VectorMatching(card, chance(70), on, include);
        }
        boolean bool = op.isComparison() && chance(35);
        return new BinaryExpr(op, l, r, matching, bool, 0);
    }

    private List<String> labelList(Metric m) {
        List<String> out = new ArrayList<>();
        int k = rnd.nextInt(3);
        for (int i = 0; i < k; i++) {
            String l = chance(85) && !m.labels().isEmpty() ? pick(m.labels()) : pick(ALL_LABELS);
            if (!out.contains(l)) out.add(l);
        }
        return List.copyOf(out);
    }

    // ---- scalars ----

    Expr scalar(int depth) {
        int c = rnd.nextInt(100);
        if (depth <= 0 || c < 55) return num(constant());
        if (c < 75) return call("scalar", vector(depth - 1, null));
        if (c < 82) return call("time");
        if (c < 85) return call("pi");
        if (c < 95) {
            boolean cmp = chance(25);
            BinaryOp op = cmp ? CMP[rnd.nextInt(CMP.length)] : ARITH[rnd.nextInt(ARITH.length - 1)];
            return new BinaryExpr(op, scalar(depth - 1), scalar(depth - 1), null, cmp, 0); // scalar comparisons need bool
        }
        return new UnaryExpr(true, scalar(depth - 1), 0);
    }

    private double constant() {
        return pick(new double[]{0, 1, 2, 10, 0.5, 3, 100, 1e9, 25, -1, 0.1, 7});
    }

    private Expr phi() { return num(pick(new double[]{0.5, 0.9, 0.99, 0, 1, 0.25, -0.5, 1.5})); }

    private double pick(double[] a) { return a[rnd.nextInt(a.length)]; }

    private static Expr num(double v) {
        return v < 0 ? new UnaryExpr(true, new NumberLiteral(-v, 0), 0) : new NumberLiteral(v, 0);
    }

    private static Expr str(String s) { return new StringLiteral(s, 0); }

    private static Call call(String f, Expr... args) {
        return new Call(FunctionRegistry.lookup(f), List.of(args), 0);
    }
}
