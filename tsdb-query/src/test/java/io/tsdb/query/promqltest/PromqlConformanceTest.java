package io.tsdb.query.promqltest;

import io.tsdb.query.testdata.SharedTestData;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Runs every Prometheus promqltest script of the shared PromQL test data (core/ and experimental/)
 * against the engine. Cases that need native histograms are reported as skipped. Core failures fail
 * the build unless listed (with a reason) in {@code promqltest/known-failures.txt}, in which case they
 * are reported as skipped with that reason; experimental failures are reported but never fail the build, except in
 * the files of {@link #GOALS} (native histograms), which fail it like the core set. Per-file counts go to stdout and
 * to target/promql-conformance-{core,experimental}.txt, every failure with its message to
 * target/promql-conformance-{core,experimental}-failures.txt.
 */
class PromqlConformanceTest {

    /** shared/promql-testdata; skips the suite with a notice when absent (fails under CI, see SharedTestData). */
    static Path testDataDir() {
        return SharedTestData.require("promql-testdata", "PromQL conformance");
    }

    static Map<String, String> knownFailures() throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        try (InputStream in = PromqlConformanceTest.class.getResourceAsStream("/promqltest/known-failures.txt")) {
            if (in == null) return out;
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                line = line.trim();
                if (line.isEmpty() || line.startsWith("#")) continue;
                int sp = line.indexOf(' ');
                out.put(sp < 0 ? line : line.substring(0, sp), sp < 0 ? "known failure" : line.substring(sp + 1).trim());
            }
        }
        return out;
    }

    /** Experimental files that fail the build like the core set (stable upstream since Prometheus 3.8). */
    static final java.util.Set<String> GOALS = java.util.Set.of("experimental/native_histograms.test");

    @TestFactory
    Stream<DynamicNode> core() throws IOException {
        return suite("core", true);
    }

    @TestFactory
    Stream<DynamicNode> experimental() throws IOException {
        return suite("experimental", false);
    }

    private Stream<DynamicNode> suite(String name, boolean failBuild) throws IOException {
        Path dir = testDataDir().resolve(name);
        if (!Files.isDirectory(dir)) throw new IllegalStateException("missing test data directory " + dir);
        Map<String, String> known = knownFailures();
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(f -> f.toString().endsWith(".test")).sorted().toList();
        }
        List<DynamicNode> containers = new ArrayList<>();
        StringBuilder report = new StringBuilder();
        report.append(String.format("PromQL conformance (%s)%n%-32s %7s %7s %7s %7s%n", name, "file", "passed", "failed",
                "skipped", "known"));
        int tp = 0, tf = 0, ts = 0, tk = 0;
        StringBuilder failures = new StringBuilder();
        List<String> nowPassing = new ArrayList<>();
        for (Path f : files) {
            String fname = name + "/" + f.getFileName();
            List<ScriptRunner.CaseResult> results;
            String loadError = null;
            try {
                Script script = Script.parse(Files.readString(f));
                results = new ScriptRunner().run(fname, script);
            } catch (RuntimeException e) {
                results = List.of();
                loadError = e.toString();
            }
            int p = 0, fl = 0, sk = 0, kn = 0;
            List<DynamicNode> tests = new ArrayList<>();
            if (loadError != null) {
                String err = loadError;
                fl++;
                tests.add(DynamicTest.dynamicTest("script", () -> {
                    if (failBuild || GOALS.contains(fname)) Assertions.fail("cannot run " + fname + ": " + err);
                    Assumptions.abort("experimental script cannot run: " + err);
                }));
            }
            boolean fileFailsBuild = failBuild || GOALS.contains(fname);
            for (ScriptRunner.CaseResult r : results) {
                String key = fname + ":" + r.line();
                if (r.status() == ScriptRunner.Status.FAILED) {
                    failures.append(key).append(' ').append(r.expr()).append("\n    ").append(r.message()).append('\n');
                }
                String knownReason = known.get(key);
                String display = "line " + r.line() + ": " + r.expr();
                switch (r.status()) {
                    case PASSED -> {
                        p++;
                        if (knownReason != null) nowPassing.add(key);
                        tests.add(DynamicTest.dynamicTest(display, () -> { }));
                    }
                    case SKIPPED -> {
                        sk++;
                        tests.add(DynamicTest.dynamicTest(display, () -> Assumptions.abort("skipped: " + r.message())));
                    }
                    case FAILED -> {
                        if (knownReason != null) {
                            kn++;
                            tests.add(DynamicTest.dynamicTest(display, () -> Assumptions.abort(
                                    "known failure (" + knownReason + "): " + r.message())));
                        } else if (!fileFailsBuild) {
                            fl++;
                            tests.add(DynamicTest.dynamicTest(display, () -> Assumptions.abort(
                                    "experimental failure (not failing the build): " + r.message())));
                        } else {
                            fl++;
                            tests.add(DynamicTest.dynamicTest(display, () -> Assertions.fail(key + " " + r.expr() + ": " + r.message())));
                        }
                    }
                }
            }
            tp += p; tf += fl; ts += sk; tk += kn;
            report.append(String.format("%-32s %7d %7d %7d %7d%n", f.getFileName(), p, fl, sk, kn));
            containers.add(DynamicContainer.dynamicContainer(fname, tests));
        }
        report.append(String.format("%-32s %7d %7d %7d %7d%n", "TOTAL", tp, tf, ts, tk));
        report.append("(known = failing cases listed in known-failures.txt, reported as skipped with their reason)\n");
        if (!nowPassing.isEmpty()) report.append("Listed as known failures but now passing: ").append(nowPassing).append('\n');
        System.out.print(report);
        Path target = Paths.get("target");
        Files.createDirectories(target);
        Files.writeString(target.resolve("promql-conformance-" + name + ".txt"), report.toString());
        Files.writeString(target.resolve("promql-conformance-" + name + "-failures.txt"), failures.toString());
        return containers.stream();
    }
}
