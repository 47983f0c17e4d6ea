package io.tsdb.server.http;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** An HTTP response produced by a handler. */
public final class Response {
    private final int status;
    private final String contentType;
    private final byte[] body;
    private final Map<String, String> headers = new LinkedHashMap<>();

    public Response(int status, String contentType, byte[] body) {
        this.status = status;
        this.contentType = contentType;
        this.body = body == null ? new byte[0] : body;
    }

    public static Response json(int status, byte[] body) { return new Response(status, "application/json", body); }
    public static Response json(int status, String body) { return json(status, body.getBytes(StandardCharsets.UTF_8)); }
    public static Response text(int status, String body) {
        return new Response(status, "text/plain; charset=utf-8", body.getBytes(StandardCharsets.UTF_8));
    }
    public static Response noContent() { return new Response(204, null, null); }

    /** Adds or replaces a header; returns this. */
    public Response header(String name, String value) { headers.put(name, value); return this; }

    public int status() { return status; }
    public String contentType() { return contentType; }
    public byte[] body() { return body; }
    public Map<String, String> headers() { return headers; }
}
