package io.tsdb.server.ingest.fuzz;

import io.tsdb.core.testing.MemStorage;
import io.tsdb.server.ingest.TestEnv;

import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Shared checks for the fuzz tests: every input yields an expected status (never a 500), and nothing leaks. */
final class FuzzSupport {
    private FuzzSupport() {}

    /** Whether the answer says the whole body was malformed (not just echoing input that contains those words). */
    static boolean malformed(String body) {
        int i = body.indexOf("malformed ");
        return body.startsWith("malformed ") || body.startsWith("{\"code\":3,\"message\":\"malformed ") || (i >= 0 && i <= 8 && body.startsWith("\u0008\u0003"));
    }

    static TestEnv env() { return new TestEnv(c -> c.maxBodyBytes = 1 << 20); }

    static TestEnv.Result post(TestEnv env, String path, Map<String, String> headers, byte[] body, Set<Integer> allowed) {
        ((MemStorage) env.storage).clear();
        TestEnv.Result r = env.post(path, headers, body); // a non-HttpError exception fails inside TestEnv
        assertTrue(allowed.contains(r.status()), () -> "unexpected status for input: " + r);
        if (r.status() >= 400) assertTrue(!r.body().isEmpty(), "error without a message");
        assertEquals(0, env.ctx.limiter().usedBytes(), "memory budget leaked");
        assertEquals(0, env.ctx.limiter().inFlight(), "ingest slot leaked");
        if (r.status() == 400 && malformed(r.body())) {
            assertTrue(env.dump().isEmpty(), "malformed request stored samples");
        }
        return r;
    }
}
