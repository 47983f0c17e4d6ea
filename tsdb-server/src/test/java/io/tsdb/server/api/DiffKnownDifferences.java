package io.tsdb.server.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.tsdb.query.ast.AggregateExpr;
import io.tsdb.query.ast.AggregateOp;
import io.tsdb.query.ast.Expr;
import io.tsdb.query.ast.NumberLiteral;
import io.tsdb.query.ast.ParenExpr;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The documented differences between Prometheus 2.42 (the reference) and the Prometheus 3.x semantics this engine
 * follows, read from {@code difftest/known-differences.yaml}. A disagreement is excused by the first entry whose
 * conditions all hold for the shrunk reproduction:
 * <ul>
 *   <li>{@code kinds}: the kind of disagreement ({@link DiffComparator.Kind});</li>
 *   <li>{@code requires}: at least one of these feature tokens ({@link DiffAst#tokens}) occurs in the reproduction;
 *       {@code requires_all}: each of these does ({@code "a|b"}: a or b);</li>
 *   <li>{@code message}: a regular expression the failing side's error message matches;</li>
 *   <li>{@code reference_value} / {@code our_value}: the first differing values ("NaN", "+Inf", "finite", a number);
 *       {@code our_abs_at_least}: a lower bound of our value's magnitude;</li>
 *   <li>{@code probe: shift} — the disagreement disappears when every evaluation and {@code @} time moves by 1 ms, or
 *       every range grows by 1 ms (a window boundary that falls exactly on a sample or subquery step);</li>
 *   <li>{@code check: topk-ties} — our answer follows from valid choices among tied values (see {@link #topkTies});
 *       {@code check: counter-extrapolation} — the reference computed 2.42's extrapolation and this engine 3.x's
 *       from the same raw samples (see {@link #counterExtrapolation}); {@code check: regression-infinity} /
 *       {@code regression-last-bits} — deriv/predict_linear recomputed from each side's raw samples
 *       ({@link DiffRegression}); {@code check: amplified-rounding} — an inner expression agrees within the tolerance
 *       and the reference, given our values of it, answers what we answered ({@link DiffInner}).</li>
 * </ul>
 * An entry also explains a disagreement at an inner expression, see {@link #classify}.
 */
final class DiffKnownDifferences {
    @JsonIgnoreProperties(ignoreUnknown = true)
    record Entry(String id, String title, List<String> kinds, List<String> requires, List<String> requires_all, String message,
                 String reference_value, String our_value, Double our_abs_at_least, String probe, String check, List<String> upstream, String explanation) {}

    /** Re-runs a case on both sides (for probes and checks): [reference, ours]. */
    interface Runner {
        JsonNode[] run(DiffCase c) throws Exception;
    }

    final List<Entry> entries;

    private DiffKnownDifferences(List<Entry> entries) { this.entries = entries; }

    /** A list of the given entries (tests of the classification itself). */
    static DiffKnownDifferences of(List<Entry> entries) { return new DiffKnownDifferences(List.copyOf(entries)); }

    static DiffKnownDifferences load() throws IOException {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory()).configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);
        try (InputStream in = DiffKnownDifferences.class.getResourceAsStream("/difftest/known-differences.yaml")) {
            if (in == null) throw new IOException("missing resource difftest/known-differences.yaml");
            JsonNode root = yaml.readTree(in);
            List<Entry> out = new ArrayList<>();
            Set<String> ids = new java.util.HashSet<>();
            for (JsonNode n : root.get("differences")) {
                Entry e = yaml.treeToValue(n, Entry.class);
                if (e.id() == null || e.kinds() == null || e.kinds().isEmpty() || e.upstream() == null || e.upstream().isEmpty()) {
                    throw new IOException("known difference without id, kinds or upstream reference: " + n);
                }
                for (String k : e.kinds()) DiffComparator.Kind.valueOf(k);
                if (!ids.add(e.id())) throw new IOException("duplicate known difference " + e.id());
                out.add(e);
            }
            return new DiffKnownDifferences(out);
        }
    }

    /** Why the last entry with a check rejected the last disagreement classified (for the report). */
    String lastRejection;

    /** Inner expressions of the cases classified by the current {@link #classify} call, evaluated once each. */
    private final Map<DiffCase, List<DiffInner.Inner>> inners = new HashMap<>();

    /**
     * The id of the entry that explains the disagreement of the (shrunk) case, or null. An entry explains it directly
     * (its conditions hold for the case), or at an inner expression: the inner expression, evaluated alone at the
     * times the query evaluates it, disagrees in a way an entry explains directly, and the reference, with the inner
     * expression replaced by our values of it, answers what we answered ({@link DiffInner}).
     */
    String classify(DiffCase c, DiffComparator.Disagreement d, Runner runner) throws Exception {
        inners.clear();
        lastRejection = null;
        String id = direct(c, d, runner);
        if (id != null) {
            lastRejection = null;
            return id;
        }
        String rejected = lastRejection;
        for (DiffInner.Inner in : inners(c, runner)) {
            DiffComparator.Disagreement dn = DiffComparator.compare(in.answers()[0], in.answers()[1], in.alone().ordered());
            if (dn == null) continue;
            String innerId = direct(in.alone(), dn, runner);
            if (innerId == null) continue;
            String why = DiffInner.carried(c, in, runner);
            if (why == null) {
                lastRejection = null;
                return innerId;
            }
            rejected = innerId + " (at an inner expression): " + why;
        }
        lastRejection = rejected;
        return null;
    }

    private List<DiffInner.Inner> inners(DiffCase c, Runner runner) throws Exception {
        List<DiffInner.Inner> l = inners.get(c);
        if (l == null) inners.put(c, l = DiffInner.candidates(c, runner));
        return l;
    }

    /** The first entry whose conditions all hold for c and d. */
    private String direct(DiffCase c, DiffComparator.Disagreement d, Runner runner) throws Exception {
        Set<String> tokens = DiffAst.tokens(c.expr());
        for (Entry e : entries) {
            if (!e.kinds().contains(d.kind().name())) continue;
            if (e.requires() != null && e.requires().stream().noneMatch(tokens::contains)) continue;
            if (e.requires_all() != null && !e.requires_all().stream().allMatch(
                    alt -> java.util.Arrays.stream(alt.split("\\|")).anyMatch(tokens::contains))) continue;
            if (e.message() != null && (d.message() == null || !Pattern.compile(e.message()).matcher(d.message()).find())) continue;
            if (e.reference_value() != null && !valueMatches(e.reference_value(), d.refValue())) continue;
            if (e.our_value() != null && !valueMatches(e.our_value(), d.ourValue())) continue;
            if (e.our_abs_at_least() != null && (d.ourValue() == null || !(Math.abs(d.ourValue()) >= e.our_abs_at_least()))) continue;
            if ("shift".equals(e.probe())) {
                // Move the window boundaries off samples and steps: every time by 1 ms, or (for windows of nested
                // subqueries, which sit on the absolute step grid whatever the query time) every range by 1 ms.
                // Compared tie-aware: a topk/bottomk tie in the probe is no evidence either way.
                if (DiffTies.compare(c.shifted(1), runner) != null
                        && DiffTies.compare(c.with(DiffAst.widenRanges(c.expr(), 1)), runner) != null) continue;
            } else if (e.probe() != null) {
                throw new IllegalStateException("unknown probe " + e.probe() + " in " + e.id());
            }
            if ("topk-ties".equals(e.check())) {
                String why = topkTies(c, runner);
                if (why != null) {
                    lastRejection = e.id() + ": " + why;
                    continue;
                }
            } else if ("large-trig-argument".equals(e.check()) || "subnormal-log-argument".equals(e.check())) {
                String why = "large-trig-argument".equals(e.check()) ? largeTrigArgument(c, runner) : subnormalLogArgument(c, runner);
                if (why != null) {
                    lastRejection = e.id() + ": " + why;
                    continue;
                }
            } else if (e.check() != null && e.check().startsWith("regression-")) {
                String why = DiffRegression.check(c, runner, e.check().substring("regression-".length()));
                if (why != null) {
                    lastRejection = e.id() + ": " + why;
                    continue;
                }
            } else if ("amplified-rounding".equals(e.check())) {
                String why = amplifiedRounding(c, runner);
                if (why != null) {
                    lastRejection = e.id() + ": " + why;
                    continue;
                }
            } else if ("stepwise".equals(e.check())) {
                String why = stepwise(c, runner);
                if (why != null) {
                    lastRejection = e.id() + ": " + why;
                    continue;
                }
            } else if ("counter-extrapolation".equals(e.check())) {
                String why = counterExtrapolation(c, runner);
                if (why != null) {
                    lastRejection = e.id() + ": " + why;
                    continue;
                }
            } else if (e.check() != null) {
                throw new IllegalStateException("unknown check " + e.check() + " in " + e.id());
            }
            return e.id();
        }
        return null;
    }

    private static boolean valueMatches(String want, Double v) {
        if (v == null) return false;
        return switch (want) {
            case "NaN" -> v.isNaN();
            case "+Inf" -> v == Double.POSITIVE_INFINITY;
            case "-Inf" -> v == Double.NEGATIVE_INFINITY;
            case "finite" -> !v.isNaN() && !v.isInfinite();
            default -> v == Double.parseDouble(want);
        };
    }

    /**
     * Ties in topk/bottomk (any number of them, anywhere in the reproduction, also inside subqueries): the reference,
     * with each topk/bottomk pinned to our choices after checking that they are valid choices at every time the node
     * is evaluated ({@link DiffTies#pin}), answers what we answered. Null when it does, else why not.
     */
    static String topkTies(DiffCase c, Runner runner) throws Exception {
        DiffTies.Pinned p = DiffTies.pin(c, runner);
        if (p.rejection() != null) return p.rejection();
        if (p.proven()) return null;
        JsonNode ref = runner.run(p.reference())[0], ours = runner.run(c)[1];
        DiffComparator.Disagreement d = DiffComparator.compare(ref, ours, c.ordered());
        return d == null ? null : "with its choices pinned to ours the reference still disagrees: " + d;
    }

    /**
     * An inner expression whose answers agree within the comparison's tolerance, and with which replaced by our values
     * the reference answers what we answered: the difference is rounding, amplified by the rest of the query.
     */
    String amplifiedRounding(DiffCase c, Runner runner) throws Exception {
        String why = "no inner expression whose answers agree";
        for (DiffInner.Inner in : inners(c, runner)) {
            if (DiffComparator.compare(in.answers()[0], in.answers()[1], in.alone().ordered()) != null) continue;
            String w = DiffInner.carried(c, in, runner);
            if (w == null) return null;
            why = w;
        }
        return why;
    }

    /** Beyond this many steps {@link #stepwise} does not ask the reference step by step. */
    static final int MAX_STEPWISE = 400;

    /**
     * For a range query: the reference answers every step as an instant query, and our answer is exactly those answers
     * assembled into series by label set (no two at one time). Null when it is, else why not. Excludes queries with
     * {@code start()}/{@code end()} (an instant query's start and end are its time).
     */
    static String stepwise(DiffCase c, Runner runner) throws Exception {
        if (!c.range()) return "not a range query";
        if (c.query().contains("start()") || c.query().contains("end()")) return "uses start()/end()";
        if ((c.end() - c.start()) / c.step() + 1 > MAX_STEPWISE) return "more than " + MAX_STEPWISE + " steps";
        Map<String, Map<Double, Double>> assembled = new TreeMap<>();
        for (long t = c.start(); t <= c.end(); t += c.step()) {
            JsonNode r = runner.run(DiffCase.instant(c.expr(), t))[0];
            if (!"success".equals(r.path("status").asText())) return "the reference fails at " + GoFloat.timestamp(t) + ": " + r.path("error").asText();
            if (!"vector".equals(r.at("/data/resultType").asText())) return "not an instant vector";
            for (Map.Entry<String, Map<Double, Double>> s : DiffComparator.points(r).entrySet()) {
                Map<Double, Double> into = assembled.computeIfAbsent(s.getKey(), k -> new TreeMap<>());
                for (Map.Entry<Double, Double> p : s.getValue().entrySet()) {
                    if (into.put(p.getKey(), p.getValue()) != null) return "two samples of " + s.getKey() + " at " + p.getKey();
                }
            }
        }
        Map<String, Map<Double, Double>> ours = DiffComparator.points(runner.run(c)[1]);
        if (!ours.keySet().equals(assembled.keySet())) return "label sets differ from the steps': " + assembled.keySet() + " vs ours " + ours.keySet();
        for (Map.Entry<String, Map<Double, Double>> s : assembled.entrySet()) {
            Map<Double, Double> o = ours.get(s.getKey());
            if (!o.keySet().equals(s.getValue().keySet())) return s.getKey() + ": points differ from the steps'";
            for (Map.Entry<Double, Double> p : s.getValue().entrySet()) {
                if (!DiffComparator.sameValue(p.getValue(), o.get(p.getKey()))) return s.getKey() + " @" + p.getKey() + ": step " + p.getValue() + ", ours " + o.get(p.getKey());
            }
        }
        return null;
    }

    /**
     * Whether answer is, at every timestamp and in every group, a valid topk/bottomk choice among the candidate series:
     * min(k, n) of them, with their values, none left out that ranks strictly better than one chosen (NaN ranks last).
     */
    static boolean validChoice(JsonNode answer, JsonNode input, AggregateExpr a) {
        long k = (long) ((NumberLiteral) a.param()).value();
        return validChoice(answer, input, a, t -> k);
    }

    /** As above with k per evaluation time (seconds; the parameter truncated to an integer, as Prometheus does). */
    static boolean validChoice(JsonNode answer, JsonNode input, AggregateExpr a, java.util.function.ToLongFunction<Double> kAt) {
        boolean topk = a.op() == AggregateOp.TOPK;
        if (!"success".equals(input.path("status").asText()) || !"success".equals(answer.path("status").asText())) return false;
        Map<String, Map<Double, Double>> cand = DiffComparator.points(input);
        Map<String, Map<Double, Double>> got = DiffComparator.points(answer);
        Map<Double, Map<String, List<Double>>> chosen = new TreeMap<>(), all = new TreeMap<>();
        for (Map.Entry<String, Map<Double, Double>> s : got.entrySet()) {
            Map<Double, Double> in = cand.get(s.getKey());
            if (in == null) return false;
            for (Map.Entry<Double, Double> p : s.getValue().entrySet()) {
                Double v = in.get(p.getKey());
                if (v == null || !DiffComparator.sameValue(v, p.getValue())) return false;
                chosen.computeIfAbsent(p.getKey(), t -> new HashMap<>()).computeIfAbsent(group(s.getKey(), a), g -> new ArrayList<>()).add(v);
            }
        }
        for (Map.Entry<String, Map<Double, Double>> s : cand.entrySet()) {
            for (Map.Entry<Double, Double> p : s.getValue().entrySet()) {
                all.computeIfAbsent(p.getKey(), t -> new HashMap<>()).computeIfAbsent(group(s.getKey(), a), g -> new ArrayList<>()).add(p.getValue());
            }
        }
        for (Map.Entry<Double, Map<String, List<Double>>> step : all.entrySet()) {
            for (Map.Entry<String, List<Double>> g : step.getValue().entrySet()) {
                List<Double> pick = chosen.getOrDefault(step.getKey(), Map.of()).getOrDefault(g.getKey(), List.of());
                List<Double> vals = new ArrayList<>(g.getValue());
                long k = kAt.applyAsLong(step.getKey());
                if (pick.size() != Math.max(0, Math.min(k, vals.size()))) return false;
                vals.sort((x, y) -> rank(x, y, topk));
                List<Double> p2 = new ArrayList<>(pick);
                p2.sort((x, y) -> rank(x, y, topk));
                for (int i = 0; i < p2.size(); i++) if (!DiffComparator.sameValue(vals.get(i), p2.get(i))) return false;
            }
        }
        return true;
    }

    /**
     * For a reproduction {@code rate(s[r])} or {@code increase(s[r])}: reads the raw samples of every window from the
     * reference ({@code s[r]} at each answered time) and recomputes both extrapolations; accepts only if the
     * reference's answer equals 2.42's formula, ours equals 3.x's, at every point, and they differ somewhere.
     */
    static String counterExtrapolation(DiffCase c, Runner runner) throws Exception {
        io.tsdb.query.ast.Call f = DiffWindows.topCall(c, Set.of("rate", "increase"));
        if (f == null) return "not rate/increase";
        Expr m = DiffWindows.rangeArg(f);
        if (m == null) return "not over a range selector or subquery";
        JsonNode[] answers = runner.run(c);
        Map<String, Map<Double, Double>> ref = DiffComparator.points(answers[0]), ours = DiffComparator.points(answers[1]);
        java.util.TreeSet<Double> times = DiffWindows.answeredTimes(answers);
        Map<Double, Map<String, DiffWindows.Window>> raw = DiffWindows.read(c, m, times, runner, 0);
        if (raw == null) return "no raw samples";
        boolean differ = false;
        for (double t : times) {
            for (String key : DiffWindows.keysAt(t, ref, ours)) {
                if (!raw.get(t).containsKey(key)) return key + " @" + t + ": answered without raw samples";
            }
            for (DiffWindows.Window w : raw.get(t).values()) {
                String key = w.key();
                Double r = ref.getOrDefault(key, Map.of()).get(t), o = ours.getOrDefault(key, Map.of()).get(t);
                if (w.n() < 2) {
                    if (r != null || o != null) return key + " @" + t + ": an answer from fewer than 2 samples";
                    continue;
                }
                boolean isRate = f.function().equals("rate");
                double old = extrapolate(w.ts(), w.vs(), w.start(), w.end(), w.end() - w.start(), isRate, false);
                // 3.x's window is left-open: a point exactly at its start (2.42 includes it) is not in it.
                DiffWindows.Window open = DiffWindows.leftOpen(w);
                double now = open.n() < 2 ? Double.NaN
                        : extrapolate(open.ts(), open.vs(), w.start(), w.end(), w.end() - w.start(), isRate, true);
                if (r == null || (o == null) != Double.isNaN(now) || !DiffComparator.sameValue(r, old) || (o != null && !DiffComparator.sameValue(o, now))) {
                    return key + " @" + t + ": reference " + r + " ours " + o + ", 2.42 formula " + old + ", 3.x formula " + now;
                }
                if (!DiffComparator.sameValue(old, now)) differ = true;
            }
        }
        return differ ? null : "both formulas agree everywhere";
    }

    /**
     * For a reproduction {@code sin|cos|tan(e)}: every point where the answers differ has an argument (e evaluated on
     * the reference) of magnitude 2^29 or more, where Go switches to Payne-Hanek argument reduction and the two
     * libraries' results part.
     */
    static String largeTrigArgument(DiffCase c, Runner runner) throws Exception {
        return argumentCheck(c, runner, Set.of("sin", "cos", "tan"), (f, x, ours) -> Math.abs(x) >= 0x1p29);
    }

    /**
     * For a reproduction {@code ln(e)} or {@code log10(e)}: every point where the answers differ has a subnormal argument
     * (e evaluated on the reference: 0 < x < 2^-1022), and ours is java.lang.Math's logarithm of it. The reference
     * binary (Go 1.19, amd64 assembly Log) answers about ln(2^-1023) for any subnormal: ln(1.68158047e-313) is
     * -709.0895581554385 there, -720.1893999999893 here (measured).
     */
    static String subnormalLogArgument(DiffCase c, Runner runner) throws Exception {
        return argumentCheck(c, runner, Set.of("ln", "log10"), (f, x, ours) -> x > 0 && x < Double.MIN_NORMAL
                && DiffComparator.sameValue(f.equals("ln") ? Math.log(x) : Math.log10(x), ours));
    }

    interface PointTest {
        boolean accepts(String function, double argument, double ours);
    }

    /**
     * For a reproduction {@code f(e)} with f one of functions: every point where the answers differ passes the test
     * with its argument (e evaluated on the reference) and our value. Null when all do and some point differs.
     */
    static String argumentCheck(DiffCase c, Runner runner, Set<String> functions, PointTest test) throws Exception {
        Expr top = c.expr();
        while (top instanceof ParenExpr p) top = p.expr();
        if (!(top instanceof io.tsdb.query.ast.Call f) || !functions.contains(f.function())) return "not " + String.join("/", new java.util.TreeSet<>(functions));
        JsonNode[] answers = runner.run(c);
        JsonNode arg = runner.run(c.with(f.args().get(0)))[0];
        Map<String, Map<Double, Double>> ref = DiffComparator.points(answers[0]), ours = DiffComparator.points(answers[1]);
        Map<String, Map<Double, Double>> in = new TreeMap<>();
        for (Map.Entry<String, Map<Double, Double>> e : DiffComparator.points(arg).entrySet()) {
            in.put(e.getKey().replaceAll("__name__=[^,}]*(, )?", "").replace(", }", "}"), e.getValue());
        }
        if (!ref.keySet().equals(ours.keySet())) return "label sets differ";
        boolean any = false;
        for (Map.Entry<String, Map<Double, Double>> s : ref.entrySet()) {
            for (Map.Entry<Double, Double> p : s.getValue().entrySet()) {
                Double o = ours.get(s.getKey()).get(p.getKey());
                if (o == null) return "points differ";
                if (DiffComparator.sameValue(p.getValue(), o)) continue;
                Double x = in.getOrDefault(s.getKey(), Map.of()).get(p.getKey());
                if (x == null || !test.accepts(f.function(), x, o)) return s.getKey() + " @" + p.getKey() + ": argument " + x + ", ours " + o;
                any = true;
            }
        }
        return any ? null : "no differing point";
    }

    /**
     * Extrapolated increase (or rate) of counter samples (ms timestamps) in the window [start, end], written from the description of
     * upstream change 7f912db15a: {@code fixed} is 3.x (the zero point only ever shortens the extrapolation towards
     * the start), otherwise 2.42 (the zero point replaced the start extrapolation before the 110% rule).
     */
    static double extrapolate(long[] t, double[] v, long start, long end, long rangeMs, boolean isRate, boolean fixed) {
        int n = t.length;
        double increase = v[n - 1] - v[0];
        for (int i = 1; i < n; i++) if (v[i] < v[i - 1]) increase += v[i - 1];
        double sampled = (t[n - 1] - t[0]) / 1000.0, avg = sampled / (n - 1), threshold = avg * 1.1;
        double toStart = (t[0] - start) / 1000.0, toEnd = (end - t[n - 1]) / 1000.0;
        double toZero = increase > 0 && v[0] >= 0 ? sampled * (v[0] / increase) : Double.POSITIVE_INFINITY;
        double extra;
        if (fixed) {
            double s = toStart >= threshold ? avg / 2 : toStart;
            extra = Math.min(s, toZero) + (toEnd >= threshold ? avg / 2 : toEnd);
        } else {
            double s = Math.min(toStart, toZero);
            extra = (s < threshold ? s : avg / 2) + (toEnd < threshold ? toEnd : avg / 2);
        }
        double r = increase * (sampled + extra) / sampled;
        return isRate ? r / (rangeMs / 1000.0) : r;
    }

    /** Ordering by rank: best first, NaN last. */
    private static int rank(double x, double y, boolean topk) {
        if (Double.isNaN(x) || Double.isNaN(y)) return Boolean.compare(Double.isNaN(x), Double.isNaN(y));
        return topk ? Double.compare(y, x) : Double.compare(x, y);
    }

    /** The group key of a series (its label-set string) under the aggregation's by/without. */
    private static String group(String key, AggregateExpr a) {
        Map<String, String> labels = parseKey(key);
        Map<String, String> g = new TreeMap<>();
        for (Map.Entry<String, String> e : labels.entrySet()) {
            boolean listed = a.grouping().contains(e.getKey());
            if (a.without() ? !listed && !e.getKey().equals("__name__") : listed) g.put(e.getKey(), e.getValue());
        }
        return g.toString();
    }

    /** Inverse of {@link DiffComparator#key} for the data set's label values (no commas or braces in them). */
    private static Map<String, String> parseKey(String key) {
        Map<String, String> out = new TreeMap<>();
        String body = key.substring(1, key.length() - 1);
        if (body.isEmpty()) return out;
        for (String kv : body.split(", ")) {
            int eq = kv.indexOf('=');
            out.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        return out;
    }
}
