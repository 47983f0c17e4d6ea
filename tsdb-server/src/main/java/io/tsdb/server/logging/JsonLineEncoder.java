package io.tsdb.server.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.encoder.EncoderBase;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import org.slf4j.event.KeyValuePair;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Map;

/**
 * Logback encoder writing one flat JSON object per line:
 * {@code {"ts":"2026-01-01T12:00:00.123Z","level":"INFO","logger":"...","thread":"...","msg":"...",<MDC>,<key-values>,"error":"..."}}.
 * SLF4J key-value pairs ({@code log.atInfo().addKeyValue("status", 200)}) become top-level fields with
 * their JSON type kept (numbers stay numbers, maps become objects), so log processors can filter on them
 * directly.
 */
public final class JsonLineEncoder extends EncoderBase<ILoggingEvent> {
    private static final byte[] EMPTY = new byte[0];
    private final JsonFactory json = new JsonFactory();

    @Override public byte[] headerBytes() { return EMPTY; }
    @Override public byte[] footerBytes() { return EMPTY; }

    @Override
    public byte[] encode(ILoggingEvent e) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = json.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("ts", timestamp(e.getTimeStamp()));
            g.writeStringField("level", e.getLevel().toString());
            g.writeStringField("logger", e.getLoggerName());
            g.writeStringField("thread", e.getThreadName());
            g.writeStringField("msg", e.getFormattedMessage());
            Map<String, String> mdc = e.getMDCPropertyMap();
            if (mdc != null) {
                for (var m : mdc.entrySet()) g.writeStringField(m.getKey(), m.getValue());
            }
            if (e.getKeyValuePairs() != null) {
                for (KeyValuePair kv : e.getKeyValuePairs()) {
                    if (mdc != null && mdc.containsKey(kv.key)) continue;
                    g.writeFieldName(kv.key);
                    writeValue(g, kv.value);
                }
            }
            IThrowableProxy t = e.getThrowableProxy();
            if (t != null) g.writeStringField("error", ThrowableProxyUtil.asString(t));
            g.writeEndObject();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        out.write('\n');
        return out.toByteArray();
    }

    /** The formatted second of the last line ({@code 2026-01-01T12:00:00}), with its epoch second. */
    private record Second(long epochSecond, String text) {}

    private volatile Second second = new Second(Long.MIN_VALUE, "");

    /**
     * {@code Instant.ofEpochMilli(ms).toString()} (ISO-8601 UTC, milliseconds only when not zero), with the date and
     * time of day formatted once per second: the access log writes a line per request, and formatting the instant
     * was a third of its cost (JFR).
     */
    String timestamp(long ms) {
        long sec = Math.floorDiv(ms, 1000L);
        int milli = (int) Math.floorMod(ms, 1000L);
        Second s = second;
        if (s.epochSecond != sec) {
            String full = Instant.ofEpochSecond(sec).toString();   // ...:ssZ
            s = new Second(sec, full.substring(0, full.length() - 1));
            second = s;
        }
        if (milli == 0) return s.text + "Z";
        StringBuilder b = new StringBuilder(s.text.length() + 5).append(s.text).append('.');
        if (milli < 100) b.append('0');
        if (milli < 10) b.append('0');
        return b.append(milli).append('Z').toString();
    }

    private static void writeValue(JsonGenerator g, Object v) throws IOException {
        if (v == null) g.writeNull();
        else if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) g.writeNumber(((Number) v).longValue());
        else if (v instanceof Double d && Double.isFinite(d)) g.writeNumber(d);
        else if (v instanceof Float f && Float.isFinite(f)) g.writeNumber(f);
        else if (v instanceof Boolean b) g.writeBoolean(b);
        else if (v instanceof Map<?, ?> m) {
            g.writeStartObject();
            for (var e : m.entrySet()) {
                g.writeFieldName(String.valueOf(e.getKey()));
                writeValue(g, e.getValue());
            }
            g.writeEndObject();
        }
        else g.writeString(String.valueOf(v));
    }
}
