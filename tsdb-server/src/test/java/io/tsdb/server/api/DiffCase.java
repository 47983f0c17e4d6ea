package io.tsdb.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.tsdb.query.ast.Expr;
import io.tsdb.query.parser.Printer;

import java.util.LinkedHashMap;
import java.util.Map;

/** One generated query in one evaluation mode: an instant query at {@code time}, or a range query. */
record DiffCase(Expr expr, boolean range, long time, long start, long end, long step) {
    static DiffCase instant(Expr e, long t) { return new DiffCase(e, false, t, 0, 0, 0); }

    static DiffCase range(Expr e, long start, long end, long step) { return new DiffCase(e, true, 0, start, end, step); }

    String query() { return Printer.print(expr); }

    DiffCase with(Expr e) { return new DiffCase(e, range, time, start, end, step); }

    /** The same evaluation with every time, {@code @} timestamps included, moved by ms (subquery steps stay on their absolute grid). */
    DiffCase shifted(long ms) { return new DiffCase(DiffAst.shiftAt(expr, ms), range, time + ms, start + ms, end + ms, step); }

    /** Whether the order of an instant vector's values is part of the answer (a top-level sort or sort_desc). */
    boolean ordered() {
        Expr e = expr;
        while (e instanceof io.tsdb.query.ast.ParenExpr p) e = p.expr();
        return !range && e instanceof io.tsdb.query.ast.Call f && (f.function().equals("sort") || f.function().equals("sort_desc"));
    }

    String path() { return range ? "/api/v1/query_range" : "/api/v1/query"; }

    Map<String, String> params() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("query", query());
        if (range) {
            p.put("start", GoFloat.timestamp(start));
            p.put("end", GoFloat.timestamp(end));
            p.put("step", GoFloat.timestamp(step));
        } else {
            p.put("time", GoFloat.timestamp(time));
        }
        return p;
    }

    /** Runs the case against one of the two servers. */
    JsonNode run(String baseUrl) throws Exception { return PrometheusPair.query(baseUrl, path(), params()); }

    /**
     * A reproduction relative to the data set's start (absolute times change with every run, the data does not):
     * {@code instant t0+5400.5s: <query>} or {@code range t0+3600s..t0+7200.25s step 60s: <query>}; {@link #parse}
     * reads it back ({@code -Ddifftest.repro=...}).
     */
    String describe(long t0) {
        return (range ? "range " + rel(start, t0) + ".." + rel(end, t0) + " step " + GoFloat.timestamp(step) + "s"
                : "instant " + rel(time, t0)) + ": " + query();
    }

    private static String rel(long t, long t0) { return "t0" + (t >= t0 ? "+" : "-") + GoFloat.timestamp(Math.abs(t - t0)) + "s"; }

    static DiffCase parse(String s, long t0) {
        int colon = s.indexOf(": ");
        Expr e = io.tsdb.query.parser.QueryParser.parse(s.substring(colon + 2));
        String[] w = s.substring(0, colon).split(" ");
        if (w[0].equals("instant")) return instant(e, abs(w[1], t0));
        String[] se = w[1].split("\\.\\.");
        return range(e, abs(se[0], t0), abs(se[1], t0), Math.round(Double.parseDouble(w[3].replace("s", "")) * 1000));
    }

    private static long abs(String rel, long t0) {
        double secs = Double.parseDouble(rel.substring(3, rel.length() - 1));
        return t0 + (rel.charAt(2) == '-' ? -1 : 1) * Math.round(secs * 1000);
    }
}
