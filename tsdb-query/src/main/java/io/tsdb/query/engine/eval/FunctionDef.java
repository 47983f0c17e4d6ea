package io.tsdb.query.engine.eval;

import io.tsdb.query.ast.Call;
import io.tsdb.query.ast.Expr;
import io.tsdb.query.ast.FunctionRef;
import io.tsdb.query.ast.ValueType;
import io.tsdb.query.engine.eval.Vals.Val;

import java.util.List;
import java.util.function.DoubleUnaryOperator;

/**
 * One function of the language as the {@link FunctionRegistry} declares it: everything the parser, the
 * evaluator and the tools need, in one entry.
 *
 * @param name         the name as PromQL spells it
 * @param params       the parameters in order; for a variadic function the last one is the repeated one
 * @param variadic     0: exactly {@code params.size()} arguments; n > 0: the last parameter may be omitted or
 *                     repeated up to n times in total; -1: the last may be repeated any number of times (or omitted)
 * @param returnType   the static type of a call
 * @param returns      which samples a call's result holds (for vectors)
 * @param experimental whether Prometheus puts it behind --enable-feature=promql-experimental-functions (all are
 *                     enabled here)
 * @param readsQueryRange whether its value at a step depends on the query's start, end or step, not only on the
 *                     step's time (start(), end(), range(), step()): such queries cannot be cached per step
 * @param readsEvalTime whether its value depends on the evaluation time itself, not only on the samples its
 *                     arguments select (time(), timestamp(), the date functions, predict_linear, the query-range
 *                     accessors): Prometheus' "@-modifier unsafe" functions, whose result {@code @} does not pin
 * @param argCheck     a parse-time check beyond argument counts and types (null: none)
 * @param impl         how a call is evaluated
 */
public record FunctionDef(String name, List<Param> params, int variadic, ValueType returnType, Samples returns,
                          boolean experimental, boolean readsQueryRange, boolean readsEvalTime, ArgCheck argCheck,
                          Impl impl)
        implements FunctionRef {

    /**
     * Which kind of samples a vector or matrix parameter accepts or a result holds. Functions that do not accept
     * histograms ignore histogram samples (as Prometheus does), those that do not accept floats ignore floats.
     */
    public enum Samples {
        /** A scalar or string: no samples. */
        NONE,
        FLOATS,
        HISTOGRAMS,
        /** Float and histogram samples. */
        ANY,
        /** Result only: the kind of the (first vector or matrix) argument's samples. */
        AS_INPUT;

        public boolean acceptsFloats() { return this == FLOATS || this == ANY; }

        public boolean acceptsHistograms() { return this == HISTOGRAMS || this == ANY; }
    }

    /** A parameter: its static type and, for vectors and matrices, which samples it takes. */
    public record Param(ValueType type, Samples samples) {
        public Param {
            if ((type == ValueType.SCALAR || type == ValueType.STRING) != (samples == Samples.NONE) || samples == Samples.AS_INPUT) {
                throw new IllegalArgumentException(type + " parameter cannot take " + samples);
            }
        }
    }

    /** How a call is evaluated; resolved once, when the parser builds the {@link Call}. */
    public sealed interface Impl permits Special, Elementwise, Window {
        Val eval(Evaluator ev, Call c, long[] ts);
    }

    /** A function with its own evaluation over all steps at once (label functions, absent, histograms...). */
    @FunctionalInterface
    public non-sealed interface Special extends Impl {}

    /**
     * A float function applied to every present sample of its instant-vector argument; the result drops the
     * metric name.
     */
    public record Elementwise(DoubleUnaryOperator op) implements Impl {
        @Override
        public Val eval(Evaluator ev, Call c, long[] ts) {
            return FunctionSupport.mapRows(ev.vec(c.args().get(0), ts), (i, x) -> op.applyAsDouble(x));
        }
    }

    /**
     * A function of the samples in a sliding window of its range-vector argument (rate, *_over_time...): the
     * kernel is {@link RangeFunctions#apply}, chosen by {@code kernel}.
     */
    public record Window(RangeFunctions.Fn kernel) implements Impl {
        @Override
        public Val eval(Evaluator ev, Call c, long[] ts) {
            return ev.ranges.call(c, kernel, ts);
        }
    }

    /** A parse-time check of a call's arguments; returns null when they are fine. */
    @FunctionalInterface
    public interface ArgCheck {
        ArgError check(List<Expr> args);
    }

    /** A parse error found by an {@link ArgCheck}: where (character offset; negative: the call's) and what. */
    public record ArgError(int pos, String message) {}

    public FunctionDef {
        params = List.copyOf(params);
        if (variadic != 0 && params.isEmpty()) throw new IllegalArgumentException(name + ": variadic without parameters");
    }

    public int minArgs() { return variadic == 0 ? params.size() : params.size() - 1; }

    /** Maximum number of arguments, or Integer.MAX_VALUE. */
    public int maxArgs() {
        if (variadic == 0) return params.size();
        if (variadic < 0) return Integer.MAX_VALUE;
        return params.size() - 1 + variadic;
    }

    /** The parameter argument i binds to (repeating the last one for variadic functions). */
    public Param param(int i) { return params.get(Math.min(i, params.size() - 1)); }

    /** The expected type of argument i. */
    public ValueType argType(int i) { return param(i).type(); }

    /** Whether any vector or matrix parameter takes native histogram samples. */
    public boolean acceptsHistograms() {
        for (Param p : params) if (p.samples().acceptsHistograms()) return true;
        return false;
    }

    /** The signature as the documentation writes it, e.g. {@code round(instant-vector, [scalar]) instant-vector}. */
    public String signature() {
        StringBuilder sb = new StringBuilder(name).append('(');
        for (int i = 0; i < params.size(); i++) {
            if (i > 0) sb.append(", ");
            String t = params.get(i).type().description.replace(' ', '-');
            boolean last = i == params.size() - 1;
            if (last && variadic != 0) sb.append('[').append(t).append(variadic == 1 ? "" : ", ...").append(']');
            else sb.append(t);
        }
        return sb.append(") ").append(returnType.description.replace(' ', '-')).toString();
    }

    @Override
    public String toString() { return signature(); }
}
