package io.tsdb.server.ingest.influx;

import io.netty.buffer.ByteBuf;
import io.tsdb.core.Labels;
import io.tsdb.server.ingest.IngestBatch;
import io.tsdb.server.ingest.KeyBuffer;
import io.tsdb.server.ingest.LabelCache;
import io.tsdb.server.ingest.LabelRules;
import io.tsdb.server.ingest.LabelSetBuilder;
import io.tsdb.server.ingest.Names;
import io.tsdb.server.ingest.NumberParser;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * InfluxDB line protocol parser, zero-copy over the body buffer:
 * {@code measurement[,tag=value...] field=value[,field=value...] [timestamp]}. Escapes follow the Influx
 * docs: measurement {@code \,} and {@code \ }; tag keys, tag values and field keys {@code \,} {@code \=}
 * {@code \ }; string field values {@code \"} and {@code \\}; a backslash before anything else is literal.
 * Each numeric or boolean field becomes a sample of metric {@code measurement_field} (invalid name
 * characters become '_'); tags become labels; string fields are rejected per field. A malformed line is
 * rejected as a whole (nothing from it is stored) and parsing continues with the next line.
 * Not thread-safe: one instance per worker thread.
 */
public final class InfluxParser {
    private final LabelSetBuilder lb;
    private final LabelCache cache;
    private final KeyBuffer key = new KeyBuffer();
    private final NumberParser num = new NumberParser();
    private byte[] scratch = new byte[256];
    // per line positions
    private int[] tagKs = new int[32], tagKe = new int[32], tagVs = new int[32], tagVe = new int[32];
    private int[] fKs = new int[32], fKe = new int[32], fVs = new int[32], fVe = new int[32];
    private int nTags, nFields;
    private String error;
    private int errorAt;

    public InfluxParser(LabelRules rules, int cacheEntries) {
        this(rules, new LabelCache(cacheEntries));
    }

    /** With a cache shared by the parsers of all worker threads. */
    public InfluxParser(LabelRules rules, LabelCache cache) {
        this.lb = new LabelSetBuilder(rules);
        this.cache = cache;
    }

    /** Precision name to a divisor/multiplier pair applied to raw timestamps; null for unknown names. */
    public static long[] precision(String p) {
        if (p == null || p.isEmpty()) return new long[]{1_000_000, 1};
        return switch (p) {
            case "ns", "n" -> new long[]{1_000_000, 1};
            case "us", "u", "µ" -> new long[]{1_000, 1};
            case "ms" -> new long[]{1, 1};
            case "s" -> new long[]{1, 1_000};
            case "m" -> new long[]{1, 60_000};
            case "h" -> new long[]{1, 3_600_000};
            default -> null;
        };
    }

    /**
     * Parses all lines of buf into batch.
     * @param db       value for the {@code db} label (from db/bucket) unless a line sets it; may be null
     * @param prec     from {@link #precision}
     * @param nowMs    timestamp for lines without one
     */
    public void parse(ByteBuf buf, String db, long[] prec, long nowMs, IngestBatch batch) {
        int pos = buf.readerIndex(), end = buf.writerIndex();
        int lineNo = 0;
        while (pos < end) {
            int nl = buf.indexOf(pos, end, (byte) '\n');
            int lineEnd = nl < 0 ? end : nl;
            lineNo++;
            batch.line = lineNo;
            int le = lineEnd;
            if (le > pos && buf.getByte(le - 1) == '\r') le--;
            int s = pos;
            while (s < le && (buf.getByte(s) == ' ' || buf.getByte(s) == '\t')) s++;
            if (s < le && buf.getByte(s) != '#') line(buf, s, le, db, prec, nowMs, batch);
            pos = lineEnd + 1;
        }
        batch.line = 0;
    }

    private boolean fail(String msg, int at, int lineStart) {
        error = msg;
        errorAt = at - lineStart + 1;
        return false;
    }

    private void line(ByteBuf b, int start, int end, String db, long[] prec, long nowMs, IngestBatch batch) {
        error = null;
        if (!structure(b, start, end)) {
            batch.reject("invalid_line", error + " at column " + errorAt + ": " + preview(b, start, end));
            return;
        }
        // timestamp: after the fields
        long ts = nowMs;
        int p = fVe[nFields - 1];
        if (fVs[nFields - 1] < p && b.getByte(fVs[nFields - 1]) == '"') p++; // closing quote
        while (p < end && b.getByte(p) == ' ') p++;
        if (p < end) {
            int te = end;
            while (te > p && (b.getByte(te - 1) == ' ' || b.getByte(te - 1) == '\t')) te--;
            long raw = num.parseLong(b, p, te);
            if (!num.ok) {
                batch.reject("invalid_line", "invalid timestamp \"" + ascii(b, p, te) + "\" at column " + (p - start + 1)
                        + " (expected an integer in the request's precision)");
                return;
            }
            ts = prec[1] == 1 ? Math.floorDiv(raw, prec[0]) : multiply(raw, prec[1]);
            if (ts == Long.MIN_VALUE) {
                batch.reject("invalid_line", "timestamp " + raw + " out of range at column " + (p - start + 1));
                return;
            }
        }
        boolean keyMarked = false;
        for (int f = 0; f < nFields; f++) {
            int vs = fVs[f], ve = fVe[f];
            byte c = b.getByte(vs);
            double v;
            if (c == '"') {
                batch.reject("string_field", "field \"" + unescape(b, fKs[f], fKe[f], false) + "\" is a string; only float, integer, "
                        + "unsigned and boolean fields are stored");
                continue;
            }
            byte last = b.getByte(ve - 1);
            if (last == 'i') {
                long l = num.parseLong(b, vs, ve - 1);
                v = l;
            } else if (last == 'u') {
                v = num.parseUnsigned(b, vs, ve - 1);
            } else if (c == 't' || c == 'T' || c == 'f' || c == 'F') {
                int bv = bool(b, vs, ve);
                num.ok = bv >= 0;
                v = bv;
            } else if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.') {
                v = num.parseDouble(b, vs, ve);
            } else {
                num.ok = false;
                v = 0;
            }
            if (!num.ok) {
                batch.reject("invalid_field_value", "invalid value \"" + ascii(b, vs, ve) + "\" for field \""
                        + unescape(b, fKs[f], fKe[f], false) + "\"");
                continue;
            }
            if (!keyMarked) {
                key.reset();
                if (db != null) key.put(db);
                key.putLong(seriesEnd - start).put(b, start, seriesEnd - start).mark();
                keyMarked = true;
            }
            key.rewind().put(b, fKs[f], fKe[f] - fKs[f]);
            LabelCache.Entry cached = cache.get(key);
            if (cached == null) {
                if (!seriesParsed) {
                    int fastEnd = seriesEnd;
                    if (!parseSeries(b, start, end)) {
                        batch.reject("invalid_line", error + " at column " + errorAt + ": " + preview(b, start, end));
                        return;
                    }
                    if (seriesEnd != fastEnd) throw new IllegalStateException("series end mismatch"); // cannot happen: same escape rules
                }
                Labels labels = labels(b, start, f, db);
                if (labels == null) {
                    batch.reject(lb.reason().reason, lb.message());
                    continue;
                }
                batch.append(labels, ts, v);
                batch.remember(cache, key, labels); // the storage's instance, shared with the head, and its series
                continue;
            }
            batch.append(cached, ts, v);
        }
    }

    private static long multiply(long raw, long m) {
        long r = raw * m;
        if (raw != 0 && (r / m != raw)) return Long.MIN_VALUE;
        return r;
    }

    private static int bool(ByteBuf b, int s, int e) {
        int n = e - s;
        if (n == 1) {
            byte c = b.getByte(s);
            return c == 't' || c == 'T' ? 1 : c == 'f' || c == 'F' ? 0 : -1;
        }
        String w = ascii(b, s, e);
        return switch (w) {
            case "true", "True", "TRUE" -> 1;
            case "false", "False", "FALSE" -> 0;
            default -> -1;
        };
    }

    private int measurementEnd;

    /** Finds measurement, tags, fields; false with {@link #error} on a syntax error. */
    private int seriesEnd;
    private boolean seriesParsed;

    /**
     * Finds the series part (measurement and tags) and the fields. The series part is parsed only when its raw
     * bytes are not in the cache (the first unescaped space ends it), so known series cost a byte search.
     */
    private boolean structure(ByteBuf b, int start, int end) {
        nTags = nFields = 0;
        seriesParsed = false;
        int sp = b.indexOf(start, end, (byte) ' ');
        if (sp > start && b.getByte(sp - 1) != '\\') {
            seriesEnd = sp;
        } else if (!parseSeries(b, start, end)) {
            return false;
        }
        return parseFields(b, start, seriesEnd, end);
    }

    /** Measurement and tags; sets {@link #seriesEnd}, {@link #measurementEnd} and the tag positions. */
    private boolean parseSeries(ByteBuf b, int start, int end) {
        nTags = 0;
        int p = start;
        // measurement: until unescaped ',' or ' '
        while (p < end) {
            byte c = b.getByte(p);
            if (c == '\\' && p + 1 < end) { p += 2; continue; }
            if (c == ',' || c == ' ') break;
            p++;
        }
        if (p == start) return fail("missing measurement", p, start);
        measurementEnd = p;
        if (p >= end) return fail("missing fields (expected a space and field=value after the measurement)", p, start);
        while (b.getByte(p) == ',') {
            p++;
            int ks = p;
            while (p < end) {
                byte c = b.getByte(p);
                if (c == '\\' && p + 1 < end) { p += 2; continue; }
                if (c == '=' || c == ',' || c == ' ') break;
                p++;
            }
            if (p >= end || b.getByte(p) != '=') return fail("tag key without '=value'", p, start);
            if (p == ks) return fail("empty tag key", p, start);
            int ke = p++;
            int vs = p;
            while (p < end) {
                byte c = b.getByte(p);
                if (c == '\\' && p + 1 < end) { p += 2; continue; }
                if (c == ',' || c == ' ') break;
                if (c == '=') return fail("unescaped '=' in tag value", p, start);
                p++;
            }
            if (p == vs) return fail("empty tag value", p, start);
            if (nTags == tagKs.length) growTags();
            tagKs[nTags] = ks; tagKe[nTags] = ke; tagVs[nTags] = vs; tagVe[nTags] = p;
            nTags++;
            if (p >= end) return fail("missing fields (expected a space and field=value after the tags)", p, start);
        }
        if (b.getByte(p) != ' ') return fail("expected a space before the fields", p, start);
        seriesEnd = p;
        seriesParsed = true;
        return true;
    }

    private boolean parseFields(ByteBuf b, int start, int p, int end) {
        // one or more spaces
        while (p < end && b.getByte(p) == ' ') p++;
        if (p >= end) return fail("missing fields", p, start);
        while (true) {
            int ks = p;
            while (p < end) {
                byte c = b.getByte(p);
                if (c == '\\' && p + 1 < end) { p += 2; continue; }
                if (c == '=' || c == ',' || c == ' ') break;
                p++;
            }
            if (p >= end || b.getByte(p) != '=') return fail("field without '=value'", p, start);
            if (p == ks) return fail("empty field key", p, start);
            int ke = p++;
            if (p >= end) return fail("missing field value", p, start);
            int vs = p, ve;
            if (b.getByte(p) == '"') {
                p++;
                while (p < end) {
                    byte c = b.getByte(p);
                    if (c == '\\' && p + 1 < end) { p += 2; continue; }
                    if (c == '"') break;
                    p++;
                }
                if (p >= end) return fail("unterminated string field value", p, start);
                ve = p; // closing quote position; value bytes are (vs+1, ve)
                p++;
            } else {
                while (p < end) {
                    byte c = b.getByte(p);
                    if (c == ',' || c == ' ') break;
                    p++;
                }
                ve = p;
                if (ve == vs) return fail("missing field value", p, start);
            }
            if (nFields == fKs.length) growFields();
            fKs[nFields] = ks; fKe[nFields] = ke; fVs[nFields] = vs; fVe[nFields] = ve;
            nFields++;
            if (p >= end || b.getByte(p) == ' ') break;
            if (b.getByte(p) != ',') return fail("expected ',' or a space after a field value", p, start);
            p++;
        }
        return true;
    }

    private void growTags() {
        int n = tagKs.length * 2;
        tagKs = Arrays.copyOf(tagKs, n); tagKe = Arrays.copyOf(tagKe, n); tagVs = Arrays.copyOf(tagVs, n); tagVe = Arrays.copyOf(tagVe, n);
    }

    private void growFields() {
        int n = fKs.length * 2;
        fKs = Arrays.copyOf(fKs, n); fKe = Arrays.copyOf(fKe, n); fVs = Arrays.copyOf(fVs, n); fVe = Arrays.copyOf(fVe, n);
    }

    /** Builds validated labels for field f of the current line (cache miss path); null when invalid. */
    private Labels labels(ByteBuf b, int start, int f, String db) {
        lb.reset();
        String meas = unescape(b, start, measurementEnd, true);
        String field = unescape(b, fKs[f], fKe[f], false);
        if (meas == null || field == null) return invalidUtf8();
        lb.add(Labels.METRIC_NAME, Names.metricName(meas + "_" + field));
        for (int t = 0; t < nTags; t++) {
            String k = unescape(b, tagKs[t], tagKe[t], false), v = unescape(b, tagVs[t], tagVe[t], false);
            if (k == null || v == null) return invalidUtf8();
            lb.add(Names.labelName(k), v);
        }
        if (db != null && lb.get("db") == null) lb.add("db", db);
        return lb.build();
    }

    private Labels invalidUtf8() {
        return lb.reject(io.tsdb.core.AppendStatus.INVALID_LABEL_VALUE, "measurement, tag or field key is not valid UTF-8");
    }

    /** Removes escapes ('\' before ',', ' ', '=' and, outside measurements, '"' / '\'); null if not UTF-8. */
    private String unescape(ByteBuf b, int s, int e, boolean measurement) {
        int n = 0;
        if (scratch.length < e - s) scratch = new byte[Math.max(scratch.length * 2, e - s)];
        for (int i = s; i < e; i++) {
            byte c = b.getByte(i);
            if (c == '\\' && i + 1 < e) {
                byte d = b.getByte(i + 1);
                if (d == ',' || d == ' ' || (!measurement && d == '=')) { scratch[n++] = d; i++; continue; }
            }
            scratch[n++] = c;
        }
        if (!io.tsdb.server.ingest.Utf8.valid(scratch, 0, n)) return null;
        return new String(scratch, 0, n, StandardCharsets.UTF_8);
    }

    private static String ascii(ByteBuf b, int s, int e) {
        return b.toString(s, Math.min(e - s, 64), StandardCharsets.UTF_8);
    }

    private static String preview(ByteBuf b, int s, int e) {
        int n = Math.min(e - s, 80);
        return "\"" + b.toString(s, n, StandardCharsets.UTF_8) + (e - s > n ? "..." : "") + "\"";
    }
}
