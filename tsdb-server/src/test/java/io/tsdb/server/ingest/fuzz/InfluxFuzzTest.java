package io.tsdb.server.ingest.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.tsdb.server.ingest.TestEnv;

import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Coverage-guided fuzzing of the Influx line protocol parser (seed corpus in resources). */
class InfluxFuzzTest {
    private static final TestEnv ENV = FuzzSupport.env();

    @FuzzTest(maxDuration = "60s")
    void lineProtocol(byte[] data) {
        TestEnv.Result r = FuzzSupport.post(ENV, "/write?db=fz&precision=ms", Map.of(), data, Set.of(204, 400));
        if (r.status() == 400) assertTrue(r.body().startsWith("{\"error\":\"partial write: accepted "), r.body());
        // every stored series carries the db label from the request or from the line
        for (String s : ENV.dump()) assertTrue(s.contains("db=\""), s);
    }
}
