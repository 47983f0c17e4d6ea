package io.tsdb.server.http;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** An HTTP response produced by a handler. */
public final class Response {
    private final int status;
    private final String contentType;
    private byte[] body;
    /** Bytes of {@code body} that are the response (a writer's buffer may be longer than what it wrote). */
    private final int length;
    private final Map<String, String> headers = new LinkedHashMap<>();

    public Response(int status, String contentType, byte[] body) {
        this(status, contentType, body, body == null ? 0 : body.length);
    }

    /** A response whose body is {@code body[0, length)}: a large answer is sent without copying its buffer. */
    public Response(int status, String contentType, byte[] body, int length) {
        this.status = status;
        this.contentType = contentType;
        this.body = body == null ? new byte[0] : body;
        if (length < 0 || length > this.body.length) throw new IllegalArgumentException("length " + length + " of a " + this.body.length + "-byte body");
        this.length = length;
    }

    public static Response json(int status, byte[] body) { return new Response(status, "application/json", body); }

    public static Response json(int status, byte[] body, int length) { return new Response(status, "application/json", body, length); }
    public static Response json(int status, String body) { return json(status, body.getBytes(StandardCharsets.UTF_8)); }
    public static Response text(int status, String body) {
        return new Response(status, "text/plain; charset=utf-8", body.getBytes(StandardCharsets.UTF_8));
    }
    public static Response noContent() { return new Response(204, null, null); }

    /** Adds or replaces a header; returns this. */
    public Response header(String name, String value) { headers.put(name, value); return this; }

    public int status() { return status; }
    public String contentType() { return contentType; }
    /** The body, exactly {@link #length()} bytes. */
    public byte[] body() {
        if (body.length != length) body = java.util.Arrays.copyOf(body, length);
        return body;
    }

    /** Body length in bytes. */
    public int length() { return length; }

    /** The body's buffer, of which the first {@link #length()} bytes are the body (no copy; for the HTTP layer). */
    public byte[] buffer() { return body; }
    public Map<String, String> headers() { return headers; }
}
