package io.tsdb.server.rules;

import io.tsdb.core.AppendStatus;
import io.tsdb.core.Appender;
import io.tsdb.core.Labels;
import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SampleCursor;
import io.tsdb.core.SeriesSet;
import io.tsdb.core.Storage;
import io.tsdb.core.StorageStats;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.testing.MemStorage;
import io.tsdb.query.engine.PromqlEngine;
import io.tsdb.query.engine.QueryOptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** A recording rule whose result is a native histogram records histogram samples (not their NaN placeholder). */
class RecordingRuleHistogramTest {
    static final long M = 60_000;

    /** MemStorage whose appender also takes float histograms (committed into the MemStorage). */
    static final class Store implements Storage {
        final MemStorage mem = new MemStorage();

        @Override public Appender appender() {
            Appender inner = mem.appender();
            List<Object[]> staged = new ArrayList<>();
            return new Appender() {
                @Override public AppendStatus append(Labels l, long t, double v) { return inner.append(l, t, v); }
                @Override public AppendStatus appendFloatHistogram(Labels l, long t, FloatHistogram h) {
                    staged.add(new Object[]{l, t, new FloatHistogram().copyFrom(h)});
                    return AppendStatus.OK;
                }
                @Override public String lastError() { return inner.lastError(); }
                @Override public int pending() { return inner.pending() + staged.size(); }
                @Override public void commit() throws IOException {
                    inner.commit();
                    for (Object[] o : staged) mem.addHistogram((Labels) o[0], (long) o[1], (FloatHistogram) o[2]);
                    staged.clear();
                }
                @Override public void rollback() { inner.rollback(); staged.clear(); }
            };
        }

        @Override public Querier querier(long mint, long maxt) { return mem.querier(mint, maxt); }
        @Override public StorageStats stats() { return mem.stats(); }
        @Override public void flush() { }
        @Override public void close() { }
    }

    @Test void histogramResultsAreRecordedAsHistograms() {
        Store st = new Store();
        for (int i = 0; i <= 10; i++) {
            FloatHistogram h = new FloatHistogram();
            h.positiveSpans.add(0, 1);
            h.addPositive(i * 6);
            h.count = i * 6;
            h.sum = i * 3;
            st.mem.addHistogram(Labels.of("__name__", "req_seconds", "i", "a"), i * M, h);
        }
        long[] now = {10 * M};
        RuleClock clock = new RuleClock() {
            @Override public long nowMillis() { return now[0]; }
            @Override public void sleepUntil(long ms) { throw new UnsupportedOperationException(); }
        };
        QueryOptions qo = QueryOptions.DEFAULTS;
        RuleEnv env = new RuleEnv(st, new PromqlEngine(st, qo, M), qo,
                new RuleEnv.Options(M, 0, M, 3_600_000, 600_000, Map.of(), "http://tsdb:9201"), clock, a -> { }, null);
        RuleFileLoader.Result r = RuleFileLoader.parse("/rules/h.yml", """
                groups:
                  - name: h
                    rules:
                      - record: job:req_seconds:copy
                        expr: req_seconds
                """, false);
        assertTrue(r.ok(), r.errors().toString());
        RuleGroup g = new RuleGroup(r.groups().get(0), env, false);
        g.markRestored();
        g.eval(now[0]);
        try (Querier q = st.querier(0, 20 * M)) {
            SeriesSet ss = q.select(List.of(Matcher.eq("__name__", "job:req_seconds:copy")));
            assertTrue(ss.next(), "the rule recorded nothing");
            SampleCursor c = ss.cursor();
            assertTrue(c.next());
            assertEquals(SampleCursor.FLOAT_HISTOGRAM, c.sampleType());
            FloatHistogram h = c.floatHistogram(new FloatHistogram());
            assertEquals(60, h.count);
            assertEquals(30, h.sum);
            assertEquals(60, h.positiveBuckets[0]);
        }
    }
}
