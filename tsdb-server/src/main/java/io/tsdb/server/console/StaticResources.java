package io.tsdb.server.console;

import io.tsdb.server.http.HttpError;
import io.tsdb.server.http.Request;
import io.tsdb.server.http.Response;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Serves static files from the class path (the console's own files and WebJars), with content types,
 * strong ETags and conditional GET. Files are read once and kept in memory (they are small and fixed
 * for the life of the process). Paths are confined to their root: ".." segments are refused.
 */
final class StaticResources {
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8",
            "js", "text/javascript; charset=utf-8",
            "mjs", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8",
            "svg", "image/svg+xml",
            "png", "image/png",
            "ico", "image/x-icon",
            "json", "application/json",
            "map", "application/json");

    private record Entry(byte[] bytes, String etag, String type) {}

    private final ConcurrentHashMap<String, Entry> cache = new ConcurrentHashMap<>();
    private final ClassLoader loader = StaticResources.class.getClassLoader();

    /** Resolves the version directory of a WebJar from its Maven pom.properties, e.g. "1.6.30". */
    static String webjarVersion(String group, String artifact) {
        String path = "META-INF/maven/" + group + "/" + artifact + "/pom.properties";
        try (InputStream in = StaticResources.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) return null;
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version");
        } catch (IOException e) {
            return null;
        }
    }

    /** Answers a GET for the class-path resource {@code root + "/" + relative}. */
    Response serve(Request req, String root, String relative, boolean immutable) {
        if (relative.isEmpty() || relative.contains("..") || relative.contains("\\") || relative.startsWith("/")) {
            throw new HttpError(404, "not found: " + req.path());
        }
        String key = root + "/" + relative;
        Entry e = cache.computeIfAbsent(key, this::load);
        if (e.bytes == null) throw new HttpError(404, "not found: " + req.path());
        String inm = req.header("If-None-Match");
        if (e.etag.equals(inm)) {
            return new Response(304, null, null).header("ETag", e.etag);
        }
        return new Response(200, e.type, e.bytes)
                .header("ETag", e.etag)
                .header("Cache-Control", immutable ? "public, max-age=31536000, immutable" : "no-cache")
                .header("X-Content-Type-Options", "nosniff");
    }

    private Entry load(String key) {
        try (InputStream in = loader.getResourceAsStream(key)) {
            if (in == null) return new Entry(null, "", "");
            byte[] b = in.readAllBytes();
            String ext = key.substring(key.lastIndexOf('.') + 1);
            return new Entry(b, '"' + sha256(b) + '"', TYPES.getOrDefault(ext, "application/octet-stream"));
        } catch (IOException ex) {
            return new Entry(null, "", "");
        }
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b), 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
