package io.tsdb.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.tsdb.query.ast.Call;
import io.tsdb.query.ast.Expr;
import io.tsdb.query.ast.ParenExpr;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Randomized differential test against a real Prometheus 2.42 (issue 18): {@link DiffQueryGenerator} writes
 * queries over {@link DiffDataSet}, loaded once into Prometheus and this server; every query runs as an instant
 * query and as a range query on both, at times on and off whole seconds; answers are compared label set by label
 * set and point by point ({@link DiffComparator}). A disagreement is shrunk to a minimal reproduction
 * ({@link DiffShrinker}) and then either excused by a documented difference between 2.42 and the 3.x semantics this
 * engine follows ({@code difftest/known-differences.yaml}, {@link DiffKnownDifferences}) or reported as unexplained,
 * which fails the test. A query the reference cannot parse is a generator bug and fails the test too.
 *
 * <p>Size and seed: {@code -Ddifftest.queries=N} (default 2,500) and {@code -Ddifftest.seed=S}; the report (counts per
 * excused class, every unexplained reproduction) goes to stdout and {@code target/difftest-report.txt}. Long run:
 * {@code benchmarks/difftest.sh} (docs/query-engine.md).
 */
class RandomizedDifferentialTest {
    static final long SEED = Long.getLong("difftest.seed", 18L);
    static final int QUERIES = Integer.getInteger("difftest.queries", 2_500);
    static final int SHRINK_BUDGET = Integer.getInteger("difftest.shrinkBudget", 200);
    static final long[] STEPS = {15_000, 30_000, 60_000, 17_000, 23_500, 120_000, 67_250};

    @TempDir static Path tmp;
    static PrometheusPair pair;
    static long start, end;
    static ExecutorService pool;

    /**
     * The data's end by default: a fixed date (2024-06-01T00:00:00Z), so that a seed decides every absolute time too.
     * Absolute times decide where subquery steps fall relative to the samples (the absolute step grid), how the range
     * cache cuts a query into extents, which extents are recent enough to be cached, and what date functions answer;
     * with the end taken from the wall clock the same seed tested different things from run to run (a tie that pinning
     * had to prove at one time and not at another).
     */
    static final long DEFAULT_END = 1_717_200_000_000L;

    @BeforeAll static void setUp() throws Exception {
        pair = PrometheusPair.start(tmp);
        // -Ddifftest.end (ms since the epoch, data end) moves the data (and every absolute time) elsewhere.
        end = Long.getLong("difftest.end", DEFAULT_END);
        start = end - DiffDataSet.DURATION_MS;
        pair.load(DiffDataSet.build(start, 42));
        // The data spans the block duration: this server's maintenance would cut the head into a block at a moment of
        // the wall clock (up to 30 s in); cut it now, so every query of a run reads the same storage (a block).
        pair.server.context().storage().flush();
        pool = Executors.newFixedThreadPool(2);
    }

    @AfterAll static void tearDown() throws Exception {
        if (pool != null) pool.shutdownNow();
        if (pair != null) pair.close();
    }

    /** Runs a case on both sides at once: [reference, ours]. */
    static JsonNode[] both(DiffCase c) throws Exception {
        Future<JsonNode> ref = pool.submit(() -> c.run(pair.promUrl));
        Future<JsonNode> ours = pool.submit(() -> c.run(pair.ourUrl));
        return new JsonNode[]{ref.get(), ours.get()};
    }

    /** The tie-aware comparison of a fresh run ({@link DiffTies#compare}). */
    static DiffComparator.Disagreement disagreement(DiffCase c) throws Exception {
        JsonNode[] r = both(c);
        if (DiffComparator.referenceParseError(r[0])) return null;
        return DiffTies.compare(c, r, RandomizedDifferentialTest::both);
    }

    /** A time in the last 85 minutes of the data, off whole seconds two times in three. */
    static long time(Random rnd, long from, long to) {
        long t = from + (long) (rnd.nextDouble() * (to - from));
        return rnd.nextInt(3) == 0 ? t / 1000 * 1000 : t;
    }

    /**
     * {@code -Ddifftest.repro="instant t0+5400.5s: <query>"} (a line of the report; several lines separated by
     * newlines): runs each case and prints both answers (for debugging a reported disagreement).
     */
    @Test void reproduce() throws Exception {
        String repro = System.getProperty("difftest.repro");
        org.junit.jupiter.api.Assumptions.assumeTrue(repro != null && !repro.isBlank(), "no -Ddifftest.repro given");
        for (String line : repro.split("\n")) {
            if (line.isBlank()) continue;
            DiffCase c = DiffCase.parse(line.strip(), start);
            for (int i = 0; i < 3; i++) { // the second and third run of a range query may be answered from the range cache
                JsonNode[] r = both(c);
                System.out.println(c.describe(start) + " (run " + (i + 1) + ")\nreference: " + r[0] + "\nours:      " + r[1]
                        + "\ndisagreement: " + DiffComparator.compare(r[0], r[1], c.ordered()));
            }
            DiffComparator.Disagreement d = disagreement(c);
            if (DiffTies.hasSelection(c.expr())) {
                DiffTies.Pinned p = DiffTies.pin(c, RandomizedDifferentialTest::both);
                System.out.println("pinned to our topk/bottomk choices: " + (p.rejection() != null ? "not possible: " + p.rejection()
                        : p.proven() ? "not needed (the query is a topk/bottomk and our answer a valid choice)"
                        : p.reference().query() + "\nreference: " + both(p.reference())[0]) + "\ntie-aware disagreement: " + d);
            }
            if (d != null) {
                DiffKnownDifferences known = DiffKnownDifferences.load();
                System.out.println("classified as: " + known.classify(c, d, RandomizedDifferentialTest::both)
                        + (known.lastRejection == null ? "" : " (check rejected: " + known.lastRejection + ")"));
            }
        }
    }

    @Test void generatedQueriesAgreeWithPrometheus() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getProperty("difftest.repro") == null, "reproducing a single case");
        DiffKnownDifferences known = DiffKnownDifferences.load();
        DiffQueryGenerator gen = new DiffQueryGenerator(SEED, start, end);
        Random rnd = new Random(SEED * 31 + 7);
        Map<String, Integer> excused = new TreeMap<>();
        Map<String, String> excusedExample = new TreeMap<>();
        List<String> unexplained = new ArrayList<>(), parseErrors = new ArrayList<>();
        int cases = 0, agreed = 0, nonEmpty = 0, bothErrors = 0, shrinkTries = 0;
        long t0 = System.nanoTime();
        for (int i = 0; i < QUERIES; i++) {
            Expr e = gen.query();
            long from = start + 35 * 60_000;
            long rs = time(rnd, from, end - 5 * 60_000);
            long step = STEPS[rnd.nextInt(STEPS.length)];
            long re = Math.min(end + 2 * 60_000, rs + Math.min(300 * step, 60_000 + (long) (rnd.nextDouble() * 60 * 60_000)));
            for (DiffCase c : List.of(DiffCase.instant(e, time(rnd, from, end + 60_000)), DiffCase.range(e, rs, re, step))) {
                cases++;
                JsonNode[] r = both(c);
                if (DiffComparator.referenceParseError(r[0])) {
                    parseErrors.add(c.describe(start) + "\n    " + r[0].path("error").asText());
                    continue;
                }
                if (r[0].at("/data/result").size() > 0) nonEmpty++;
                if ("error".equals(r[0].path("status").asText())) bothErrors++;
                DiffComparator.Disagreement d = DiffComparator.compare(r[0], r[1], c.ordered());
                if (d == null) {
                    agreed++;
                    continue;
                }
                // Shrink under the tie-aware comparison: a disagreement that is only a topk/bottomk tie is classified
                // as it is (shrinking it could only find a smaller tie, from a reference that answers differently on
                // every run), and a real one is not shrunk into a mere tie.
                DiffComparator.Disagreement td = DiffTies.compare(c, r, RandomizedDifferentialTest::both);
                DiffCase min = c;
                DiffComparator.Disagreement md = d;
                if (td != null) {
                    String family = td.kind().family();
                    DiffShrinker.Result s = DiffShrinker.shrink(c.expr(), v -> {
                        try {
                            return DiffTies.failsLike(c.with(v), family, RandomizedDifferentialTest::both);
                        } catch (Exception ex) {
                            throw new IllegalStateException(ex);
                        }
                    }, SHRINK_BUDGET);
                    shrinkTries += s.tries();
                    min = c.with(s.expr());
                    md = null;
                    for (int k = 0; k < 3 && md == null; k++) md = disagreement(min); // a reference choosing among ties may agree by chance
                    if (md == null) md = td;
                }
                String cls = known.classify(min, md, RandomizedDifferentialTest::both);
                if (cls == null) {
                    unexplained.add(min.describe(start) + "\n    " + md + "\n    generated: " + c.describe(start)
                            + (known.lastRejection == null ? "" : "\n    check rejected: " + known.lastRejection));
                } else {
                    excused.merge(cls, 1, Integer::sum);
                    excusedExample.putIfAbsent(cls, min.describe(start) + "  (" + md.kind() + ")");
                }
            }
        }
        long secs = (System.nanoTime() - t0) / 1_000_000_000L;
        StringBuilder rep = new StringBuilder();
        rep.append(String.format("Randomized differential test vs Prometheus 2.42: seed %d, %d queries, %d cases (instant + range) in %d s; "
                + "data t0=%d (-Ddifftest.end=%d)%n", SEED, QUERIES, cases, secs, start, end));
        rep.append(String.format("  agreed %d; reference non-empty %d, both failed %d; shrink runs %d; generated but rejected by the parser %d%n",
                agreed, nonEmpty, bothErrors, shrinkTries, gen.rejected));
        rep.append(String.format("  excused %d:%n", excused.values().stream().mapToInt(Integer::intValue).sum()));
        for (Map.Entry<String, Integer> x : excused.entrySet()) {
            rep.append(String.format("    %-32s %6d   e.g. %s%n", x.getKey(), x.getValue(), excusedExample.get(x.getKey())));
        }
        rep.append(String.format("  reference parse errors %d%n", parseErrors.size()));
        for (String p : parseErrors) rep.append("    ").append(p).append('\n');
        rep.append(String.format("  unexplained %d%n", unexplained.size()));
        for (String u : unexplained) rep.append("    ").append(u).append('\n');
        System.out.print(rep);
        Path target = Paths.get("target");
        Files.createDirectories(target);
        Files.writeString(target.resolve("difftest-report.txt"), rep.toString());

        assertTrue(nonEmpty > cases / 2, "too few non-empty reference answers (" + nonEmpty + " of " + cases + "): the generator misses the data");
        assertEquals(List.of(), parseErrors, "the generator wrote queries Prometheus 2.42 cannot parse");
        assertEquals(List.of(), unexplained, "unexplained disagreements with Prometheus (see target/difftest-report.txt)");
    }
}
