package io.tsdb.server.ingest.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.tsdb.server.ingest.TestEnv;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;

/** Coverage-guided fuzzing of the remote-write 1.0/2.0 decoders and of body decompression (seed corpus in resources). */
class RemoteWriteFuzzTest {
    private static final TestEnv ENV = FuzzSupport.env();
    private static final String[] ENCODINGS = {"identity", "snappy", "gzip", "zstd", "deflate"};

    /** First byte: bit 0 selects 1.0/2.0; the rest is an uncompressed protobuf body. */
    @FuzzTest(maxDuration = "60s")
    void remoteWrite(byte[] data) {
        if (data.length == 0) return;
        boolean v2 = (data[0] & 1) != 0;
        Map<String, String> h = Map.of("Content-Encoding", "identity", "Content-Type",
                v2 ? "application/x-protobuf;proto=io.prometheus.write.v2.Request" : "application/x-protobuf");
        FuzzSupport.post(ENV, "/api/v1/write", h, Arrays.copyOfRange(data, 1, data.length), Set.of(204, 400));
    }

    /** First byte selects the Content-Encoding; the rest is the (usually invalid) compressed body. */
    @FuzzTest(maxDuration = "60s")
    void compressedBody(byte[] data) {
        if (data.length == 0) return;
        String enc = ENCODINGS[(data[0] & 0xff) % ENCODINGS.length];
        FuzzSupport.post(ENV, "/api/v1/write", Map.of("Content-Encoding", enc), Arrays.copyOfRange(data, 1, data.length), Set.of(204, 400, 413));
    }
}
