package io.tsdb.query.engine.eval;

import io.tsdb.query.engine.eval.Vals.Row;
import io.tsdb.query.engine.eval.Vals.VecVal;

import java.util.ArrayList;
import java.util.List;

/** Helpers the function families share. */
final class FunctionSupport {
    private FunctionSupport() {}

    interface StepOp { double apply(int step, double x); }

    /** Applies op to every present point; the result drops the metric name. */
    static VecVal mapRows(VecVal in, StepOp op) {
        List<Row> rows = new ArrayList<>(in.rows.size());
        for (Row r : in.rows) {
            double[] o = new double[r.v.length];
            for (int i = 0; i < o.length; i++) {
                double x = r.v[i];
                o[i] = Vals.present(x) ? op.apply(i, x) : Vals.ABSENT;
            }
            rows.add(new Row(r.labels, o, true));
        }
        return new VecVal(rows);
    }

    static String nz(String s) { return s == null ? "" : s; }

    static boolean validLabelName(String s) {
        if (s.isEmpty()) return false;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (Character.isHighSurrogate(ch)) {
                if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) return false;
                i++;
            } else if (Character.isLowSurrogate(ch) || ch == '\uFFFD') {
                return false;
            }
        }
        return true;
    }
}
