package io.tsdb.query.promqltest;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Regression tests for wrong answers found by the randomized differential test against Prometheus
 * (tsdb-server's RandomizedDifferentialTest, issue 18). Each case is the generator's shrunk reproduction,
 * written in the promqltest script language, with the answer Prometheus gives; the scripts are listed in
 * {@code promqltest/regressions/index.txt}. They run like the conformance scripts: every instant eval is also
 * checked as a range query and with {@code @}; every case must pass, none may be skipped.
 */
class DifferentialRegressionTest {

    @TestFactory
    Stream<DynamicNode> regressions() throws IOException {
        List<DynamicNode> out = new ArrayList<>();
        List<String> files = read("/promqltest/regressions/index.txt").lines()
                .map(String::trim).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        Assertions.assertFalse(files.isEmpty(), "no regression scripts listed");
        for (String f : files) {
            List<ScriptRunner.CaseResult> results = new ScriptRunner().run(f, Script.parse(read("/promqltest/regressions/" + f)));
            Assertions.assertFalse(results.isEmpty(), f + " has no eval cases");
            List<DynamicNode> tests = new ArrayList<>();
            for (ScriptRunner.CaseResult r : results) {
                tests.add(DynamicTest.dynamicTest("line " + r.line() + ": " + r.expr(), () -> Assertions.assertEquals(
                        ScriptRunner.Status.PASSED, r.status(), f + ":" + r.line() + " " + r.expr() + ": " + r.message())));
            }
            out.add(DynamicContainer.dynamicContainer(f, tests));
        }
        return out.stream();
    }

    private static String read(String resource) throws IOException {
        try (InputStream in = DifferentialRegressionTest.class.getResourceAsStream(resource)) {
            if (in == null) throw new IOException("missing test resource " + resource);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
