package io.tsdb.server.rules;

import io.tsdb.core.Labels;
import io.tsdb.query.engine.Sample;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A recording rule: the expression's result with {@code __name__} set to the rule's name and the rule's labels
 * applied; two results with the same labels after that, or more results than the group's limit, fail the rule.
 */
public final class RecordingRule extends Rule {
    RecordingRule(RuleSpecs.Rule spec) { super(spec); }

    @Override
    List<Sample> eval(long ts, long queryOffsetMs, RuleEnv env, int limit) throws RuleEvalException {
        List<Sample> res = env.query(spec.expr(), spec.exprText(), ts - queryOffsetMs);
        List<Sample> out = new ArrayList<>(res.size());
        Set<Labels> seen = new HashSet<>(res.size() * 2);
        for (Sample s : res) {
            Labels.Builder b = s.labels().toBuilder().set(Labels.METRIC_NAME, spec.record());
            Labels rl = spec.labels();
            for (int i = 0; i < rl.size(); i++) b.set(rl.name(i), rl.value(i));
            Labels l = b.build();
            if (!seen.add(l)) throw new RuleEvalException("vector contains metrics with the same labelset after applying rule labels");
            out.add(new Sample(l, s.timestampMs(), s.value(), s.histogram()));
        }
        if (limit > 0 && out.size() > limit) {
            throw new RuleEvalException("exceeded limit of " + limit + " with " + out.size() + " series");
        }
        return out;
    }
}
