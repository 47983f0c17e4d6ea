package io.tsdb.query.engine.eval;

import io.tsdb.core.Storage;
import io.tsdb.query.engine.QueryException;

import java.util.LinkedHashSet;
import java.util.Set;

/** Per-query state shared by all evaluation code: limits, deadline, annotations, statistics. */
public final class EvalContext {
    public final Storage storage;
    public final String query;
    public final long queryStart;
    public final long queryEnd;
    /** Step of the top-level query (0 for instant queries). */
    public final long queryStep;
    public final long lookbackMs;
    public final long maxSamples;
    public final long deadlineNanos;
    /** Default subquery step when omitted, as Prometheus' default evaluation interval. */
    public final long defaultSubqueryStepMs;

    public final Set<String> warnings = new LinkedHashSet<>();
    public final Set<String> infos = new LinkedHashSet<>();

    /**
     * Set while evaluating the argument of histogram_count/histogram_sum/histogram_avg: like upstream's histogram
     * statistics decoding, selectors then detect counter resets between the histogram samples they read and set the
     * samples' hints accordingly (a sample that starts a new chunk after a reset reads back as "reset", not "unknown").
     */
    public boolean statsDecoding;

    public long seriesTouched;
    public long samplesTouched;
    /** Points currently held by live intermediate results (Prometheus' "samples in memory"). */
    public long currentSamples;
    public long peakSamples;
    private int tick;

    public EvalContext(Storage storage, String query, long queryStart, long queryEnd, long queryStep, long lookbackMs,
                       long maxSamples, long timeoutMs, long defaultSubqueryStepMs) {
        this.storage = storage;
        this.query = query == null ? "" : query;
        this.queryStart = queryStart;
        this.queryEnd = queryEnd;
        this.queryStep = queryStep;
        this.lookbackMs = lookbackMs > 0 ? lookbackMs : 5 * 60_000L;
        this.maxSamples = maxSamples > 0 ? maxSamples : Long.MAX_VALUE;
        this.deadlineNanos = timeoutMs > 0 ? System.nanoTime() + timeoutMs * 1_000_000L : Long.MAX_VALUE;
        this.defaultSubqueryStepMs = defaultSubqueryStepMs > 0 ? defaultSubqueryStepMs : 60_000L;
    }

    /** Cheap cancellation check: call in loops over series or steps. */
    public void checkDeadline() {
        if ((++tick & 63) != 0 || deadlineNanos == Long.MAX_VALUE) return;
        if (System.nanoTime() - deadlineNanos > 0) {
            throw new QueryException(QueryException.Kind.TIMEOUT, "query timed out in expression evaluation");
        }
    }

    public void addSamples(long n) {
        currentSamples += n;
        if (currentSamples > peakSamples) peakSamples = currentSamples;
        if (currentSamples > maxSamples) {
            throw new QueryException(QueryException.Kind.EXECUTION,
                    "query processing would load too many samples into memory in query execution (limit "
                            + maxSamples + ")");
        }
    }

    public void releaseSamples(long n) { currentSamples -= n; }

    /** Prometheus-style position "line:col" (1-based) of a character offset in the query. */
    public String pos(int offset) {
        int line = 1, col = 1;
        for (int i = 0; i < offset && i < query.length(); i++) {
            if (query.charAt(i) == '\n') { line++; col = 1; } else col++;
        }
        return line + ":" + col;
    }

    public void warn(String msg, int offset) { warnings.add("PromQL warning: " + msg + " (" + pos(offset) + ")"); }

    public void info(String msg, int offset) { infos.add("PromQL info: " + msg + " (" + pos(offset) + ")"); }

    public static QueryException execError(String msg) {
        return new QueryException(QueryException.Kind.EXECUTION, msg);
    }
}
