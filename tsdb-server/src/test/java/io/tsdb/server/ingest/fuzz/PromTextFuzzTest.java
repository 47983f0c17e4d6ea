package io.tsdb.server.ingest.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.tsdb.server.ingest.TestEnv;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Coverage-guided fuzzing of the Prometheus text / OpenMetrics parser and the push endpoint. */
class PromTextFuzzTest {
    private static final TestEnv ENV = FuzzSupport.env();

    /** First byte: bit 0 OpenMetrics, bit 1 push (grouping labels, receive time). */
    @FuzzTest(maxDuration = "60s")
    void promText(byte[] data) {
        if (data.length == 0) return;
        boolean om = (data[0] & 1) != 0, push = (data[0] & 2) != 0;
        Map<String, String> h = Map.of("Content-Type", om ? "application/openmetrics-text; version=1.0.0" : "text/plain; version=0.0.4");
        byte[] body = Arrays.copyOfRange(data, 1, data.length);
        if (push) {
            FuzzSupport.post(ENV, "/metrics/job/fz/instance/i", h, body, Set.of(200, 400));
            for (String s : ENV.dump()) {
                assertTrue(s.contains("job=\"fz\"") && s.contains("instance=\"i\""), s);
                assertTrue(s.endsWith(" " + TestEnv.NOW + "=" + s.substring(s.lastIndexOf('=') + 1)), s);
            }
        } else {
            FuzzSupport.post(ENV, "/api/v1/import/prometheus", h, body, Set.of(204, 400));
        }
    }
}
