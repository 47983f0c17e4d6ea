package io.tsdb.query.engine.eval;

import io.tsdb.query.ast.ValueType;
import io.tsdb.query.engine.eval.FunctionDef.ArgCheck;
import io.tsdb.query.engine.eval.FunctionDef.Impl;
import io.tsdb.query.engine.eval.FunctionDef.Param;
import io.tsdb.query.engine.eval.FunctionDef.Samples;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The one table of PromQL functions. Each function is declared once, by its family's class, with its signature,
 * which samples it takes and returns, its flags and its implementation:
 * <ul>
 *   <li>{@link MathFunctions}: element-wise math, clamp/round, dates, scalar/vector/time/pi and the query-range
 *       accessors;</li>
 *   <li>{@link RangeFunctions}: the functions over a range vector's windows (rate, *_over_time...);</li>
 *   <li>{@link LabelFunctions}: label_replace/label_join, the sorts, absent, timestamp and info;</li>
 *   <li>{@link Histograms}: histogram_quantile, histogram_fraction and the native-histogram accessors.</li>
 * </ul>
 * The parser checks calls against it and stores the entry in the {@link io.tsdb.query.ast.Call}, the evaluator
 * dispatches through the entry's {@link Impl}, and the server's tools (query cache, console completion) read it.
 * Adding a function means adding one {@link Builder} line in its family.
 */
public final class FunctionRegistry {
    /** Shorthands for scalar, string, float-vector... parameters (before the table: its families use them). */
    static final Param SCALAR = new Param(ValueType.SCALAR, Samples.NONE);
    static final Param STRING = new Param(ValueType.STRING, Samples.NONE);
    static final Param FLOAT_VECTOR = new Param(ValueType.VECTOR, Samples.FLOATS);
    static final Param ANY_VECTOR = new Param(ValueType.VECTOR, Samples.ANY);
    static final Param HISTOGRAM_VECTOR = new Param(ValueType.VECTOR, Samples.HISTOGRAMS);
    static final Param FLOAT_MATRIX = new Param(ValueType.MATRIX, Samples.FLOATS);
    static final Param ANY_MATRIX = new Param(ValueType.MATRIX, Samples.ANY);

    private static final Map<String, FunctionDef> TABLE;

    /** Functions whose names PromQL lexes as keywords, hence case-insensitively. */
    private static final Set<String> KEYWORD_FUNCTIONS = Set.of("start", "end", "range", "step", "min_of", "max_of");

    static {
        Builder b = new Builder();
        MathFunctions.declare(b);
        RangeFunctions.declare(b);
        LabelFunctions.declare(b);
        Histograms.declare(b);
        TABLE = Collections.unmodifiableMap(b.table);
    }

    private FunctionRegistry() {}

    /** The named function (case-sensitive, as in PromQL, except the keyword-like ones), or null. */
    public static FunctionDef lookup(String name) {
        FunctionDef f = TABLE.get(name);
        if (f == null) {
            String lower = name.toLowerCase(Locale.ROOT);
            if (KEYWORD_FUNCTIONS.contains(lower)) f = TABLE.get(lower);
        }
        return f;
    }

    /** All functions by name, sorted. */
    public static Map<String, FunctionDef> all() { return TABLE; }

    /** What a family uses to declare its functions; one call a function. */
    static final class Builder {
        private final Map<String, FunctionDef> table = new TreeMap<>();

        /** Starts a declaration of a function returning {@code returnType} holding {@code returns} samples. */
        Decl fn(String name, ValueType returnType, Samples returns) { return new Decl(this, name, returnType, returns); }

        /** A function returning a float instant vector. */
        Decl vector(String name) { return fn(name, ValueType.VECTOR, Samples.FLOATS); }

        /** A function returning an instant vector with the samples of its input (floats, histograms or both). */
        Decl sameVector(String name) { return fn(name, ValueType.VECTOR, Samples.AS_INPUT); }

        /** A function returning a scalar. */
        Decl scalar(String name) { return fn(name, ValueType.SCALAR, Samples.NONE); }

        private void add(FunctionDef f) {
            if (table.putIfAbsent(f.name(), f) != null) throw new IllegalStateException("function declared twice: " + f.name());
        }
    }

    /** One declaration in progress: {@code b.vector("abs").args(FLOAT_VECTOR).impl(...)}. */
    static final class Decl {
        private final Builder b;
        private final String name;
        private final ValueType returnType;
        private final Samples returns;
        private final List<Param> params = new ArrayList<>();
        private int variadic;
        private boolean experimental, readsQueryRange, readsEvalTime;
        private ArgCheck check;

        private Decl(Builder b, String name, ValueType returnType, Samples returns) {
            this.b = b;
            this.name = name;
            this.returnType = returnType;
            this.returns = returns;
        }

        Decl args(Param... ps) {
            params.addAll(List.of(ps));
            return this;
        }

        /** The last parameter may be omitted or repeated up to n times in total (-1: any number of times). */
        Decl variadic(int n) {
            variadic = n;
            return this;
        }

        Decl experimental() {
            experimental = true;
            return this;
        }

        /** Implies {@link #readsEvalTime()}: an {@code @} on the selectors does not pin the query's range either. */
        Decl readsQueryRange() {
            readsQueryRange = true;
            readsEvalTime = true;
            return this;
        }

        Decl readsEvalTime() {
            readsEvalTime = true;
            return this;
        }

        Decl check(ArgCheck c) {
            check = c;
            return this;
        }

        /** Ends the declaration with the function's implementation. */
        void impl(Impl impl) {
            b.add(new FunctionDef(name, params, variadic, returnType, returns, experimental, readsQueryRange, readsEvalTime,
                    check, impl));
        }
    }
}
