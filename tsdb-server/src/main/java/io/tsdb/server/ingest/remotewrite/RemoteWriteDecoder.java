package io.tsdb.server.ingest.remotewrite;

import io.netty.buffer.ByteBuf;
import io.tsdb.core.Labels;
import io.tsdb.core.histogram.InvalidHistogramException;
import io.tsdb.server.MetadataStore;
import io.tsdb.server.ingest.IngestBatch;
import io.tsdb.server.ingest.KeyBuffer;
import io.tsdb.server.ingest.LabelCache;
import io.tsdb.server.ingest.LabelRules;
import io.tsdb.server.ingest.LabelSetBuilder;
import io.tsdb.server.ingest.Utf8;
import io.tsdb.server.ingest.proto.ProtoException;
import io.tsdb.server.ingest.proto.ProtoReader;

import java.util.Arrays;

/**
 * Decodes Prometheus remote-write requests (1.0 {@code prometheus.WriteRequest} and 2.0
 * {@code io.prometheus.write.v2.Request}) straight from the decompressed buffer into an {@link IngestBatch}.
 * Each series' labels are looked up by their raw bytes in a {@link LabelCache}, so a known series costs no
 * string decoding or allocation; samples are appended as they are read. Structural errors throw
 * {@link ProtoException} (the caller rolls the whole request back); invalid series are counted and skipped.
 * Not thread-safe: one instance per worker thread.
 */
public final class RemoteWriteDecoder {
    private final ProtoReader r = new ProtoReader();
    private final LabelSetBuilder lb;
    private final LabelCache cache;
    private final KeyBuffer key = new KeyBuffer();
    private final MetadataStore metadata;
    private final HistogramMessage hm = new HistogramMessage();
    private final io.tsdb.core.histogram.Histogram zeroH = new io.tsdb.core.histogram.Histogram();
    private final io.tsdb.core.histogram.FloatHistogram zeroF = new io.tsdb.core.histogram.FloatHistogram();
    private boolean startZeros;
    /** The series-level created timestamp of remote write 2.0 rc.3 senders (TimeSeries field 6), 0 when unset. */
    private long seriesStart;
    private int[] symStart = new int[256], symLen = new int[256];
    private int nSymbols;
    private int[] refs = new int[64];
    private int series;
    private long histograms, exemplars;

    public RemoteWriteDecoder(LabelRules rules, MetadataStore metadata, int cacheEntries) {
        this(rules, metadata, new LabelCache(cacheEntries));
    }

    /** With a cache shared by the decoders of all worker threads. */
    public RemoteWriteDecoder(LabelRules rules, MetadataStore metadata, LabelCache cache) {
        this.lb = new LabelSetBuilder(rules);
        this.cache = cache;
        this.metadata = metadata;
    }

    public long histogramsSeen() { return histograms; }

    /** Whether start timestamps (2.0) also store a zero sample at that time (see ServerConfig.ingestStartTimestampZeros). */
    public RemoteWriteDecoder startTimestampZeros(boolean on) { startZeros = on; return this; }
    public long exemplarsSeen() { return exemplars; }

    // ---------------------------------------------------------------- 1.0

    /** prometheus.WriteRequest: timeseries = 1, metadata = 3. */
    /** The batch of the request being decoded (for the tenant of its metadata). */
    private IngestBatch current;

    public void decodeV1(ByteBuf buf, IngestBatch batch) { decode(1, buf, batch); }

    /** Decodes one request of remote write {@code version} (1 or 2), then lets go of its buffer. */
    private void decode(int version, ByteBuf buf, IngestBatch batch) {
        try {
            if (version == 1) decodeV1Body(buf, batch); else decodeV2Body(buf, batch);
        } finally {
            r.clear();   // no reference to the request's buffer outlives the request (a pooled chunk)
            current = null;
        }
    }

    private void decodeV1Body(ByteBuf buf, IngestBatch batch) {
        current = batch;
        r.reset(buf);
        series = 0;
        histograms = exemplars = 0;
        while (r.hasRemaining()) {
            int tag = r.tag();
            switch (ProtoReader.field(tag)) {
                case 1 -> { r.expect(tag, ProtoReader.LEN, "timeseries"); int len = r.lengthDelimited(); int old = r.pushLimit(len); timeSeriesV1(batch); r.popLimit(old); series++; }
                case 3 -> { r.expect(tag, ProtoReader.LEN, "metadata"); int len = r.lengthDelimited(); int old = r.pushLimit(len); metadataV1(); r.popLimit(old); }
                default -> r.skip(tag);
            }
        }
    }

    private void timeSeriesV1(IngestBatch batch) {
        seriesStart = 0;
        int start = r.position();
        key.reset();
        int samples = 0, hist = 0;
        // pass 1: label bytes -> key; count samples
        while (r.hasRemaining()) {
            if (r.canonicalSample()) { samples++; continue; }   // the usual layout of a sample, read in one step
            int tag = r.tag();
            switch (ProtoReader.field(tag)) {
                case 1 -> {
                    r.expect(tag, ProtoReader.LEN, "label");
                    int len = r.lengthDelimited();
                    key.putLong(len).put(r, r.position(), len);
                    r.position(r.position() + len);
                }
                case 2 -> { r.expect(tag, ProtoReader.LEN, "sample"); samples++; r.skip(tag); }
                case 3 -> { r.expect(tag, ProtoReader.LEN, "exemplar"); exemplars++; r.skip(tag); }
                case 4 -> { r.expect(tag, ProtoReader.LEN, "histogram"); hist++; r.skip(tag); }
                default -> r.skip(tag);
            }
        }
        int end = r.position();
        LabelCache.Entry cached = cache.get(key);
        Labels labels = null;
        if (cached == null) {
            labels = labelsV1(start, end, samples + hist, batch);
            if (labels == null) return;
        }
        // pass 2: samples (native histograms are field 4 in v1). One call site for cached and new series: the JIT
        // inlines the per-sample path (down to the storage's staging) into this method once, not twice
        samples(start, end, labels, cached, batch, 4);
        // keep the storage's instance (created by the first append, its strings shared with the head) and series
        if (cached == null) batch.rememberUnlessNew(cache, key, labels);
    }

    /** The label set of a series not in the cache, from its Label fields in [start, end); null when rejected (counted). */
    private Labels labelsV1(int start, int end, int rejectCount, IngestBatch batch) {
        r.position(start);
        lb.reset();
        String err = null;
        while (r.position() < end) {
            int tag = r.tag();
            if (ProtoReader.field(tag) != 1) { r.skip(tag); continue; }
            int len = r.lengthDelimited();
            int old = r.pushLimit(len);
            String e = labelV1();
            if (err == null) err = e;
            r.popLimit(old);
        }
        if (err != null) {
            batch.reject("invalid_label_value", err + " in series #" + series + " " + lb.describe(), rejectCount);
            return null;
        }
        Labels labels = lb.build();
        if (labels == null) batch.reject(lb.reason().reason, lb.message(), rejectCount);
        return labels;
    }

    /** Label {name = 1, value = 2}; returns an error message for invalid UTF-8, else null. */
    private String labelV1() {
        String name = "", value = "";
        while (r.hasRemaining()) {
            int tag = r.tag();
            int f = ProtoReader.field(tag);
            if (f == 1 || f == 2) {
                r.expect(tag, ProtoReader.LEN, f == 1 ? "label name" : "label value");
                int len = r.lengthDelimited();
                String s = labelString(2 * lb.size() + f - 1, r.position(), len);
                r.position(r.position() + len);
                if (s == null) return "label " + (f == 1 ? "name" : "value") + " is not valid UTF-8";
                if (f == 1) name = s; else value = s;
            } else r.skip(tag);
        }
        lb.add(name, value);
        return null;
    }

    /**
     * The strings of the last new series' labels, by place (name of label i at 2i, its value at 2i + 1), ASCII only.
     * Consecutive series of a request mostly share their label names and many values (job, instance, a metric name):
     * those are taken from here without decoding or allocating a string, and arrive with their hash computed.
     */
    private final String[] recent = new String[64];

    /** Bytes [pos, pos + len) of the request as a string: the recent one at place {@code k} when equal, else decoded (null: not UTF-8). */
    private String labelString(int k, int pos, int len) {
        ByteBuf b = r.buffer();
        String prev = k < recent.length ? recent[k] : null;
        if (prev != null && prev.length() == len && sameAscii(b, pos, prev)) return prev;
        String s = Utf8.decode(b, pos, len);
        // as many chars as bytes: ASCII (any other UTF-8 sequence is longer than its chars)
        if (s != null && k < recent.length) recent[k] = s.length() == len ? s : null;
        return s;
    }

    /** Whether bytes [pos, pos + s.length()) of {@code b} are the chars of {@code s}, an ASCII string. */
    private static boolean sameAscii(ByteBuf b, int pos, String s) {
        int n = s.length();
        if (b.hasArray()) {
            byte[] a = b.array();
            int off = b.arrayOffset() + pos;
            for (int i = 0; i < n; i++) if (a[off + i] != s.charAt(i)) return false;
            return true;
        }
        for (int i = 0; i < n; i++) if (b.getByte(pos + i) != s.charAt(i)) return false;
        return true;
    }

    /** What {@link #sample()} read: value, timestamp and start timestamp (2.0; else the series', or 0). */
    private double sampleV;
    private long sampleT, sampleSt;

    /** Sample {double value = 1; int64 timestamp = 2; int64 start_timestamp = 3 (2.0)} into sampleV, sampleT, sampleSt. */
    private void sample() {
        double v = 0;
        long ts = 0, st = seriesStart;
        while (r.hasRemaining()) {
            int tag = r.tag();
            switch (ProtoReader.field(tag)) {
                case 1 -> { r.expect(tag, ProtoReader.FIXED64, "sample value"); v = r.doubleValue(); }
                case 2 -> { r.expect(tag, ProtoReader.VARINT, "sample timestamp"); ts = r.varint64(); }
                case 3 -> { r.expect(tag, ProtoReader.VARINT, "sample start_timestamp"); st = r.varint64(); } // 2.0 only
                default -> r.skip(tag);
            }
        }
        sampleV = v;
        sampleT = ts;
        sampleSt = st;
    }

    /** MetricMetadata {type = 1; metric_family_name = 2; help = 4; unit = 5}. */
    private void metadataV1() {
        int type = 0;
        String name = null, help = "", unit = "";
        while (r.hasRemaining()) {
            int tag = r.tag();
            switch (ProtoReader.field(tag)) {
                case 1 -> { r.expect(tag, ProtoReader.VARINT, "metadata type"); type = r.varint32(); }
                case 2 -> { r.expect(tag, ProtoReader.LEN, "metric family name"); name = r.string(); }
                case 4 -> { r.expect(tag, ProtoReader.LEN, "help"); help = r.string(); }
                case 5 -> { r.expect(tag, ProtoReader.LEN, "unit"); unit = r.string(); }
                default -> r.skip(tag);
            }
        }
        if (metadata != null && name != null && !name.isEmpty()) metadata.put(current.metadataTenant(), name, typeName(type), help, unit);
    }

    static String typeName(int t) {
        return switch (t) {
            case 1 -> "counter";
            case 2 -> "gauge";
            case 3 -> "histogram";
            case 4 -> "gaugehistogram";
            case 5 -> "summary";
            case 6 -> "info";
            case 7 -> "stateset";
            default -> "unknown";
        };
    }

    // ---------------------------------------------------------------- 2.0

    /** io.prometheus.write.v2.Request: symbols = 4, timeseries = 5. */
    public void decodeV2(ByteBuf buf, IngestBatch batch) { decode(2, buf, batch); }

    private void decodeV2Body(ByteBuf buf, IngestBatch batch) {
        current = batch;
        r.reset(buf);
        series = 0;
        histograms = exemplars = 0;
        nSymbols = 0;
        // pass 1: the symbols table (positions only)
        while (r.hasRemaining()) {
            int tag = r.tag();
            if (ProtoReader.field(tag) == 4) {
                r.expect(tag, ProtoReader.LEN, "symbols");
                int len = r.lengthDelimited();
                if (nSymbols == symStart.length) {
                    symStart = Arrays.copyOf(symStart, nSymbols * 2);
                    symLen = Arrays.copyOf(symLen, nSymbols * 2);
                }
                symStart[nSymbols] = r.position();
                symLen[nSymbols++] = len;
                r.position(r.position() + len);
            } else r.skip(tag);
        }
        if (nSymbols > 0 && symLen[0] != 0) throw new ProtoException("remote write 2.0: the first symbol must be the empty string");
        r.reset(buf);
        while (r.hasRemaining()) {
            int tag = r.tag();
            if (ProtoReader.field(tag) == 5) {
                r.expect(tag, ProtoReader.LEN, "timeseries");
                int len = r.lengthDelimited();
                int old = r.pushLimit(len);
                timeSeriesV2(batch);
                r.popLimit(old);
                series++;
            } else r.skip(tag);
        }
    }

    private void timeSeriesV2(IngestBatch batch) {
        seriesStart = 0;
        int start = r.position();
        int nRefs = 0, samples = 0, hist = 0;
        int metaType = 0, helpRef = 0, unitRef = 0;
        while (r.hasRemaining()) {
            int tag = r.tag();
            switch (ProtoReader.field(tag)) {
                case 1 -> {
                    int old = r.repeated(tag, ProtoReader.VARINT, "labels_refs");
                    while (r.hasRemaining()) nRefs = addRef(nRefs, r.varint64());
                    r.popLimit(old);
                }
                case 2 -> { r.expect(tag, ProtoReader.LEN, "sample"); samples++; r.skip(tag); }
                case 3 -> { r.expect(tag, ProtoReader.LEN, "histogram"); hist++; r.skip(tag); }
                case 4 -> { r.expect(tag, ProtoReader.LEN, "exemplar"); exemplars++; r.skip(tag); }
                case 6 -> { r.expect(tag, ProtoReader.VARINT, "created_timestamp"); seriesStart = r.varint64(); } // 2.0-rc.3 senders
                case 5 -> {
                    r.expect(tag, ProtoReader.LEN, "metadata");
                    int len = r.lengthDelimited();
                    int old = r.pushLimit(len);
                    while (r.hasRemaining()) {
                        int t = r.tag();
                        switch (ProtoReader.field(t)) {
                            case 1 -> { r.expect(t, ProtoReader.VARINT, "metadata type"); metaType = r.varint32(); }
                            case 3 -> { r.expect(t, ProtoReader.VARINT, "help_ref"); helpRef = r.varint32(); }
                            case 4 -> { r.expect(t, ProtoReader.VARINT, "unit_ref"); unitRef = r.varint32(); }
                            default -> r.skip(t);
                        }
                    }
                    r.popLimit(old);
                }
                default -> r.skip(tag);
            }
        }
        int end = r.position();
        int rejectCount = samples + hist;
        if ((nRefs & 1) != 0) {
            batch.reject("invalid_labels_refs", "series #" + series + ": odd number (" + nRefs + ") of labels_refs", rejectCount);
            return;
        }
        key.reset();
        for (int i = 0; i < nRefs; i++) {
            int ref = refs[i];
            if (ref < 0 || ref >= nSymbols) {
                batch.reject("invalid_labels_refs", "series #" + series + ": label reference " + (ref & 0xffffffffL)
                        + " is outside the symbols table of " + nSymbols + " entries", rejectCount);
                return;
            }
            key.putLong(symLen[ref]).put(r, symStart[ref], symLen[ref]);
        }
        LabelCache.Entry cached = cache.get(key);
        Labels labels = null;
        if (cached == null) {
            lb.reset();
            for (int i = 0; i < nRefs; i += 2) {
                String name = symbol(refs[i]), value = symbol(refs[i + 1]);
                if (name == null || value == null) {
                    batch.reject("invalid_label_value", "series #" + series + ": label symbol is not valid UTF-8", rejectCount);
                    return;
                }
                lb.add(name, value);
            }
            labels = lb.build();
            if (labels == null) {
                batch.reject(lb.reason().reason, lb.message(), rejectCount);
                return;
            }
            if (metadata != null && (metaType != 0 || helpRef != 0 || unitRef != 0)) {
                String help = inRange(helpRef) ? symbol(helpRef) : null, unit = inRange(unitRef) ? symbol(unitRef) : null;
                metadata.put(current.metadataTenant(), familyName(labels.metricName(), metaType), typeName(metaType), help, unit);
            }
        }
        samples(start, end, labels, cached, batch, 3);   // one call site, as in timeSeriesV1
        if (cached == null) batch.rememberUnlessNew(cache, key, labels); // the storage's instance, shared with the head, and its series
    }

    /**
     * Second pass over one TimeSeries message [start, end): stages its samples (field 2) and native histograms
     * ({@code histogramField}: 4 in remote write 1.0, 3 in 2.0) for the cached series {@code cached}, or when null
     * for {@code labels}. An invalid histogram is rejected alone (reason {@code invalid_histogram}, the message
     * naming the series and the rule it breaks); the other samples of the request are stored as usual.
     */
    private void samples(int start, int end, Labels labels, LabelCache.Entry cached, IngestBatch batch, int histogramField) {
        r.position(start);
        while (r.position() < end) {
            long ts, st;
            double v;
            if (r.canonicalSample()) {   // the usual layout (value, timestamp), read in one step
                ts = r.sampleTimestamp();
                v = r.sampleValue();
                st = seriesStart;
            } else {
                int tag = r.tag();
                int f = ProtoReader.field(tag);
                if (f == 2) {
                    r.expect(tag, ProtoReader.LEN, "sample");
                    int len = r.lengthDelimited();
                    int old = r.pushLimit(len);
                    sample();
                    r.popLimit(old);
                    ts = sampleT;
                    v = sampleV;
                    st = sampleSt;
                } else {
                    other(tag, labels, cached, batch, histogramField);
                    continue;
                }
            }
            // one call site of the per-sample path, whichever way the sample was read
            if (startZeros && st != 0 && ts != 0 && st < ts) batch.appendStartZero(cached, labels, st, null, null);
            batch.append(cached, labels, ts, v);
        }
    }

    /** A field of a TimeSeries other than a sample: a native histogram ({@code histogramField}) is staged, others skipped. */
    private void other(int tag, Labels labels, LabelCache.Entry cached, IngestBatch batch, int histogramField) {
        if (ProtoReader.field(tag) != histogramField) {
            r.skip(tag);
            return;
        }
        r.expect(tag, ProtoReader.LEN, "histogram");
        int len = r.lengthDelimited();
        int old = r.pushLimit(len);
        hm.read(r);
        r.popLimit(old);
        histograms++;
        histogram(labels, cached, batch);
    }

    /** Validates and stages the histogram just read into {@link #hm}. */
    private void histogram(Labels labels, LabelCache.Entry cached, IngestBatch batch) {
        try {
            hm.prepare();
        } catch (InvalidHistogramException e) {
            batch.reject("invalid_histogram", "series " + (cached != null ? cached.labels() : labels) + ": " + hm.describe()
                    + " breaks rule " + e.rule().id + ": " + e.getMessage());
            return;
        }
        long st = hm.startTimestamp != 0 ? hm.startTimestamp : seriesStart;
        if (startZeros && st != 0 && hm.timestamp != 0 && st < hm.timestamp) {
            // an empty histogram of the same layout, marked as a counter reset (as Prometheus injects it)
            if (hm.isFloat) {
                zeroF.clear();
                startZeroLayout(zeroF, hm.floating);
                batch.appendStartZero(cached, labels, st, null, zeroF);
            } else {
                zeroH.clear();
                startZeroLayout(zeroH, hm.integer);
                batch.appendStartZero(cached, labels, st, zeroH, null);
            }
        }
        if (hm.isFloat) {
            if (cached != null) batch.appendFloatHistogram(cached, hm.timestamp, hm.floating);
            else batch.appendFloatHistogram(labels, hm.timestamp, hm.floating);
        } else {
            if (cached != null) batch.appendHistogram(cached, hm.timestamp, hm.integer);
            else batch.appendHistogram(labels, hm.timestamp, hm.integer);
        }
    }

    /** An emptied histogram takes the layout of {@code of} (schema, zero threshold, custom bounds) and the counter-reset hint. */
    private static void startZeroLayout(io.tsdb.core.histogram.HistogramBase zero, io.tsdb.core.histogram.HistogramBase of) {
        zero.schema = of.schema;
        zero.zeroThreshold = of.zeroThreshold;
        zero.customValues = of.customValues;
        zero.hint = io.tsdb.core.histogram.CounterResetHint.COUNTER_RESET;
    }

    private boolean inRange(int ref) { return ref > 0 && ref < nSymbols; }

    private int addRef(int n, long ref) {
        if (n == refs.length) refs = Arrays.copyOf(refs, n * 2);
        refs[n] = ref > Integer.MAX_VALUE || ref < 0 ? -1 : (int) ref;
        return n + 1;
    }

    private String symbol(int ref) { return Utf8.decode(r.buffer(), symStart[ref], symLen[ref]); }

    private static String familyName(String metric, int type) {
        if (type == 3 || type == 4 || type == 5) {
            for (String suffix : new String[]{"_bucket", "_count", "_sum"}) {
                if (metric.endsWith(suffix)) return metric.substring(0, metric.length() - suffix.length());
            }
        }
        return metric;
    }
}
