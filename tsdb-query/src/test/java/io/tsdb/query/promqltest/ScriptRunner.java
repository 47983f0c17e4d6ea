package io.tsdb.query.promqltest;

import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.testing.MemStorage;
import io.tsdb.query.ast.AggregateExpr;
import io.tsdb.query.ast.BinaryExpr;
import io.tsdb.query.ast.Call;
import io.tsdb.query.ast.Expr;
import io.tsdb.query.ast.MatrixSelector;
import io.tsdb.query.ast.ParenExpr;
import io.tsdb.query.ast.SubqueryExpr;
import io.tsdb.query.ast.UnaryExpr;
import io.tsdb.query.ast.VectorSelector;
import io.tsdb.query.engine.PromqlEngine;
import io.tsdb.query.engine.QueryException;
import io.tsdb.query.engine.QueryOptions;
import io.tsdb.query.engine.QueryResult;
import io.tsdb.query.engine.Sample;
import io.tsdb.query.engine.Series;
import io.tsdb.query.engine.Value;
import io.tsdb.query.parser.QueryParser;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** Executes a promqltest script against {@link PromqlEngine} over {@link MemStorage}. */
final class ScriptRunner {
    enum Status { PASSED, FAILED, SKIPPED }

    record CaseResult(String file, int line, String expr, Status status, String message) {}

    static final double EPSILON = 1e-6;
    private static final Pattern QUERY_CONTEXT_FUNCS = Pattern.compile("(start|end|range|step)\\(\\)");

    private final MemStorage storage = new MemStorage();
    private final PromqlEngine engine;
    private final QueryOptions opts = new QueryOptions(QueryOptions.DEFAULT_LOOKBACK_MS, 60_000, 50_000_000L, 0, false);

    ScriptRunner() {
        engine = new PromqlEngine(storage, opts, 60_000L);
    }

    List<CaseResult> run(String file, Script script) {
        List<CaseResult> out = new ArrayList<>();
        for (Script.Cmd c : script.cmds) {
            if (c instanceof Script.Clear) {
                storage.clear();
            } else if (c instanceof Script.Load l) {
                load(l);
            } else {
                Script.Eval ev = (Script.Eval) c;
                out.add(runCase(file, ev));
            }
        }
        return out;
    }

    private void load(Script.Load l) { load(l, storage); }

    /** Adds a load command's samples to the storage. */
    static void load(Script.Load l, MemStorage storage) {
        for (SeriesDesc.Parsed s : l.series()) {
            List<SeriesDesc.Val> vals = s.values();
            for (int i = 0; i < vals.size(); i++) {
                SeriesDesc.Val v = vals.get(i);
                if (v.omitted()) continue;
                if (v.histogram()) storage.addHistogram(s.labels(), i * l.intervalMs(), v.hist());
                else storage.add(s.labels(), i * l.intervalMs(), v.value());
            }
        }
        if (l.withNhcb()) Nhcb.convert(l, storage);
    }

    private CaseResult runCase(String file, Script.Eval ev) {
        String expr = ev.expr;
        try {
            Expr parsed = null;
            try {
                parsed = engine.parse(expr, ev.range ? new QueryParser.QueryRange(ev.step, ev.end - ev.start)
                        : new QueryParser.QueryRange(0, 0));
            } catch (QueryException e) {
                if (ev.isFail()) {
                    String err = checkExpectedFailure(ev, e.getMessage());
                    return err == null ? pass(file, ev) : fail(file, ev, err);
                }
                return fail(file, ev, "parse error: " + e.getMessage());
            }
            String err = ev.range ? execRange(ev, parsed) : execInstant(ev, parsed);
            return err == null ? pass(file, ev) : fail(file, ev, err);
        } catch (RuntimeException | StackOverflowError e) {
            return fail(file, ev, "unexpected " + e);
        }
    }

    private static CaseResult pass(String file, Script.Eval ev) {
        return new CaseResult(file, ev.line, ev.expr, Status.PASSED, "");
    }

    private static CaseResult fail(String file, Script.Eval ev, String msg) {
        return new CaseResult(file, ev.line, ev.expr, Status.FAILED, msg);
    }

    private String execRange(Script.Eval ev, Expr parsed) {
        QueryResult res;
        try {
            res = engine.range(ev.expr, parsed, ev.start, ev.end, ev.step, opts);
        } catch (QueryException e) {
            if (ev.isFail()) return checkExpectedFailure(ev, e.getMessage());
            return "error evaluating range query: " + e.getMessage();
        }
        if (ev.isFail()) return "expected error evaluating query but got none";
        String a = checkAnnotations(ev, res);
        if (a != null) return a;
        return compare(ev, res.value());
    }

    private String execInstant(Script.Eval ev, Expr parsed) {
        List<Expr> variants = new ArrayList<>();
        List<Long> times = new ArrayList<>();
        variants.add(parsed);
        times.add(ev.evalTime);
        if (!AtRewriter.containsUnsafe(parsed)) {
            long ts = ev.evalTime;
            Expr at = AtRewriter.rewrite(parsed, ts);
            long[] extra = ts == 0 ? new long[]{-1000, 0, 1000} : new long[]{-10 * ts, 0, ts / 5, ts, 10 * ts};
            for (long t : extra) { variants.add(at); times.add(t); }
        }
        for (int i = 0; i < variants.size(); i++) {
            String err = runInstant(ev, variants.get(i), times.get(i), i > 0);
            if (err != null) return (i > 0 ? "[@ " + ev.evalTime + "ms variant evaluated at " + times.get(i) + "ms] " : "") + err;
        }
        return null;
    }

    private String runInstant(Script.Eval ev, Expr expr, long t, boolean atVariant) {
        QueryResult res;
        try {
            res = engine.instant(ev.expr, expr, t, opts);
        } catch (QueryException e) {
            if (ev.isFail()) return checkExpectedFailure(ev, e.getMessage());
            return "error evaluating query: " + e.getMessage();
        }
        if (ev.isFail()) return "expected error evaluating query but got none";
        String a = checkAnnotations(ev, res);
        if (a != null) return a;
        String c = compare(ev, res.value());
        if (c != null) return c;
        if (ev.excludeFromRangeQuery || QUERY_CONTEXT_FUNCS.matcher(ev.expr).find()) return null;
        QueryResult rr;
        try {
            rr = engine.range(ev.expr, expr, t - 60_000, t + 60_000, 60_000, opts);
        } catch (QueryException e) {
            return "error evaluating query in range mode: " + e.getMessage();
        }
        if (ev.isOrdered()) return null;
        List<Sample> vec = new ArrayList<>();
        for (Series s : ((Value.Matrix) rr.value()).series()) {
            for (int i = 0; i < s.count(); i++) {
                if (s.timestamps()[i] == t) { vec.add(new Sample(s.labels(), t, s.values()[i])); break; }
            }
            for (int i = 0; i < s.histogramCount(); i++) {
                if (s.histogramTimestamps()[i] == t) { vec.add(Sample.ofHistogram(s.labels(), t, s.histograms()[i])); break; }
            }
        }
        String rc;
        if (res.value() instanceof Value.Scalar) {
            if (vec.isEmpty()) return "range mode: scalar query returned no points";
            rc = compare(ev, new Value.Scalar(t, vec.get(0).value()));
        } else {
            rc = compare(ev, new Value.Vector(vec, false));
        }
        return rc == null ? null : "range mode: " + rc;
    }

    private static String checkExpectedFailure(Script.Eval ev, String actual) {
        if (ev.expectedFailMessage != null && !ev.expectedFailMessage.equals(actual)) {
            return "expected error \"" + ev.expectedFailMessage + "\" but got: " + actual;
        }
        if (ev.expectedFailRegexp != null && !Pattern.compile(ev.expectedFailRegexp).matcher(actual).find()) {
            return "expected error matching " + ev.expectedFailRegexp + " but got: " + actual;
        }
        List<Script.Expect> f = ev.expects.get("fail");
        if (f != null && !f.isEmpty() && !f.get(0).matches(actual)) {
            return "expected error matching \"" + f.get(0) + "\" but got: " + actual;
        }
        return null;
    }

    private static String checkAnnotations(Script.Eval ev, QueryResult res) {
        if (ev.warn && res.warnings().isEmpty()) return "expected warnings but got none";
        if (ev.info && res.infos().isEmpty()) return "expected info annotations but got none";
        String w = validate(ev.expects.get("warn"), res.warnings(), "warn");
        if (w != null) return w;
        String i = validate(ev.expects.get("info"), res.infos(), "info");
        if (i != null) return i;
        if (ev.expects.containsKey("no_warn") && !res.warnings().isEmpty()) return "unexpected warnings: " + res.warnings();
        if (ev.expects.containsKey("no_info") && !res.infos().isEmpty()) return "unexpected infos: " + res.infos();
        return null;
    }

    private static String validate(List<Script.Expect> expects, List<String> actual, String type) {
        if (expects == null || expects.isEmpty()) return null;
        for (Script.Expect e : expects) {
            boolean any = false;
            for (String a : actual) if (e.matches(a)) { any = true; break; }
            if (!any) return "expected " + type + " annotation matching \"" + e + "\" but got " + actual;
        }
        for (String a : actual) {
            boolean any = false;
            for (Script.Expect e : expects) if (e.matches(a)) { any = true; break; }
            if (!any) return "unexpected " + type + " annotation \"" + a + "\"";
        }
        return null;
    }

    static boolean almostEqual(double a, double b) {
        if (Double.isNaN(a) && Double.isNaN(b)) return true;
        if (a == b) return true;
        double absSum = Math.abs(a) + Math.abs(b);
        double diff = Math.abs(a - b);
        if (a == 0 || b == 0 || absSum < Double.MIN_NORMAL) return diff < EPSILON * Double.MIN_NORMAL;
        return diff / Math.min(absSum, Double.MAX_VALUE) < EPSILON;
    }

    private static String compare(Script.Eval ev, Value v) {
        if (v instanceof Value.Matrix m) {
            if (ev.isOrdered()) return "expected ordered result, but query returned a matrix";
            if (ev.expectScalar) return "expected scalar result, but got matrix";
            for (int i = 1; i < m.series().size(); i++) {
                if (m.series().get(i - 1).labels().compareTo(m.series().get(i).labels()) >= 0) return "matrix not sorted by labels";
            }
            Set<Labels> seen = new HashSet<>();
            for (Series s : m.series()) {
                List<SeriesDesc.Val> exp = ev.expected.get(s.labels());
                if (exp == null) return "unexpected metric " + s.labels() + " in result, has " + fmt(s);
                seen.add(s.labels());
                List<long[]> et = new ArrayList<>();
                List<Double> evs = new ArrayList<>();
                List<Long> ht = new ArrayList<>();
                List<FloatHistogram> hv = new ArrayList<>();
                for (int i = 0; i < exp.size(); i++) {
                    long t = ev.start + i * ev.step;
                    if (t > ev.end) return "expected " + exp.size() + " points for " + s.labels() + ", but query time range cannot return this many points";
                    if (exp.get(i).omitted()) continue;
                    if (exp.get(i).histogram()) { ht.add(t); hv.add(exp.get(i).hist()); }
                    else { et.add(new long[]{t}); evs.add(exp.get(i).value()); }
                }
                if (et.size() != s.count()) return "expected " + et.size() + " float points for " + s.labels() + ", but got " + fmt(s);
                if (ht.size() != s.histogramCount()) return "expected " + ht.size() + " histogram points for " + s.labels() + ", but got " + fmt(s);
                for (int i = 0; i < et.size(); i++) {
                    if (et.get(i)[0] != s.timestamps()[i]) return "expected timestamp " + et.get(i)[0] + " at index " + i + " for " + s.labels() + " but got " + fmt(s);
                    if (!almostEqual(s.values()[i], evs.get(i))) return "expected " + evs.get(i) + " at t=" + s.timestamps()[i] + " for " + s.labels() + " but got " + fmt(s);
                }
                for (int i = 0; i < ht.size(); i++) {
                    if (ht.get(i) != s.histogramTimestamps()[i]) return "expected histogram timestamp " + ht.get(i) + " at index " + i + " for " + s.labels() + " but got " + fmt(s);
                    String d = HistogramCompare.diff(hv.get(i), s.histograms()[i]);
                    if (d != null) return "histogram at t=" + ht.get(i) + " for " + s.labels() + ": " + d;
                }
            }
            for (Labels l : ev.expected.keySet()) if (!seen.contains(l)) return "expected metric " + l + " not found";
            return null;
        }
        if (v instanceof Value.Vector vec) {
            if (ev.expectScalar) return "expected scalar result, but got vector " + vec.samples();
            Set<Labels> seen = new HashSet<>();
            List<Labels> order = new ArrayList<>(ev.expected.keySet());
            for (int pos = 0; pos < vec.samples().size(); pos++) {
                Sample s = vec.samples().get(pos);
                List<SeriesDesc.Val> exp = ev.expected.get(s.labels());
                if (exp == null) return "unexpected metric " + s.labels() + " in result, has value " + (s.isHistogram() ? s.histogram() : s.value());
                if (ev.isOrdered() && order.indexOf(s.labels()) != pos) {
                    return "expected metric " + s.labels() + " at position " + (order.indexOf(s.labels()) + 1) + " but was at " + (pos + 1);
                }
                SeriesDesc.Val e0 = exp.get(0);
                if (e0.histogram() != s.isHistogram()) {
                    return "expected " + (e0.histogram() ? "histogram " + e0.hist() : "float " + e0.value()) + " for " + s.labels()
                            + " but got " + (s.isHistogram() ? "histogram " + s.histogram() : "float " + s.value());
                }
                if (e0.histogram()) {
                    String d = HistogramCompare.diff(e0.hist(), s.histogram());
                    if (d != null) return "histogram for " + s.labels() + ": " + d;
                } else if (!almostEqual(e0.value(), s.value())) return "expected " + e0.value() + " for " + s.labels() + " but got " + s.value();
                seen.add(s.labels());
            }
            for (Labels l : ev.expected.keySet()) if (!seen.contains(l)) return "expected metric " + l + " with " + (ev.expected.get(l).get(0).histogram() ? ev.expected.get(l).get(0).hist() : ev.expected.get(l).get(0).value()) + " not found";
            return null;
        }
        if (v instanceof Value.Scalar s) {
            if (!ev.expectScalar) return "expected vector or matrix result, but got scalar " + s.value();
            if (!almostEqual(ev.scalar, s.value())) return "expected scalar " + ev.scalar + " but got " + s.value();
            return null;
        }
        if (v instanceof Value.Str s) {
            if (ev.expectedString == null) return "unexpected string result \"" + s.value() + "\"";
            if (!ev.expectedString.equals(s.value())) return "expected string \"" + ev.expectedString + "\" but got \"" + s.value() + "\"";
            return null;
        }
        return "unknown result " + v;
    }

    private static String fmt(Series s) {
        StringBuilder sb = new StringBuilder().append(s.count()).append(" points: [");
        for (int i = 0; i < s.count(); i++) {
            if (i > 0) sb.append(", ");
            sb.append(s.values()[i]).append(" @").append(s.timestamps()[i]);
        }
        sb.append("], ").append(s.histogramCount()).append(" histograms: [");
        for (int i = 0; i < s.histogramCount(); i++) {
            if (i > 0) sb.append(", ");
            sb.append(s.histograms()[i]).append(" @").append(s.histogramTimestamps()[i]);
        }
        return sb.append(']').toString();
    }
}
