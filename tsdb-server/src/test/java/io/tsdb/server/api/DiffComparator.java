package io.tsdb.server.api;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Compares a Prometheus API answer of the reference with this server's: status and error type, result type, then
 * label set by label set and point by point (timestamps exactly; values within 1e-9 relative, NaN equal to NaN, +Inf
 * to +Inf, -Inf to -Inf). The first difference found is described as a {@link Disagreement}.
 */
final class DiffComparator {
    static final double REL = 1e-9;

    /** What kind of difference; {@link #family()} groups the kinds the shrinker treats as "the same failure". */
    enum Kind {
        ERROR_OURS, ERROR_REF, ERROR_TYPE, RESULT_TYPE, LABELS, NAME, POINTS, VALUE, ORDER;

        String family() {
            return switch (this) {
                case ERROR_OURS, ERROR_REF, ERROR_TYPE, RESULT_TYPE -> "error";
                default -> "data";
            };
        }
    }

    /**
     * A difference. {@code refValue}/{@code ourValue} are the first differing values (VALUE), {@code message} the
     * error message of the side that failed (ERROR_*).
     */
    record Disagreement(Kind kind, String detail, Double refValue, Double ourValue, String message) {
        @Override public String toString() { return kind + ": " + detail; }
    }

    private DiffComparator() {}

    /** Whether the reference refused the query as unparseable (the generator's fault, not a semantic difference). */
    static boolean referenceParseError(JsonNode ref) {
        return "error".equals(ref.path("status").asText()) && "bad_data".equals(ref.path("errorType").asText())
                && ref.path("error").asText().contains("parse error");
    }

    /** Null when the answers agree. {@code ordered}: also compare the order of an instant vector's values. */
    static Disagreement compare(JsonNode ref, JsonNode ours, boolean ordered) {
        String rs = ref.path("status").asText(), os = ours.path("status").asText();
        if (!rs.equals(os)) {
            return rs.equals("error")
                    ? new Disagreement(Kind.ERROR_REF, "reference failed: " + ref.path("error").asText() + "; ours: " + brief(ours), null, null, ref.path("error").asText())
                    : new Disagreement(Kind.ERROR_OURS, "ours failed: " + ours.path("error").asText() + "; reference: " + brief(ref), null, null, ours.path("error").asText());
        }
        if (rs.equals("error")) {
            String re = ref.path("errorType").asText(), oe = ours.path("errorType").asText();
            if (re.equals(oe)) return null;
            return new Disagreement(Kind.ERROR_TYPE, "error types " + re + " (" + ref.path("error").asText() + ") vs " + oe
                    + " (" + ours.path("error").asText() + ")", null, null, ours.path("error").asText());
        }
        String type = ref.at("/data/resultType").asText();
        if (!type.equals(ours.at("/data/resultType").asText())) {
            return new Disagreement(Kind.RESULT_TYPE, "result type " + type + " vs " + ours.at("/data/resultType").asText(), null, null, null);
        }
        JsonNode pr = ref.at("/data/result"), or = ours.at("/data/result");
        switch (type) {
            case "scalar", "string" -> {
                return point("", pr, or);
            }
            case "vector", "matrix" -> {
                String field = type.equals("vector") ? "value" : "values";
                Map<String, JsonNode> a = byMetric(pr, field), b = byMetric(or, field);
                if (!a.keySet().equals(b.keySet())) {
                    boolean nameOnly = withoutNames(a.keySet()).equals(withoutNames(b.keySet()));
                    TreeSet<String> onlyRef = new TreeSet<>(a.keySet()), onlyOurs = new TreeSet<>(b.keySet());
                    onlyRef.removeAll(b.keySet());
                    onlyOurs.removeAll(a.keySet());
                    return new Disagreement(nameOnly ? Kind.NAME : Kind.LABELS, "series only in reference " + limit(onlyRef)
                            + ", only in ours " + limit(onlyOurs) + " (" + a.size() + " vs " + b.size() + " series)", null, null, null);
                }
                for (Map.Entry<String, JsonNode> e : a.entrySet()) {
                    JsonNode x = e.getValue(), y = b.get(e.getKey());
                    if (type.equals("vector")) {
                        Disagreement d = point(e.getKey() + " ", x, y);
                        if (d != null) return d;
                        continue;
                    }
                    int i = 0, j = 0;
                    while (i < x.size() && j < y.size()) {
                        double tx = x.get(i).get(0).asDouble(), ty = y.get(j).get(0).asDouble();
                        if (tx != ty) {
                            return new Disagreement(Kind.POINTS, e.getKey() + ": point at " + (tx < ty ? tx + " only in reference" : ty + " only in ours")
                                    + " (" + x.size() + " vs " + y.size() + " points)", null, null, null);
                        }
                        Disagreement d = point(e.getKey() + " ", x.get(i), y.get(j));
                        if (d != null) return d;
                        i++;
                        j++;
                    }
                    if (i < x.size() || j < y.size()) {
                        return new Disagreement(Kind.POINTS, e.getKey() + ": " + x.size() + " points vs " + y.size() + ", first extra at "
                                + (i < x.size() ? x.get(i).get(0) + " in reference" : y.get(j).get(0) + " in ours"), null, null, null);
                    }
                }
                if (ordered && type.equals("vector")) {
                    for (int i = 0; i < pr.size(); i++) {
                        if (!sameValue(parse(pr.get(i).get("value").get(1).asText()), parse(or.get(i).get("value").get(1).asText()))) {
                            return new Disagreement(Kind.ORDER, "order of sorted values differs at " + i, null, null, null);
                        }
                    }
                }
                return null;
            }
            default -> {
                return new Disagreement(Kind.RESULT_TYPE, "unknown result type " + type, null, null, null);
            }
        }
    }

    private static String brief(JsonNode r) {
        String s = r.path("data").path("result").toString();
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }

    private static String limit(TreeSet<String> s) {
        String x = s.toString();
        return x.length() > 400 ? x.substring(0, 400) + "...]" : x;
    }

    private static TreeSet<String> withoutNames(java.util.Set<String> keys) {
        TreeSet<String> out = new TreeSet<>();
        for (String k : keys) out.add(k.replaceAll("__name__=[^,}]*(, )?", "").replace(", }", "}"));
        return out;
    }

    static Map<String, JsonNode> byMetric(JsonNode result, String field) {
        Map<String, JsonNode> m = new TreeMap<>();
        for (Iterator<JsonNode> it = result.elements(); it.hasNext(); ) {
            JsonNode s = it.next();
            m.put(key(s.get("metric")), s.get(field));
        }
        return m;
    }

    /** A label set as a canonical string. */
    @SuppressWarnings("unchecked")
    static String key(JsonNode metric) {
        return new TreeMap<String, String>(ApiFixture.JSON.convertValue(metric, Map.class)).toString();
    }

    private static Disagreement point(String what, JsonNode p, JsonNode o) {
        if (p.get(0).asDouble() != o.get(0).asDouble()) {
            return new Disagreement(Kind.POINTS, what + "timestamp " + p.get(0) + " vs " + o.get(0), null, null, null);
        }
        String ps = p.get(1).asText(), os = o.get(1).asText();
        if (ps.equals(os)) return null;
        double a = parse(ps), b = parse(os);
        if (sameValue(a, b)) return null;
        return new Disagreement(Kind.VALUE, what + "@" + p.get(0) + ": reference " + ps + ", ours " + os, a, b, null);
    }

    static double parse(String s) {
        return switch (s) {
            case "+Inf", "Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> Double.parseDouble(s);
        };
    }

    static boolean sameValue(double a, double b) {
        if (Double.isNaN(a) || Double.isNaN(b)) return Double.isNaN(a) && Double.isNaN(b);
        if (a == b) return true;
        if (Double.isInfinite(a) || Double.isInfinite(b)) return false;
        return Math.abs(a - b) <= REL * Math.max(Math.abs(a), Math.abs(b));
    }

    /** All result rows as (label set, timestamp) -> value, for the tie checker. */
    static Map<String, Map<Double, Double>> points(JsonNode answer) {
        Map<String, Map<Double, Double>> out = new TreeMap<>();
        String type = answer.at("/data/resultType").asText();
        for (JsonNode s : answer.at("/data/result")) {
            Map<Double, Double> pts = out.computeIfAbsent(key(s.get("metric")), k -> new TreeMap<>());
            if (type.equals("vector")) {
                pts.put(s.get("value").get(0).asDouble(), parse(s.get("value").get(1).asText()));
            } else {
                for (JsonNode p : s.get("values")) pts.put(p.get(0).asDouble(), parse(p.get(1).asText()));
            }
        }
        return out;
    }
}
