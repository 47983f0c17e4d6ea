package io.tsdb.server.ingest.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.tsdb.server.ingest.TestEnv;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;

/** Coverage-guided fuzzing of the OTLP protobuf reader and the OTLP JSON decoder. */
class OtlpFuzzTest {
    private static final TestEnv ENV = FuzzSupport.env();

    /** First byte: bit 0 selects JSON; the rest is the body. */
    @FuzzTest(maxDuration = "60s")
    void otlp(byte[] data) {
        if (data.length == 0) return;
        boolean json = (data[0] & 1) != 0;
        FuzzSupport.post(ENV, "/api/v1/otlp/v1/metrics", Map.of("Content-Type", json ? "application/json" : "application/x-protobuf"),
                Arrays.copyOfRange(data, 1, data.length), Set.of(200, 400));
    }
}
