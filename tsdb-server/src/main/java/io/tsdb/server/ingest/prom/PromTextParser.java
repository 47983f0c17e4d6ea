package io.tsdb.server.ingest.prom;

import io.netty.buffer.ByteBuf;
import io.tsdb.core.AppendStatus;
import io.tsdb.core.Labels;
import io.tsdb.core.registry.LabelValidator;
import io.tsdb.server.MetadataStore;
import io.tsdb.server.ingest.IngestBatch;
import io.tsdb.server.ingest.KeyBuffer;
import io.tsdb.server.ingest.LabelCache;
import io.tsdb.server.ingest.LabelRules;
import io.tsdb.server.ingest.LabelSetBuilder;
import io.tsdb.server.ingest.NumberParser;
import io.tsdb.server.ingest.Utf8;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Prometheus text exposition format 0.0.4 and OpenMetrics 1.0 text, zero-copy over the body buffer.
 * Samples {@code name{label="value",...} value [timestamp]} (timestamps in ms for Prometheus text, in
 * seconds with fractions for OpenMetrics; exemplars after {@code #} are skipped); {@code # HELP},
 * {@code # TYPE} and {@code # UNIT} go to the {@link MetadataStore}; {@code # EOF} ends an OpenMetrics
 * body. A malformed line is rejected as a whole and parsing continues. Not thread-safe.
 */
public final class PromTextParser {
    /** How to treat per-sample timestamps. */
    public enum Timestamps { ALLOWED, REJECTED }

    private final LabelSetBuilder lb;
    private final LabelCache cache;
    private final KeyBuffer key = new KeyBuffer();
    private final NumberParser num = new NumberParser();
    private byte[] scratch = new byte[256];
    private final Map<String, String[]> meta = new LinkedHashMap<>();
    private String error;
    private int errorAt;
    private int nameEnd, labelsEnd;

    public PromTextParser(LabelRules rules, int cacheEntries) {
        this(rules, new LabelCache(cacheEntries));
    }

    /** With a cache shared by the parsers of all worker threads. */
    public PromTextParser(LabelRules rules, LabelCache cache) {
        this.lb = new LabelSetBuilder(rules);
        this.cache = cache;
    }

    /**
     * @param openMetrics   OpenMetrics syntax (timestamps in seconds, # EOF)
     * @param extra         labels added to every series (push grouping labels), name/value pairs; may be empty
     * @param timestamps    whether samples may carry their own timestamp
     * @param nowMs         timestamp for samples without one
     */
    public void parse(ByteBuf buf, boolean openMetrics, String[] extra, Timestamps timestamps, long nowMs,
                      IngestBatch batch, MetadataStore metadata) {
        meta.clear();
        int pos = buf.readerIndex(), end = buf.writerIndex();
        int lineNo = 0;
        boolean eof = false;
        while (pos < end) {
            int nl = buf.indexOf(pos, end, (byte) '\n');
            int lineEnd = nl < 0 ? end : nl;
            lineNo++;
            batch.line = lineNo;
            int le = lineEnd;
            if (le > pos && buf.getByte(le - 1) == '\r') le--;
            int s = pos;
            while (s < le && (buf.getByte(s) == ' ' || buf.getByte(s) == '\t')) s++;
            pos = lineEnd + 1;
            if (s >= le) continue;
            if (eof) {
                batch.reject("invalid_line", "content after # EOF");
                break;
            }
            if (buf.getByte(s) == '#') {
                if (comment(buf, s, le, openMetrics)) eof = true;
                continue;
            }
            error = null;
            sample(buf, s, le, openMetrics, extra, timestamps, nowMs, batch);
        }
        batch.line = 0;
        if (metadata != null) {
            for (Map.Entry<String, String[]> e : meta.entrySet()) {
                String[] m = e.getValue();
                metadata.put(batch.metadataTenant(), e.getKey(), m[0], m[1], m[2]);
            }
        }
    }

    /** Handles HELP/TYPE/UNIT/EOF; returns true on # EOF. */
    private boolean comment(ByteBuf b, int s, int e, boolean om) {
        int p = s + 1;
        while (p < e && b.getByte(p) == ' ') p++;
        int ws = p;
        while (p < e && b.getByte(p) != ' ' && b.getByte(p) != '\t') p++;
        String word = b.toString(ws, p - ws, StandardCharsets.US_ASCII);
        if (word.equals("EOF") && p >= e) return true;
        if (!word.equals("HELP") && !word.equals("TYPE") && !word.equals("UNIT")) return false;
        while (p < e && (b.getByte(p) == ' ' || b.getByte(p) == '\t')) p++;
        int ns = p;
        while (p < e && b.getByte(p) != ' ' && b.getByte(p) != '\t') p++;
        if (p == ns) return false;
        String name = Utf8.decode(b, ns, p - ns);
        if (name == null || !LabelValidator.isValidMetricName(name)) return false;
        if (p < e) p++;
        String text = Utf8.decode(b, p, e - p);
        if (text == null) return false;
        String[] m = meta.computeIfAbsent(name, k -> new String[]{"unknown", "", ""});
        switch (word) {
            case "HELP" -> m[1] = unescapeHelp(text);
            case "TYPE" -> {
                String t = text.trim();
                m[0] = switch (t) {
                    case "counter", "gauge", "histogram", "summary", "gaugehistogram", "info", "stateset", "unknown" -> t;
                    default -> "unknown"; // "untyped" and anything else
                };
            }
            default -> m[2] = text.trim();
        }
        return false;
    }

    private static String unescapeHelp(String s) {
        if (s.indexOf('\\') < 0) return s;
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                char d = s.charAt(++i);
                sb.append(d == 'n' ? '\n' : d);
            } else sb.append(c);
        }
        return sb.toString();
    }

    private boolean fail(String msg, int at, int lineStart) {
        error = msg;
        errorAt = at - lineStart + 1;
        return false;
    }

    private void sample(ByteBuf b, int s, int e, boolean om, String[] extra, Timestamps tsMode, long nowMs, IngestBatch batch) {
        // Fast path: the series part ends at the line's last '}' (values and timestamps contain none), or at the
        // first blank without braces; its raw bytes are looked up before any parsing. OpenMetrics exemplars may
        // contain braces, so OpenMetrics always takes the full parse.
        LabelCache.Entry cached = null;
        if (!om) {
            int close = b.indexOf(e, s, (byte) '}'); // backwards from e-1 down to s
            int end = close >= 0 ? close + 1 : firstBlank(b, s, e);
            key.reset();
            for (String x : extra) key.put(x);
            key.putLong(end - s).put(b, s, end - s);
            cached = cache.get(key);
            if (cached != null) labelsEnd = end;
        }
        if (cached == null && !series(b, s, e)) {
            batch.reject("invalid_line", error + " at column " + errorAt + ": " + preview(b, s, e));
            return;
        }
        int p = labelsEnd;
        if (p >= e || (b.getByte(p) != ' ' && b.getByte(p) != '\t')) {
            batch.reject("invalid_line", "expected a space and a value after the series at column " + (p - s + 1) + ": " + preview(b, s, e));
            return;
        }
        while (p < e && (b.getByte(p) == ' ' || b.getByte(p) == '\t')) p++;
        int vs = p;
        while (p < e && b.getByte(p) != ' ' && b.getByte(p) != '\t') p++;
        double v = num.parseDouble(b, vs, p);
        if (!num.ok) {
            batch.reject("invalid_line", "invalid sample value \"" + b.toString(vs, Math.min(p - vs, 64), StandardCharsets.UTF_8)
                    + "\" at column " + (vs - s + 1));
            return;
        }
        while (p < e && (b.getByte(p) == ' ' || b.getByte(p) == '\t')) p++;
        long ts = nowMs;
        if (p < e && b.getByte(p) != '#') {
            int ts0 = p;
            while (p < e && b.getByte(p) != ' ' && b.getByte(p) != '\t') p++;
            if (tsMode == Timestamps.REJECTED) {
                batch.reject("timestamp_not_allowed", "pushed samples must not carry timestamps (they are stamped with the receive time), column "
                        + (ts0 - s + 1));
                return;
            }
            if (om) {
                double sec = num.parseDouble(b, ts0, p);
                if (!num.ok || !Double.isFinite(sec) || Math.abs(sec) > 9.2e15) ts = Long.MIN_VALUE;
                else ts = Math.round(sec * 1000.0);
            } else {
                ts = num.parseLong(b, ts0, p);
                if (!num.ok) ts = Long.MIN_VALUE;
            }
            if (ts == Long.MIN_VALUE) {
                batch.reject("invalid_line", "invalid timestamp \"" + b.toString(ts0, Math.min(p - ts0, 64), StandardCharsets.UTF_8)
                        + "\" at column " + (ts0 - s + 1) + (om ? " (OpenMetrics: seconds)" : " (milliseconds)"));
                return;
            }
            while (p < e && (b.getByte(p) == ' ' || b.getByte(p) == '\t')) p++;
        }
        if (p < e && b.getByte(p) != '#') {
            batch.reject("invalid_line", "unexpected text after the sample at column " + (p - s + 1) + ": " + preview(b, s, e));
            return;
        }
        if (p < e && !om) {
            batch.reject("invalid_line", "unexpected '#' after the sample at column " + (p - s + 1) + " (exemplars need OpenMetrics)");
            return;
        }
        if (cached == null) {
            key.reset();
            for (String x : extra) key.put(x);
            key.putLong(labelsEnd - s).put(b, s, labelsEnd - s);
            cached = cache.get(key);
        }
        if (cached == null) {
            Labels labels = labels(b, s, extra);
            if (labels == null) {
                batch.reject(lb.reason() == AppendStatus.OK ? "invalid_line" : lb.reason().reason, lb.message());
                return;
            }
            batch.append(labels, ts, v);
            batch.remember(cache, key, labels); // the storage's instance, shared with the head, and its series
            return;
        }
        batch.append(cached, ts, v);
    }

    private static int firstBlank(ByteBuf b, int s, int e) {
        for (int i = s; i < e; i++) {
            byte c = b.getByte(i);
            if (c == ' ' || c == '\t') return i;
        }
        return e;
    }

    /** Finds the end of the metric name and of the label set; syntax check of labels. */
    private boolean series(ByteBuf b, int s, int e) {
        int p = s;
        while (p < e) {
            byte c = b.getByte(p);
            if (c == '{' || c == ' ' || c == '\t') break;
            p++;
        }
        nameEnd = p;
        if (p == s) return fail("missing metric name", p, s);
        if (p < e && b.getByte(p) == '{') {
            p++;
            while (true) {
                while (p < e && (b.getByte(p) == ' ' || b.getByte(p) == '\t')) p++;
                if (p >= e) return fail("unterminated label set (missing '}')", p, s);
                if (b.getByte(p) == '}') { p++; break; }
                int ns = p;
                while (p < e && b.getByte(p) != '=' && b.getByte(p) != ' ' && b.getByte(p) != '\t' && b.getByte(p) != '}' && b.getByte(p) != ',') p++;
                if (p == ns) return fail("expected a label name", p, s);
                while (p < e && (b.getByte(p) == ' ' || b.getByte(p) == '\t')) p++;
                if (p >= e || b.getByte(p) != '=') return fail("expected '=' after label name", p, s);
                p++;
                while (p < e && (b.getByte(p) == ' ' || b.getByte(p) == '\t')) p++;
                if (p >= e || b.getByte(p) != '"') return fail("expected '\"' to open the label value", p, s);
                p++;
                while (p < e && b.getByte(p) != '"') {
                    if (b.getByte(p) == '\\') {
                        if (p + 1 >= e) break;
                        byte d = b.getByte(p + 1);
                        if (d != '\\' && d != '"' && d != 'n') return fail("invalid escape '\\" + (char) d + "' in label value", p, s);
                        p++;
                    }
                    p++;
                }
                if (p >= e) return fail("unterminated label value (missing '\"')", p, s);
                p++;
                while (p < e && (b.getByte(p) == ' ' || b.getByte(p) == '\t')) p++;
                if (p < e && b.getByte(p) == ',') { p++; continue; }
                if (p < e && b.getByte(p) == '}') { p++; break; }
                return fail("expected ',' or '}' after label value", p, s);
            }
        }
        labelsEnd = p;
        return true;
    }

    /** Cache miss: decode name and labels (syntax already checked), add extra labels, validate. */
    private Labels labels(ByteBuf b, int s, String[] extra) {
        lb.reset();
        String name = Utf8.decode(b, s, nameEnd - s);
        if (name == null) return lb.reject(AppendStatus.INVALID_METRIC_NAME, "metric name is not valid UTF-8");
        lb.add(Labels.METRIC_NAME, name);
        int p = nameEnd;
        if (p < labelsEnd) {
            p++; // {
            while (true) {
                while (b.getByte(p) == ' ' || b.getByte(p) == '\t') p++;
                if (b.getByte(p) == '}') break;
                int ns = p;
                while (b.getByte(p) != '=' && b.getByte(p) != ' ' && b.getByte(p) != '\t') p++;
                String ln = Utf8.decode(b, ns, p - ns);
                while (b.getByte(p) != '"') p++;
                p++;
                int n = 0;
                while (b.getByte(p) != '"') {
                    byte c = b.getByte(p);
                    if (c == '\\') {
                        byte d = b.getByte(++p);
                        c = d == 'n' ? (byte) '\n' : d;
                    }
                    if (n == scratch.length) scratch = java.util.Arrays.copyOf(scratch, n * 2);
                    scratch[n++] = c;
                    p++;
                }
                p++;
                if (ln == null || !Utf8.valid(scratch, 0, n)) return lb.reject(AppendStatus.INVALID_LABEL_VALUE, "label is not valid UTF-8");
                lb.add(ln, new String(scratch, 0, n, StandardCharsets.UTF_8));
                while (b.getByte(p) == ' ' || b.getByte(p) == '\t') p++;
                if (b.getByte(p) == ',') p++;
            }
        }
        for (int i = 0; i + 1 < extra.length; i += 2) {
            String have = lb.get(extra[i]);
            if (have != null && !have.equals(extra[i + 1])) {
                return lb.reject(AppendStatus.DUPLICATE_LABEL_NAME, "label " + extra[i] + "=\"" + have
                        + "\" conflicts with the grouping label " + extra[i] + "=\"" + extra[i + 1] + "\"");
            }
            if (have == null) lb.add(extra[i], extra[i + 1]);
        }
        return lb.build();
    }

    private static String preview(ByteBuf b, int s, int e) {
        int n = Math.min(e - s, 80);
        return "\"" + b.toString(s, n, StandardCharsets.UTF_8) + (e - s > n ? "..." : "") + "\"";
    }
}
