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
 *       {@code requires_all}: all of these do;</li>
 *   <li>{@code message}: a regular expression the failing side's error message matches;</li>
 *   <li>{@code reference_value} / {@code our_value}: the first differing values ("NaN", "+Inf", "finite", a number);</li>
 *   <li>{@code probe: shift} — the disagreement disappears when every evaluation time moves by 1 ms (a window
 *       boundary that falls exactly on a sample or subquery step);</li>
 *   <li>{@code check: topk-ties} — both answers are valid choices among tied values (see {@link #validTopk}).</li>
 * </ul>
 */
final class DiffKnownDifferences {
    @JsonIgnoreProperties(ignoreUnknown = true)
    record Entry(String id, String title, List<String> kinds, List<String> requires, List<String> requires_all, String message,
                 String reference_value, String our_value, String probe, String check, List<String> upstream, String explanation) {}

    /** Re-runs a case on both sides (for probes and checks): [reference, ours]. */
    interface Runner {
        JsonNode[] run(DiffCase c) throws Exception;
    }

    final List<Entry> entries;

    private DiffKnownDifferences(List<Entry> entries) { this.entries = entries; }

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

    /** The id of the entry that explains the disagreement of the (shrunk) case, or null. */
    String classify(DiffCase c, DiffComparator.Disagreement d, Runner runner) throws Exception {
        Set<String> tokens = DiffAst.tokens(c.expr());
        for (Entry e : entries) {
            if (!e.kinds().contains(d.kind().name())) continue;
            if (e.requires() != null && e.requires().stream().noneMatch(tokens::contains)) continue;
            if (e.requires_all() != null && !tokens.containsAll(e.requires_all())) continue;
            if (e.message() != null && (d.message() == null || !Pattern.compile(e.message()).matcher(d.message()).find())) continue;
            if (e.reference_value() != null && !valueMatches(e.reference_value(), d.refValue())) continue;
            if (e.our_value() != null && !valueMatches(e.our_value(), d.ourValue())) continue;
            if ("shift".equals(e.probe())) {
                DiffCase s = c.shifted(1);
                JsonNode[] r = runner.run(s);
                if (DiffComparator.compare(r[0], r[1], false) != null) continue;
            } else if (e.probe() != null) {
                throw new IllegalStateException("unknown probe " + e.probe() + " in " + e.id());
            }
            if ("topk-ties".equals(e.check())) {
                if (!validTopk(c, runner)) continue;
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
     * For a reproduction whose top node is {@code topk(k, e)} or {@code bottomk(k, e)} with a literal k: evaluates
     * {@code e} on the reference and checks that each side's answer is, at every step and in every group, a valid
     * choice: min(k, n) of the group's series, with their values, none left out that ranks strictly better than one
     * chosen (NaN ranks last). Then the two answers differ only in which of equal values they picked.
     */
    static boolean validTopk(DiffCase c, Runner runner) throws Exception {
        Expr top = c.expr();
        while (top instanceof ParenExpr p) top = p.expr();
        if (!(top instanceof AggregateExpr a) || (a.op() != AggregateOp.TOPK && a.op() != AggregateOp.BOTTOMK)
                || !(a.param() instanceof NumberLiteral kLit)) return false;
        int k = (int) kLit.value();
        boolean topk = a.op() == AggregateOp.TOPK;
        JsonNode[] answers = runner.run(c);
        JsonNode[] input = runner.run(c.with(a.expr()));
        if (!"success".equals(input[0].path("status").asText())) return false;
        Map<String, Map<Double, Double>> cand = DiffComparator.points(input[0]);
        for (JsonNode answer : answers) {
            if (!"success".equals(answer.path("status").asText())) return false;
            Map<String, Map<Double, Double>> got = DiffComparator.points(answer);
            // Per timestamp and group: the chosen and the candidate values.
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
                    if (pick.size() != Math.min(k, vals.size())) return false;
                    // The multiset of chosen values must equal the best min(k, n) values.
                    vals.sort((x, y) -> rank(x, y, topk));
                    List<Double> best = new ArrayList<>(vals.subList(0, pick.size()));
                    List<Double> p2 = new ArrayList<>(pick);
                    p2.sort((x, y) -> rank(x, y, topk));
                    for (int i = 0; i < best.size(); i++) if (!DiffComparator.sameValue(best.get(i), p2.get(i))) return false;
                }
            }
        }
        return true;
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
