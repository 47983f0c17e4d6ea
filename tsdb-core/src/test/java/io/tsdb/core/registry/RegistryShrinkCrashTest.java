package io.tsdb.core.registry;

import io.tsdb.core.Labels;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.tsdb.core.registry.SeriesRegistryTest.series;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A registry rewrite (series without data leaving the registry) killed at every step: the registry reopens,
 * every series with data is found with its id, each tier is either wholly the old or wholly the new one (never
 * a mix), no temporary file is left, and ids are not reused.
 */
class RegistryShrinkCrashTest {
    static final int N = 5000;   // tiers of 1024, 1280, 1600 (sealed) and 2048 (newest)
    static final int NEWEST = 1024 + 1280 + 1600;   // first id in the newest tier
    @TempDir Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"tmp-half-written", "tmp-written", "before-rename", "renamed", "swapped", "end"})
    void killedAtEveryStepLeavesTheOldOrTheNewTier(String step) throws Exception {
        try (SeriesRegistry r = SeriesRegistry.open(dir, 1024)) {
            for (int i = 0; i < N; i++) r.put(series(i), i);
        }
        assertEquals("HALT " + step, runChild(step, "1000"));
        try (SeriesRegistry r = SeriesRegistry.open(dir, 1024)) {
            try (Stream<Path> s = Files.list(dir)) {
                assertTrue(s.noneMatch(p -> p.toString().endsWith(RegistryFormat.TMP_SUFFIX)), "temporary tier left behind");
            }
            Map<Labels, Integer> all = new HashMap<>();   // a series may be in two tiers, always with the same id
            r.forEach((l, id) -> {
                Integer prev = all.put(l, id);
                assertTrue(prev == null || prev == id, l + " registered as " + prev + " and " + id);
            });
            for (int i = 0; i < N; i += 3) assertEquals(i, r.get(series(i)), "series with data " + i);
            assertEquals(1000, r.get(series(1000)), "a dropped series that came back is still registered");
            // per sealed tier: either all of its dropped series are still there (old tier) or none (new tier)
            int[][] ranges = {{0, 1024}, {1024, 2304}, {2304, NEWEST}};
            for (int[] range : ranges) {
                int present = 0, dropped = 0;
                for (int i = range[0]; i < range[1]; i++) {
                    if (i % 3 == 0 || i == 1000) continue;
                    dropped++;
                    if (all.containsKey(series(i))) present++;
                }
                assertTrue(present == 0 || present == dropped, step + ": tier " + range[0] + ".." + range[1] + " has "
                        + present + " of its " + dropped + " dropped series: a mix of old and new");
            }
            for (int i = NEWEST; i < N; i++) assertEquals(i, r.get(series(i)), "the newest tier is never rewritten");
            assertTrue(r.nextId() >= N, "ids are never reused: next id " + r.nextId());
            if (step.equals("end") || step.equals("swapped") || step.equals("renamed")) {
                assertTrue(r.size() < N, step + ": the rewrite was durable: " + r.size());
            }
            // and a later rewrite completes
            r.retainOnly(id -> id % 3 == 0 || id >= NEWEST || id == 1000, id -> false, Runnable::run, 0.25);
            assertEquals(-1, r.get(series(4)), "dropped series are gone after the rewrite");
        }
    }

    private String runChild(String step, String active) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--add-") || arg.startsWith("-Dchronicle")) cmd.add(arg);
        }
        cmd.addAll(List.of("-Xmx256m", "-cp", System.getProperty("java.class.path"), RegistryShrinkMain.class.getName(),
                dir.toString(), step, active));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.to(new File(dir.getParent().toFile(), "shrink-child-" + step + ".txt"))).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child did not exit");
        assertEquals(137, p.exitValue(), "halted like kill -9: " + out);
        return out.lines().filter(l -> l.startsWith("HALT")).findFirst().orElse(out);
    }
}
