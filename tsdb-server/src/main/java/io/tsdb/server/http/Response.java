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
    /** A large body in pieces (the last one partly filled), or null: {@link #body} is then joined on demand. */
    private final byte[][] segments;
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
        this.segments = null;
    }

    /**
     * A response whose body is the concatenation of {@code segments}, {@code length} bytes in all (the last segment
     * may be longer than what is left): a large answer is written in pieces that are sent as they are, without one
     * large array (each allocated fresh, grown by copying and paged in by the kernel).
     */
    public Response(int status, String contentType, byte[][] segments, int length) {
        this.status = status;
        this.contentType = contentType;
        long room = 0;
        for (byte[] b : segments) room += b.length;
        if (length < 0 || length > room) throw new IllegalArgumentException("length " + length + " of a " + room + "-byte body");
        this.segments = segments;
        this.length = length;
    }

    public static Response json(int status, byte[] body) { return new Response(status, "application/json", body); }

    public static Response json(int status, byte[] body, int length) { return new Response(status, "application/json", body, length); }
    public static Response json(int status, byte[][] segments, int length) { return new Response(status, "application/json", segments, length); }
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
        if (body == null) {
            byte[] b = new byte[length];
            int p = 0;
            for (byte[] seg : segments) {
                int k = Math.min(seg.length, length - p);
                System.arraycopy(seg, 0, b, p, k);
                p += k;
            }
            body = b;
        } else if (body.length != length) {
            body = java.util.Arrays.copyOf(body, length);
        }
        return body;
    }

    /** Body length in bytes. */
    public int length() { return length; }

    /** The body's buffer, of which the first {@link #length()} bytes are the body (no copy; for the HTTP layer). */
    public byte[] buffer() { return body == null ? body() : body; }

    /** The body in pieces ({@link #length()} bytes in all, the last piece possibly longer), or null when it is one buffer. */
    public byte[][] segments() { return body == null ? segments : null; }
    public Map<String, String> headers() { return headers; }
}
