package io.tsdb.query.engine.eval;

import io.tsdb.core.Labels;
import io.tsdb.core.testing.MemStorage;
import io.tsdb.query.ast.Call;
import io.tsdb.query.ast.ValueType;
import io.tsdb.query.engine.PromqlEngine;
import io.tsdb.query.engine.QueryException;
import io.tsdb.query.engine.QueryOptions;
import io.tsdb.query.engine.Value;
import io.tsdb.query.engine.eval.FunctionDef.Samples;
import io.tsdb.query.parser.ParseException;
import io.tsdb.query.parser.QueryParser;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The one function registry: every entry is reachable from the parser and evaluates through its implementation. */
class FunctionRegistryTest {

    /** A call of f with its minimum arguments (plus one repeated argument when it is variadic). */
    private static String callOf(FunctionDef f) {
        int n = f.variadic() == 0 ? f.params().size() : f.minArgs() + 1;
        List<String> args = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ValueType t = f.argType(i);
            args.add(switch (t) {
                case SCALAR -> "0." + (5 - i % 4); // distinct: histogram_quantiles labels its series by them
                case STRING -> "\"lbl\"";
                case VECTOR -> f.name().equals("info") && i == 1 ? "{job=\"j\"}" : "m";
                case MATRIX -> "m[5m]";
            });
        }
        return f.name() + "(" + String.join(", ", args) + ")";
    }

    @Test
    void everyFunctionParsesToItsEntryAndEvaluatesInstantAndRange() {
        MemStorage storage = new MemStorage();
        for (int s = 0; s < 3; s++) {
            Labels l = Labels.of("__name__", "m", "job", "j", "instance", "i" + s, "le", String.valueOf(s));
            for (int k = 0; k <= 60; k++) storage.add(l, k * 10_000L, s * k + 1.0);
        }
        PromqlEngine engine = new PromqlEngine(storage);
        assertTrue(FunctionRegistry.all().size() >= 90, "functions: " + FunctionRegistry.all().size());
        for (FunctionDef f : FunctionRegistry.all().values()) {
            String q = callOf(f);
            Call c = assertInstanceOf(Call.class, QueryParser.parse(q), q);
            assertSame(f, c.fn(), q);
            assertEquals(f.returnType(), c.type(), q);
            if (f.name().equals("start_timestamp")) {
                QueryException e = assertThrows(QueryException.class, () -> engine.instant(q, 600_000, QueryOptions.DEFAULTS));
                assertEquals("function \"start_timestamp\" is not supported", e.getMessage());
                continue;
            }
            Value instant = assertDoesNotThrow(() -> engine.instant(q, 600_000, QueryOptions.DEFAULTS).value(), q);
            assertEquals(f.returnType() == ValueType.SCALAR, instant instanceof Value.Scalar, q);
            Value range = assertDoesNotThrow(() -> engine.range(q, 300_000, 600_000, 60_000, QueryOptions.DEFAULTS).value(), q);
            assertInstanceOf(Value.Matrix.class, range, q);
        }
    }

    @Test
    void keywordFunctionsAreCaseInsensitiveOthersAreNot() {
        assertSame(FunctionRegistry.lookup("step"), FunctionRegistry.lookup("STEP"));
        assertSame(FunctionRegistry.lookup("min_of"), FunctionRegistry.lookup("Min_Of"));
        assertNotNull(FunctionRegistry.lookup("rate"));
        assertNull(FunctionRegistry.lookup("RATE"));
        assertNull(FunctionRegistry.lookup("holt_winters")); // renamed double_exponential_smoothing in Prometheus 3
    }

    @Test
    void histogramFunctionsDeclareWhichSamplesTheyTake() {
        for (String n : List.of("histogram_count", "histogram_sum", "histogram_avg", "histogram_stddev", "histogram_stdvar")) {
            FunctionDef f = FunctionRegistry.lookup(n);
            assertEquals(Samples.HISTOGRAMS, f.param(0).samples(), n);
            assertEquals(Samples.FLOATS, f.returns(), n);
            assertEquals(n + "(instant-vector) instant-vector", f.signature());
        }
        // Classic (float le buckets) and native histograms alike.
        assertEquals(Samples.ANY, FunctionRegistry.lookup("histogram_quantile").param(1).samples());
        assertEquals("histogram_fraction(scalar, scalar, instant-vector) instant-vector",
                FunctionRegistry.lookup("histogram_fraction").signature());
        // rate keeps the kind of its input (a histogram rate is a histogram); min_over_time ignores histograms.
        assertEquals(Samples.AS_INPUT, FunctionRegistry.lookup("rate").returns());
        assertTrue(FunctionRegistry.lookup("rate").acceptsHistograms());
        assertFalse(FunctionRegistry.lookup("min_over_time").acceptsHistograms());
        assertFalse(FunctionRegistry.lookup("abs").acceptsHistograms());
        assertTrue(FunctionRegistry.lookup("absent").acceptsHistograms());
        assertThrows(IllegalArgumentException.class, () -> new FunctionDef.Param(ValueType.SCALAR, Samples.FLOATS));
        assertThrows(IllegalArgumentException.class, () -> new FunctionDef.Param(ValueType.VECTOR, Samples.AS_INPUT));
    }

    @Test
    void parseErrorsComeFromTheDeclaredSignatures() {
        assertEquals("1:17: expected type instant vector in call to function \"histogram_count\", got scalar",
                assertThrows(ParseException.class, () -> QueryParser.parse("histogram_count(1)")).getMessage());
        assertEquals("1:1: expected 3 argument(s) in call to \"histogram_fraction\", got 2",
                assertThrows(ParseException.class, () -> QueryParser.parse("histogram_fraction(0.5, m)")).getMessage());
        assertEquals("1:1: expected at least 3 argument(s) in call to \"histogram_quantiles\", got 2",
                assertThrows(ParseException.class, () -> QueryParser.parse("histogram_quantiles(m, \"q\")")).getMessage());
        // info's own check runs before the type checks, at the selector it rejects.
        assertEquals("1:9: expected label selectors only, got vector selector instead",
                assertThrows(ParseException.class, () -> QueryParser.parse("info(m, target_info)")).getMessage());
        assertEquals("1:1: expected type instant vector in call to function \"info\", got scalar",
                assertThrows(ParseException.class, () -> QueryParser.parse("info(m, 1)")).getMessage());
    }

    @Test
    void signaturesShowOptionalAndRepeatedArguments() {
        assertEquals("round(instant-vector, [scalar]) instant-vector", FunctionRegistry.lookup("round").signature());
        assertEquals("label_join(instant-vector, string, string, [string, ...]) instant-vector",
                FunctionRegistry.lookup("label_join").signature());
        assertEquals("year([instant-vector]) instant-vector", FunctionRegistry.lookup("year").signature());
        assertEquals("time() scalar", FunctionRegistry.lookup("time").signature());
        assertTrue(FunctionRegistry.lookup("step").readsQueryRange());
        assertFalse(FunctionRegistry.lookup("time").readsQueryRange());
    }

    @Test
    void evalTimeFunctionsAreUpstreamsAtModifierUnsafeOnesAndTheQueryRangeAccessors() {
        java.util.Set<String> names = new java.util.TreeSet<>();
        for (FunctionDef f : FunctionRegistry.all().values()) if (f.readsEvalTime()) names.add(f.name());
        assertEquals(new java.util.TreeSet<>(List.of("days_in_month", "day_of_month", "day_of_week", "day_of_year",
                "hour", "minute", "month", "year", "predict_linear", "time", "timestamp", "start", "end", "range", "step")), names);
    }

    @Test
    void aFunctionCannotBeDeclaredTwice() {
        FunctionRegistry.Builder b = new FunctionRegistry.Builder();
        b.scalar("f").impl((FunctionDef.Special) (ev, c, ts) -> null);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> b.scalar("f").impl((FunctionDef.Special) (ev, c, ts) -> null));
        assertEquals("function declared twice: f", e.getMessage());
    }
}
