package io.tsdb.query.parser;

import io.tsdb.query.ast.ValueType;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static io.tsdb.query.ast.ValueType.MATRIX;
import static io.tsdb.query.ast.ValueType.SCALAR;
import static io.tsdb.query.ast.ValueType.STRING;
import static io.tsdb.query.ast.ValueType.VECTOR;

/**
 * The signature table of every function of the language (PromQL 3.x functions for float samples, the
 * native-histogram accessors, which accept float vectors and return nothing for them, and the
 * functions Prometheus marks experimental). Argument counts and types are checked at parse time.
 */
public final class Functions {

    /**
     * A function signature.
     *
     * @param variadic 0: exactly {@code argTypes.size()} arguments; n > 0: the last argument type may
     *                 be omitted or repeated up to n times in total; -1: the last may be repeated any
     *                 number of times (and omitted)
     * @param experimental whether Prometheus puts it behind --enable-feature=promql-experimental-functions
     *                 (all are enabled here)
     */
    public record Function(String name, List<ValueType> argTypes, int variadic, ValueType returnType, boolean experimental) {
        public int minArgs() { return variadic == 0 ? argTypes.size() : argTypes.size() - 1; }

        /** Maximum number of arguments, or Integer.MAX_VALUE. */
        public int maxArgs() {
            if (variadic == 0) return argTypes.size();
            if (variadic < 0) return Integer.MAX_VALUE;
            return argTypes.size() - 1 + variadic;
        }

        /** The expected type of argument i (repeating the last type for variadic functions). */
        public ValueType argType(int i) {
            return i < argTypes.size() ? argTypes.get(i) : argTypes.get(argTypes.size() - 1);
        }
    }

    private static final Map<String, Function> TABLE = new TreeMap<>();

    private static void f(String name, ValueType ret, ValueType... args) { add(name, 0, false, ret, args); }

    private static void add(String name, int variadic, boolean experimental, ValueType ret, ValueType... args) {
        TABLE.put(name, new Function(name, List.of(args), variadic, ret, experimental));
    }

    static {
        // Counters and gauges over ranges.
        for (String n : List.of("rate", "irate", "increase", "delta", "idelta", "deriv", "resets", "changes",
                "avg_over_time", "min_over_time", "max_over_time", "sum_over_time", "count_over_time",
                "stddev_over_time", "stdvar_over_time", "last_over_time", "present_over_time", "absent_over_time")) {
            f(n, VECTOR, MATRIX);
        }
        for (String n : List.of("mad_over_time", "first_over_time", "ts_of_first_over_time", "ts_of_last_over_time",
                "ts_of_max_over_time", "ts_of_min_over_time")) {
            add(n, 0, true, VECTOR, MATRIX);
        }
        f("quantile_over_time", VECTOR, SCALAR, MATRIX);
        f("predict_linear", VECTOR, MATRIX, SCALAR);
        add("double_exponential_smoothing", 0, true, VECTOR, MATRIX, SCALAR, SCALAR);
        // Histograms (classic buckets via histogram_quantile/histogram_fraction; native accessors).
        f("histogram_quantile", VECTOR, SCALAR, VECTOR);
        f("histogram_fraction", VECTOR, SCALAR, SCALAR, VECTOR);
        add("histogram_quantiles", 9, true, VECTOR, VECTOR, STRING, SCALAR, SCALAR);
        for (String n : List.of("histogram_avg", "histogram_count", "histogram_sum", "histogram_stddev", "histogram_stdvar")) {
            f(n, VECTOR, VECTOR);
        }
        // Element-wise math.
        for (String n : List.of("abs", "ceil", "floor", "exp", "ln", "log2", "log10", "sqrt", "sgn",
                "acos", "acosh", "asin", "asinh", "atan", "atanh", "cos", "cosh", "sin", "sinh", "tan", "tanh",
                "deg", "rad", "absent", "sort", "sort_desc", "timestamp")) {
            f(n, VECTOR, VECTOR);
        }
        add("round", 1, false, VECTOR, VECTOR, SCALAR);
        f("clamp", VECTOR, VECTOR, SCALAR, SCALAR);
        f("clamp_min", VECTOR, VECTOR, SCALAR);
        f("clamp_max", VECTOR, VECTOR, SCALAR);
        f("pi", SCALAR);
        f("time", SCALAR);
        f("scalar", SCALAR, VECTOR);
        f("vector", VECTOR, SCALAR);
        // Labels and ordering.
        f("label_replace", VECTOR, VECTOR, STRING, STRING, STRING, STRING);
        add("label_join", -1, false, VECTOR, VECTOR, STRING, STRING, STRING);
        add("sort_by_label", -1, true, VECTOR, VECTOR, STRING);
        add("sort_by_label_desc", -1, true, VECTOR, VECTOR, STRING);
        // Dates (argument defaults to vector(time())).
        for (String n : List.of("day_of_month", "day_of_week", "day_of_year", "days_in_month", "hour", "minute", "month", "year")) {
            add(n, 1, false, VECTOR, VECTOR);
        }
        // Query-range accessors (Prometheus 3 experimental; in PromQL lexed as case-insensitive keywords).
        for (String n : List.of("start", "end", "range", "step")) add(n, 0, true, SCALAR);
        add("min_of", 0, true, SCALAR, SCALAR, SCALAR);
        add("max_of", 0, true, SCALAR, SCALAR, SCALAR);
        add("start_timestamp", 0, true, VECTOR, VECTOR);
        // Info metrics.
        add("info", 1, true, VECTOR, VECTOR, VECTOR);
    }

    private Functions() {}

    /** The signature of the named function (case-sensitive, as in PromQL), or null. */
    public static Function get(String name) {
        Function f = TABLE.get(name);
        if (f == null && KEYWORD_FUNCTIONS.contains(name.toLowerCase(java.util.Locale.ROOT))) {
            f = TABLE.get(name.toLowerCase(java.util.Locale.ROOT));
        }
        return f;
    }

    /** Functions whose names PromQL lexes as keywords, hence case-insensitively. */
    private static final java.util.Set<String> KEYWORD_FUNCTIONS = java.util.Set.of("start", "end", "range", "step", "min_of", "max_of");

    /** All functions by name. */
    public static Map<String, Function> all() { return Collections.unmodifiableMap(TABLE); }
}
