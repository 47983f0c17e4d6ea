package io.tsdb.server.auth;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.tsdb.server.tls.ClientAuthType;
import io.tsdb.server.tls.TlsSettings;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A validated {@code --web.config.file} (format: {@link WebConfigFormat}, docs/format/web-config.md). Every error
 * names the file, the key and, where the YAML parser knows it, the line; a key the format does not define is
 * refused. Relative file names are resolved against the file's directory, as Prometheus does.
 *
 * @param tls              null: plain HTTP
 * @param headers          response headers added to every answer ({@code http_server_config.headers})
 * @param basicAuthUsers   user name -> bcrypt hash
 * @param bearerTokens     identity -> SHA-256 digest of its token
 * @param tenantGrants     identity -> tenants it may use, the first one without X-Scope-OrgID ({@code "*"}: any)
 */
public record WebConfig(Path file, TlsSettings tls, Map<String, String> headers,
                        Map<String, String> basicAuthUsers, Map<String, byte[]> bearerTokens,
                        Map<String, List<String>> tenantGrants) {

    /** A file that cannot be used; the message names the file, the key and what is wrong. */
    public static final class WebConfigException extends Exception {
        public WebConfigException(String message) { super(message); }
    }

    private static final ObjectMapper YAML = new ObjectMapper(YAMLFactory.builder().build())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    static final Pattern BCRYPT = Pattern.compile("\\$2[aby]\\$\\d\\d\\$[./A-Za-z0-9]{53}");
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-fA-F]{64}");

    /** Authentication is on when any user or token is configured. */
    public boolean authEnabled() { return !basicAuthUsers.isEmpty() || !bearerTokens.isEmpty(); }

    /** The web config file and the files it names (watched for changes). */
    public List<Path> watchedFiles() {
        List<Path> l = new ArrayList<>();
        l.add(file);
        if (tls != null) l.addAll(tls.files());
        return l;
    }

    public static WebConfig load(Path file) throws WebConfigException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            throw new WebConfigException("web config " + file + ": cannot read: " + e.getMessage());
        }
        return parse(file, text);
    }

    /** Parses {@code text} as the content of {@code file} (relative names resolve against its directory). */
    public static WebConfig parse(Path file, String text) throws WebConfigException {
        String where = "web config " + file + ": ";
        WebConfigFormat.File f;
        try {
            checkKeys(where, text);
            f = text.isBlank() ? null : YAML.readValue(text, WebConfigFormat.File.class);
        } catch (UnrecognizedPropertyException e) {
            String section = path(e, 1);
            String known = e.getKnownPropertyIds() == null ? "" : e.getKnownPropertyIds().stream()
                    .map(String::valueOf).sorted().collect(Collectors.joining(", "));
            throw new WebConfigException(where + line(e) + "unknown key \"" + e.getPropertyName() + "\""
                    + (section.isEmpty() ? " at the top level" : " in " + section) + " (known keys: " + known + ")");
        } catch (JsonProcessingException e) {
            String key = path(e, 0);
            throw new WebConfigException(where + line(e) + (key.isEmpty() ? "" : key + ": ")
                    + e.getOriginalMessage().replaceAll("\\s*\\R\\s*", " ").replaceAll(" \\(for Object starting at.*", ""));
        } catch (IOException e) {
            throw new WebConfigException(where + e.getMessage());
        }
        if (f == null) return new WebConfig(file, null, Map.of(), Map.of(), Map.of(), Map.of());
        Path dir = file.toAbsolutePath().getParent();
        TlsSettings tls = f.tlsServerConfig() == null ? null : tls(where, dir, f.tlsServerConfig());
        Map<String, String> headers = headers(where, f.httpServerConfig());
        Map<String, String> users = users(where, f.basicAuthUsers());
        Map<String, byte[]> tokens = tokens(where, f.tsdbBearerTokens(), users.keySet());
        Map<String, List<String>> grants = grants(where, f.tsdbTenants(), users.keySet(), tokens.keySet());
        return new WebConfig(file, tls, headers, users, tokens, grants);
    }

    /**
     * Refuses a key the format does not define, with the line it is on (Jackson's binding refuses it too, but
     * reports where the enclosing object ends). Known keys are the {@link JsonProperty} names of the schema records.
     */
    private static void checkKeys(String where, String text) throws IOException, WebConfigException {
        try (JsonParser p = YAML.getFactory().createParser(text)) {
            if (p.nextToken() != com.fasterxml.jackson.core.JsonToken.START_OBJECT) return;   // binding reports it
            while (p.nextToken() == com.fasterxml.jackson.core.JsonToken.FIELD_NAME) {
                String section = p.currentName();
                checkKey(where, p, WebConfigFormat.File.class, section, null);
                p.nextToken();
                Class<?> nested = section.equals("tls_server_config") ? WebConfigFormat.TlsServerConfig.class
                        : section.equals("http_server_config") ? WebConfigFormat.HttpServerConfig.class : null;
                if (nested != null && p.currentToken() == com.fasterxml.jackson.core.JsonToken.START_OBJECT) {
                    while (p.nextToken() == com.fasterxml.jackson.core.JsonToken.FIELD_NAME) {
                        checkKey(where, p, nested, p.currentName(), section);
                        p.nextToken();
                        p.skipChildren();
                    }
                } else {
                    p.skipChildren();
                }
            }
        }
    }

    private static void checkKey(String where, JsonParser p, Class<?> schema, String key, String section) throws WebConfigException {
        java.util.TreeSet<String> known = new java.util.TreeSet<>();
        for (var c : schema.getRecordComponents()) {
            JsonProperty a = c.getAccessor().getAnnotation(JsonProperty.class);
            known.add(a != null ? a.value() : c.getName());
        }
        if (known.contains(key)) return;
        throw new WebConfigException(where + "line " + p.currentTokenLocation().getLineNr() + ": unknown key \"" + key + "\""
                + (section == null ? " at the top level" : " in " + section) + " (known keys: " + String.join(", ", known) + ")");
    }

    private static String line(JsonProcessingException e) {
        JsonLocation l = e.getLocation();
        return l == null || l.getLineNr() < 1 ? "" : "line " + l.getLineNr() + ": ";
    }

    /** The dotted key path of a binding error, without its last {@code drop} elements. */
    private static String path(JsonProcessingException e, int drop) {
        if (!(e instanceof JsonMappingException m)) return "";
        List<JsonMappingException.Reference> refs = m.getPath();
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < refs.size() - drop; i++) {
            JsonMappingException.Reference r = refs.get(i);
            if (r.getFieldName() != null) b.append(b.length() == 0 ? "" : ".").append(r.getFieldName());
            else if (r.getIndex() >= 0) b.append('[').append(r.getIndex()).append(']');
        }
        return b.toString();
    }

    private static TlsSettings tls(String where, Path dir, WebConfigFormat.TlsServerConfig t) throws WebConfigException {
        String w = where + "tls_server_config.";
        boolean hasCert = t.certFile() != null && !t.certFile().isEmpty();
        boolean hasKey = t.keyFile() != null && !t.keyFile().isEmpty();
        if (!hasCert && !hasKey) {
            // as Prometheus: no certificate means no TLS; anything else configured is then a mistake
            if (t.clientCaFile() != null || t.clientAuthType() != null) {
                throw new WebConfigException(w + "cert_file: missing (client_auth_type/client_ca_file need TLS)");
            }
            return null;
        }
        if (!hasCert) throw new WebConfigException(w + "cert_file: missing (key_file is set)");
        if (!hasKey) throw new WebConfigException(w + "key_file: missing (cert_file is set)");
        ClientAuthType auth = ClientAuthType.NoClientCert;
        if (t.clientAuthType() != null && !t.clientAuthType().isEmpty()) {
            try {
                auth = ClientAuthType.valueOf(t.clientAuthType());
            } catch (IllegalArgumentException e) {
                throw new WebConfigException(w + "client_auth_type: invalid value \"" + t.clientAuthType() + "\" (one of "
                        + Arrays.stream(ClientAuthType.values()).map(Enum::name).collect(Collectors.joining(", ")) + ")");
            }
        }
        Path ca = t.clientCaFile() == null || t.clientCaFile().isEmpty() ? null : dir.resolve(t.clientCaFile());
        if (ca != null && auth == ClientAuthType.NoClientCert) {
            throw new WebConfigException(w + "client_ca_file: set but client_auth_type is NoClientCert"
                    + " (use RequireAndVerifyClientCert for mutual TLS)");
        }
        if (ca == null && auth.verified) {
            throw new WebConfigException(w + "client_ca_file: missing; client_auth_type " + auth + " verifies client"
                    + " certificates against it");
        }
        List<String> sans = t.clientAllowedSans() == null ? List.of() : t.clientAllowedSans();
        if (!sans.isEmpty() && !auth.verified) {
            throw new WebConfigException(w + "client_allowed_sans: needs a client_auth_type that verifies certificates");
        }
        String min = version(w + "min_version", t.minVersion() == null ? WebConfigFormat.DEFAULT_MIN_VERSION : t.minVersion());
        String max = version(w + "max_version", t.maxVersion() == null ? "TLS13" : t.maxVersion());
        if (WebConfigFormat.PROTOCOL_ORDER.indexOf(max) < WebConfigFormat.PROTOCOL_ORDER.indexOf(min)) {
            throw new WebConfigException(w + "max_version: " + t.maxVersion() + " is below min_version");
        }
        List<String> suites = t.cipherSuites() == null ? List.of() : t.cipherSuites();
        Set<String> supported = supportedCipherSuites();
        for (String s : suites) {
            if (!supported.contains(s)) throw new WebConfigException(w + "cipher_suites: unknown or unsupported cipher suite \"" + s + "\"");
            if (s.startsWith("TLS_AES_") || s.startsWith("TLS_CHACHA20_")) {
                throw new WebConfigException(w + "cipher_suites: \"" + s + "\" is a TLS 1.3 suite; TLS 1.3 suites are not configurable");
            }
        }
        if (t.curvePreferences() != null && !t.curvePreferences().isEmpty()) {
            throw new WebConfigException(w + "curve_preferences: not supported by this server (the JDK's named groups"
                    + " are used); remove the key");
        }
        return new TlsSettings(dir.resolve(t.certFile()), dir.resolve(t.keyFile()), ca, auth, min, max, suites,
                t.preferServerCipherSuites() == null || t.preferServerCipherSuites(), sans);
    }

    private static String version(String where, String v) throws WebConfigException {
        String p = WebConfigFormat.TLS_VERSIONS.get(v);
        if (p == null) {
            throw new WebConfigException(where + ": invalid value \"" + v + "\" (one of "
                    + String.join(", ", new TreeSet<>(WebConfigFormat.TLS_VERSIONS.keySet())) + ")");
        }
        return p;
    }

    private static Set<String> supportedCipherSuites() {
        try {
            return Set.of(javax.net.ssl.SSLContext.getDefault().getSupportedSSLParameters().getCipherSuites());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("no default TLS implementation", e);
        }
    }

    private static Map<String, String> headers(String where, WebConfigFormat.HttpServerConfig h) throws WebConfigException {
        if (h == null || h.headers() == null) return Map.of();
        Map<String, String> out = new LinkedHashMap<>();
        for (var e : h.headers().entrySet()) {
            String canonical = WebConfigFormat.SETTABLE_HEADERS.stream().filter(k -> k.equalsIgnoreCase(e.getKey()))
                    .findFirst().orElseThrow(() -> new WebConfigException(where + "http_server_config.headers: header \""
                            + e.getKey() + "\" may not be set (allowed: " + String.join(", ", new TreeSet<>(WebConfigFormat.SETTABLE_HEADERS)) + ")"));
            String v = e.getValue() == null ? "" : e.getValue();
            if (v.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                throw new WebConfigException(where + "http_server_config.headers." + e.getKey() + ": control character in value");
            }
            out.put(canonical, v);
        }
        return Map.copyOf(out);
    }

    private static Map<String, String> users(String where, Map<String, String> users) throws WebConfigException {
        if (users == null) return Map.of();
        for (var e : users.entrySet()) {
            String u = e.getKey();
            if (u.isEmpty() || u.indexOf(':') >= 0 || u.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                throw new WebConfigException(where + "basic_auth_users: invalid user name \"" + printable(u)
                        + "\" (not empty, no ':' and no control characters)");
            }
            // the hash itself is not repeated in the message
            if (e.getValue() == null || !BCRYPT.matcher(e.getValue()).matches()) {
                throw new WebConfigException(where + "basic_auth_users." + u + ": not a bcrypt hash ($2a$, $2b$ or"
                        + " $2y$ followed by the cost and 53 characters; e.g. from htpasswd -nBC 10 " + u + ")");
            }
        }
        return Map.copyOf(users);
    }

    private static Map<String, byte[]> tokens(String where, Map<String, String> tokens, Set<String> users) throws WebConfigException {
        if (tokens == null) return Map.of();
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (var e : tokens.entrySet()) {
            String id = e.getKey(), v = e.getValue() == null ? "" : e.getValue();
            if (id.isEmpty() || id.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                throw new WebConfigException(where + "tsdb_bearer_tokens: invalid identity \"" + printable(id) + "\"");
            }
            if (users.contains(id)) {
                throw new WebConfigException(where + "tsdb_bearer_tokens." + id + ": identity is also a basic_auth_users"
                        + " user (identities must be unique)");
            }
            String hex = v.startsWith(WebConfigFormat.SHA256_PREFIX) ? v.substring(WebConfigFormat.SHA256_PREFIX.length()) : "";
            if (!SHA256_HEX.matcher(hex).matches()) {
                throw new WebConfigException(where + "tsdb_bearer_tokens." + id + ": expected \"sha256:\" and the 64 hex"
                        + " digits of the token's SHA-256 digest (e.g. printf %s \"$TOKEN\" | sha256sum)");
            }
            byte[] digest = HexFormat.of().parseHex(hex);
            for (var other : out.entrySet()) {
                if (Arrays.equals(other.getValue(), digest)) {
                    throw new WebConfigException(where + "tsdb_bearer_tokens." + id + ": same token as " + other.getKey());
                }
            }
            out.put(id, digest);
        }
        return Map.copyOf(out);
    }

    private static Map<String, List<String>> grants(String where, Map<String, List<String>> grants, Set<String> users,
                                                    Set<String> tokens) throws WebConfigException {
        if (grants == null) return Map.of();
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (var e : grants.entrySet()) {
            String id = e.getKey();
            if (!users.contains(id) && !tokens.contains(id)) {
                throw new WebConfigException(where + "tsdb_tenants." + printable(id) + ": no such identity (a user of"
                        + " basic_auth_users or an identity of tsdb_bearer_tokens)");
            }
            List<String> ts = e.getValue() == null ? List.of() : e.getValue();
            if (ts.isEmpty()) throw new WebConfigException(where + "tsdb_tenants." + id + ": list at least one tenant (or \"*\")");
            for (String t : ts) {
                if ("*".equals(t)) continue;
                String why = io.tsdb.server.tenant.TenantScope.invalid(t);
                if (why != null) throw new WebConfigException(where + "tsdb_tenants." + id + ": " + why);
            }
            if (new java.util.HashSet<>(ts).size() != ts.size()) {
                throw new WebConfigException(where + "tsdb_tenants." + id + ": a tenant is listed twice");
            }
            out.put(id, List.copyOf(ts));
        }
        return Map.copyOf(out);
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().limit(64).forEach(c -> b.append(c < 0x20 || c == 0x7f ? "\\x" + String.format("%02x", c) : Character.toString(c)));
        return b.toString();
    }
}
