package io.tsdb.query.testdata;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds the read-only corpora that live beside the repository ({@code ../shared/promql-testdata},
 * {@code ../shared/prometheus-rules-testdata}), looking in the working directory and its parents, or at the
 * path given by the system property {@code shared.testdata}.
 *
 * <p>A user's fresh clone has no {@code shared/} beside it: suites that need it are then skipped with a
 * notice on stderr (and the JUnit skip reason). CI has it and must not skip silently: when the environment
 * variable {@code TSDB_REQUIRE_SHARED_TESTDATA} is set (as {@code .ci/run} does), a missing corpus fails the
 * suite instead.
 */
public final class SharedTestData {
    public static final String REQUIRE_ENV = "TSDB_REQUIRE_SHARED_TESTDATA";

    private SharedTestData() {}

    /** The directory {@code shared/<name>}, or null when it is absent. */
    public static Path find(String name) {
        String prop = System.getProperty("shared.testdata");
        if (prop != null) {
            Path p = Path.of(prop).resolve(name);
            return Files.isDirectory(p) ? p : null;
        }
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path c = d.resolve("shared").resolve(name);
            if (Files.isDirectory(c)) return c;
        }
        return null;
    }

    /**
     * The directory {@code shared/<name>}; when absent, aborts the calling test as skipped with a visible
     * notice, or fails it when {@link #REQUIRE_ENV} is set.
     */
    public static Path require(String name, String suite) {
        Path p = find(name);
        if (p != null) return p;
        String msg = suite + ": shared/" + name + " not found beside the repository (or any parent directory)";
        if (System.getenv(REQUIRE_ENV) != null) throw new IllegalStateException(msg + " and " + REQUIRE_ENV + " is set");
        System.err.println("NOTICE: SKIPPING " + msg + "; these tests run where it exists (CI)");
        Assumptions.abort(msg);
        return null;
    }
}
