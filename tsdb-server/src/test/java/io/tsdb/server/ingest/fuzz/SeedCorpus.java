package io.tsdb.server.ingest.fuzz;

import io.tsdb.server.ingest.OtlpHandlerTest;
import io.tsdb.server.ingest.ProtoWriter;
import io.tsdb.core.StaleNaN;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes the fuzz seed corpora under src/test/resources (run from the tsdb-server directory:
 * {@code java -cp <test classpath> io.tsdb.server.ingest.fuzz.SeedCorpus}). Kept so the seeds are reproducible.
 */
public final class SeedCorpus {
    public static void main(String[] args) throws IOException {
        Path base = Path.of("src/test/resources/io/tsdb/server/ingest/fuzz");
        // remote write: 0x00 prefix = 1.0, 0x01 = 2.0
        ProtoWriter v1 = new ProtoWriter();
        v1.msg(1, s -> { s.msg(1, l -> l.string(1, "__name__").string(2, "up")); s.msg(1, l -> l.string(1, "job").string(2, "n"));
            s.msg(2, x -> x.dbl(1, 1).uint(2, 1000)); s.msg(2, x -> x.dbl(1, StaleNaN.VALUE).uint(2, 2000)); });
        v1.msg(3, m -> m.uint(1, 1).string(2, "up").string(4, "help"));
        write(base, "RemoteWriteFuzzTestInputs/remoteWrite/v1", cat(new byte[]{0}, v1.toByteArray()));
        ProtoWriter v2 = new ProtoWriter();
        for (String s : new String[]{"", "__name__", "m", "k", "v"}) v2.string(4, s);
        v2.msg(5, ts -> { ts.msg(1, p -> p.varint(1).varint(2).varint(3).varint(4)); ts.msg(2, x -> x.dbl(1, 2).uint(2, 5)); ts.msg(5, m -> m.uint(1, 2)); });
        write(base, "RemoteWriteFuzzTestInputs/remoteWrite/v2", cat(new byte[]{1}, v2.toByteArray()));
        write(base, "RemoteWriteFuzzTestInputs/compressedBody/snappy", cat(new byte[]{1}, snappy(v1.toByteArray())));
        write(base, "RemoteWriteFuzzTestInputs/compressedBody/gzip", cat(new byte[]{2}, io.tsdb.server.ingest.RemoteWriteHandlerTest.gzip(v1.toByteArray())));
        write(base, "RemoteWriteFuzzTestInputs/compressedBody/zstd", cat(new byte[]{3}, io.tsdb.server.ingest.RemoteWriteHandlerTest.zstd(v1.toByteArray())));
        write(base, "InfluxFuzzTestInputs/lineProtocol/basic", utf8(
                "cpu,host=a,region=us\\ west usage=1.5,idle=98i,up=true,n=7u 1700000000000\n# c\nm\\,x,t\\=k=v\\ w s=\"a \\\" b\",f=-1e3 1\nmem free=1\n"));
        write(base, "PromTextFuzzTestInputs/promText/text", cat(new byte[]{0}, utf8(
                "# HELP a_total help\\n\n# TYPE a_total counter\na_total{x=\"1\",y=\"\\\"q\\\\\\n\"} 1.5e3 1000\nb NaN\nc +Inf\n")));
        write(base, "PromTextFuzzTestInputs/promText/openmetrics", cat(new byte[]{1}, utf8(
                "# TYPE foo counter\n# UNIT foo seconds\nfoo_total 17.0 1520879606.1 # {trace_id=\"K\"} 0.67\n# EOF\n")));
        write(base, "PromTextFuzzTestInputs/promText/push", cat(new byte[]{2}, utf8("# TYPE g gauge\ng{l=\"v\"} 42\nh 1\n")));
        write(base, "OtlpFuzzTestInputs/otlp/proto", cat(new byte[]{0}, OtlpHandlerTest.sampleRequest()));
        write(base, "OtlpFuzzTestInputs/otlp/json", cat(new byte[]{1}, utf8(
                "{\"resourceMetrics\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":\"s\"}}]},"
                + "\"scopeMetrics\":[{\"metrics\":[{\"name\":\"h\",\"unit\":\"ms\",\"histogram\":{\"aggregationTemporality\":2,\"dataPoints\":"
                + "[{\"timeUnixNano\":\"1000000\",\"count\":\"3\",\"sum\":4,\"bucketCounts\":[\"1\",\"2\"],\"explicitBounds\":[5]}]}},"
                + "{\"name\":\"g\",\"gauge\":{\"dataPoints\":[{\"asDouble\":1,\"attributes\":[{\"key\":\"a.b\",\"value\":{\"intValue\":\"3\"}}]}]}}]}]}]}")));
    }

    static byte[] snappy(byte[] b) {
        io.airlift.compress.snappy.SnappyCompressor c = new io.airlift.compress.snappy.SnappyCompressor();
        byte[] out = new byte[c.maxCompressedLength(b.length)];
        return java.util.Arrays.copyOf(out, c.compress(b, 0, b.length, out, 0, out.length));
    }

    static byte[] utf8(String s) { return s.getBytes(StandardCharsets.UTF_8); }

    static byte[] cat(byte[] a, byte[] b) {
        byte[] o = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, o, a.length, b.length);
        return o;
    }

    static void write(Path base, String rel, byte[] data) throws IOException {
        Path p = base.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.write(p, data);
    }
}
