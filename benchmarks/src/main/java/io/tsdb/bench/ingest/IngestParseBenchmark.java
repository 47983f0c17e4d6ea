package io.tsdb.bench.ingest;

import io.airlift.compress.snappy.SnappyCompressor;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.tsdb.core.AppendStatus;
import io.tsdb.core.Appender;
import io.tsdb.core.Labels;
import io.tsdb.server.MetadataStore;
import io.tsdb.server.WriteEvents;
import io.tsdb.server.ingest.BodyDecoder;
import io.tsdb.server.ingest.DecodedBody;
import io.tsdb.server.ingest.IngestBatch;
import io.tsdb.server.ingest.IngestLimiter;
import io.tsdb.server.ingest.IngestMetrics;
import io.tsdb.server.ingest.LabelRules;
import io.tsdb.server.ingest.influx.InfluxParser;
import io.tsdb.server.ingest.prom.PromTextParser;
import io.tsdb.server.ingest.remotewrite.RemoteWriteDecoder;
import org.openjdk.jmh.annotations.*;
import org.openjdk.jmh.infra.Blackhole;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Ingest parse throughput per protocol on TSBS cpu-only shaped data (hosts x 10 cpu_* metrics with 10
 * host tags, integer-valued random walks, 10 s interval, fixed seed), parsed into a counting no-op appender:
 * the cost of decoding, label lookup and batching, without storage. Each operation is one request of
 * {@link #SAMPLES} samples; scores are ns per sample.
 *
 * <pre>
 * mvn -q -DskipTests package && java -jar benchmarks/target/benchmarks.jar IngestParseBenchmark
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
@OperationsPerInvocation(IngestParseBenchmark.SAMPLES)
public class IngestParseBenchmark {
    static final int HOSTS = 100, FIELDS = 10, STEPS = 10;
    public static final int SAMPLES = HOSTS * FIELDS * STEPS;
    static final String[] FIELD_NAMES = {"usage_user", "usage_system", "usage_idle", "usage_nice", "usage_iowait",
            "usage_irq", "usage_softirq", "usage_steal", "usage_guest", "usage_guest_nice"};
    static final long T0 = 1_700_000_000_000L;

    private ByteBuf remoteWrite, remoteWriteSnappy, influx, promText;
    private final CountingAppender appender = new CountingAppender();
    private final IngestMetrics metrics = new IngestMetrics(new PrometheusRegistry());
    private final WriteEvents events = new WriteEvents();
    private final LabelRules rules = new LabelRules(64, 256, 4096);
    private final RemoteWriteDecoder rw = new RemoteWriteDecoder(rules, new MetadataStore(), 1 << 16);
    private final InfluxParser influxParser = new InfluxParser(rules, 1 << 16);
    private final PromTextParser promParser = new PromTextParser(rules, 1 << 16);
    private final BodyDecoder decoder = new BodyDecoder(64L << 20, new IngestLimiter(64, 1L << 30));
    private static final long[] MS = InfluxParser.precision("ms");

    /** Counts appends; stores nothing. */
    static final class CountingAppender implements Appender {
        long n;
        double sum;
        @Override public AppendStatus append(Labels labels, long ts, double v) { n++; sum += v + ts + labels.size(); return AppendStatus.OK; }
        @Override public String lastError() { return null; }
        @Override public int pending() { return 0; }
        @Override public void commit() { }
        @Override public void rollback() { }
    }

    static String[] hostTags(int h, Random rnd) {
        String[] regions = {"us-east-1", "us-west-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1", "ap-northeast-1", "sa-east-1"};
        String region = regions[h % regions.length];
        return new String[]{"hostname", "host_" + h, "region", region, "datacenter", region + (char) ('a' + h % 3),
                "rack", Integer.toString(rnd.nextInt(100)), "os", "Ubuntu16.04LTS", "arch", h % 2 == 0 ? "x64" : "x86",
                "team", new String[]{"SF", "NYC", "LON", "CHI"}[h % 4], "service", Integer.toString(h % 20),
                "service_version", Integer.toString(h % 2), "service_environment", new String[]{"production", "staging", "test"}[h % 3]};
    }

    @Setup public void setup() {
        Random rnd = new Random(42);
        String[][] tags = new String[HOSTS][];
        for (int h = 0; h < HOSTS; h++) tags[h] = hostTags(h, rnd);
        int[][] walk = new int[HOSTS][FIELDS];
        double[][][] values = new double[STEPS][HOSTS][FIELDS];
        for (int s = 0; s < STEPS; s++)
            for (int h = 0; h < HOSTS; h++)
                for (int f = 0; f < FIELDS; f++) {
                    walk[h][f] = Math.max(0, Math.min(100, walk[h][f] + rnd.nextInt(11) - 5));
                    values[s][h][f] = walk[h][f];
                }
        // remote write 1.0: one TimeSeries per (host, field) with STEPS samples
        ByteArrayOutputStream pb = new ByteArrayOutputStream();
        for (int h = 0; h < HOSTS; h++)
            for (int f = 0; f < FIELDS; f++) {
                ByteArrayOutputStream ts = new ByteArrayOutputStream();
                label(ts, "__name__", "cpu_" + FIELD_NAMES[f]);
                for (int i = 0; i < tags[h].length; i += 2) label(ts, tags[h][i], tags[h][i + 1]);
                for (int s = 0; s < STEPS; s++) {
                    ByteArrayOutputStream smp = new ByteArrayOutputStream();
                    smp.write(0x09);
                    long bits = Double.doubleToRawLongBits(values[s][h][f]);
                    for (int k = 0; k < 8; k++) smp.write((int) (bits >>> (8 * k)));
                    smp.write(0x10);
                    varint(smp, T0 + s * 10_000L);
                    field(ts, 2, smp.toByteArray());
                }
                field(pb, 1, ts.toByteArray());
            }
        byte[] raw = pb.toByteArray();
        remoteWrite = Unpooled.wrappedBuffer(raw);
        SnappyCompressor c = new SnappyCompressor();
        byte[] out = new byte[c.maxCompressedLength(raw.length)];
        remoteWriteSnappy = Unpooled.wrappedBuffer(Arrays.copyOf(out, c.compress(raw, 0, raw.length, out, 0, out.length)));
        // influx: one line per (host, step) with 10 fields; metric names cpu_<field>
        StringBuilder lp = new StringBuilder();
        StringBuilder text = new StringBuilder();
        for (int s = 0; s < STEPS; s++)
            for (int h = 0; h < HOSTS; h++) {
                lp.append("cpu");
                StringBuilder lbl = new StringBuilder();
                for (int i = 0; i < tags[h].length; i += 2) {
                    lp.append(',').append(tags[h][i]).append('=').append(tags[h][i + 1]);
                    lbl.append(i == 0 ? "" : ",").append(tags[h][i]).append("=\"").append(tags[h][i + 1]).append('"');
                }
                lp.append(' ');
                for (int f = 0; f < FIELDS; f++) {
                    lp.append(f == 0 ? "" : ",").append(FIELD_NAMES[f]).append('=').append((long) values[s][h][f]).append('i');
                    text.append("cpu_").append(FIELD_NAMES[f]).append('{').append(lbl).append("} ")
                        .append((long) values[s][h][f]).append(' ').append(T0 + s * 10_000L).append('\n');
                }
                lp.append(' ').append(T0 + s * 10_000L).append('\n');
            }
        influx = Unpooled.wrappedBuffer(lp.toString().getBytes(StandardCharsets.UTF_8));
        promText = Unpooled.wrappedBuffer(text.toString().getBytes(StandardCharsets.UTF_8));
        // sanity: every format yields every sample
        for (Runnable r : new Runnable[]{this::runRemoteWrite, this::runInflux, this::runPromText}) {
            appender.n = 0;
            r.run();
            if (appender.n != SAMPLES) throw new IllegalStateException("parsed " + appender.n + " samples, expected " + SAMPLES);
        }
    }

    private static void varint(ByteArrayOutputStream o, long v) {
        while ((v & ~0x7FL) != 0) { o.write((int) ((v & 0x7F) | 0x80)); v >>>= 7; }
        o.write((int) v);
    }

    private static void field(ByteArrayOutputStream o, int f, byte[] b) {
        varint(o, (long) f << 3 | 2);
        varint(o, b.length);
        o.writeBytes(b);
    }

    private static void label(ByteArrayOutputStream o, String n, String v) {
        ByteArrayOutputStream l = new ByteArrayOutputStream();
        field(l, 1, n.getBytes(StandardCharsets.UTF_8));
        field(l, 2, v.getBytes(StandardCharsets.UTF_8));
        field(o, 1, l.toByteArray());
    }

    private IngestBatch batch(String p) { return new IngestBatch(p, appender, metrics, events); }

    void runRemoteWrite() { IngestBatch b = batch("remote_write"); rw.decodeV1(remoteWrite, b); b.commit(); }
    void runInflux() { IngestBatch b = batch("influx"); influxParser.parse(influx, null, MS, T0, b); b.commit(); }
    void runPromText() { IngestBatch b = batch("prometheus_text"); promParser.parse(promText, false, new String[0], PromTextParser.Timestamps.ALLOWED, T0, b, null); b.commit(); }

    @Benchmark public long remoteWriteDecode() { runRemoteWrite(); return appender.n; }

    @Benchmark public long remoteWriteSnappyAndDecode() {
        try (DecodedBody body = decoder.decode(remoteWriteSnappy, "snappy", "snappy", Set.of("snappy"))) {
            IngestBatch b = batch("remote_write");
            rw.decodeV1(body.buf(), b);
            b.commit();
        }
        return appender.n;
    }

    @Benchmark public long influxLines() { runInflux(); return appender.n; }

    @Benchmark public long prometheusText() { runPromText(); return appender.n; }

    @Benchmark public void remoteWriteSnappyOnly(Blackhole bh) {
        try (DecodedBody body = decoder.decode(remoteWriteSnappy, "snappy", "snappy", Set.of("snappy"))) { bh.consume(body.buf().readableBytes()); }
    }
}
