package io.tsdb.server.auth;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Descriptor of the {@code --web.config.file} format (spec: docs/format/web-config.md): Prometheus's
 * exporter-toolkit web configuration (as read by Prometheus 2.42) plus this server's extension keys, all
 * prefixed {@code tsdb_}. The records below are the schema Jackson binds the YAML to; a key that is not a
 * component of them is refused (strict, as Prometheus's own loader is). {@link WebConfig} validates the values.
 */
public final class WebConfigFormat {
    private WebConfigFormat() {}

    /** {@code min_version}/{@code max_version} values (Go's names) and the JDK protocol each selects. */
    public static final Map<String, String> TLS_VERSIONS = Map.of(
            "TLS10", "TLSv1", "TLS11", "TLSv1.1", "TLS12", "TLSv1.2", "TLS13", "TLSv1.3");
    /** Protocols in ascending order (JDK names). */
    public static final List<String> PROTOCOL_ORDER = List.of("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3");
    public static final String DEFAULT_MIN_VERSION = "TLS12";

    /** The response headers {@code http_server_config.headers} may set (Prometheus's list). */
    public static final Set<String> SETTABLE_HEADERS = Set.of("Content-Security-Policy", "X-Frame-Options",
            "X-Content-Type-Options", "X-XSS-Protection", "Strict-Transport-Security");

    /** Prefix of a bearer-token digest in {@code tsdb_bearer_tokens}. */
    public static final String SHA256_PREFIX = "sha256:";

    /** The whole file. Prometheus's keys, then the extension keys. */
    public record File(
            @JsonProperty("tls_server_config") TlsServerConfig tlsServerConfig,
            @JsonProperty("http_server_config") HttpServerConfig httpServerConfig,
            /* user name -> bcrypt hash ($2a$, $2b$ or $2y$) */
            @JsonProperty("basic_auth_users") Map<String, String> basicAuthUsers,
            /* extension: identity -> "sha256:<64 hex digits>" of the token the client sends as "Bearer <token>" */
            @JsonProperty("tsdb_bearer_tokens") Map<String, String> tsdbBearerTokens,
            /* extension: identity (user or token) -> tenants it may use, the first without X-Scope-OrgID ("*": any) */
            @JsonProperty("tsdb_tenants") Map<String, List<String>> tsdbTenants) {}

    /** {@code tls_server_config}. */
    public record TlsServerConfig(
            @JsonProperty("cert_file") String certFile,
            @JsonProperty("key_file") String keyFile,
            @JsonProperty("client_auth_type") String clientAuthType,
            @JsonProperty("client_ca_file") String clientCaFile,
            @JsonProperty("client_allowed_sans") List<String> clientAllowedSans,
            @JsonProperty("min_version") String minVersion,
            @JsonProperty("max_version") String maxVersion,
            @JsonProperty("cipher_suites") List<String> cipherSuites,
            @JsonProperty("prefer_server_cipher_suites") Boolean preferServerCipherSuites,
            @JsonProperty("curve_preferences") List<String> curvePreferences) {}

    /** {@code http_server_config}. */
    public record HttpServerConfig(
            @JsonProperty("http2") Boolean http2,
            @JsonProperty("headers") Map<String, String> headers) {}
}
