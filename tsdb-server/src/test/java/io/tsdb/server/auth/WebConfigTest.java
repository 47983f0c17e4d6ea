package io.tsdb.server.auth;

import io.tsdb.server.tls.ClientAuthType;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** --web.config.file parsing: Prometheus's keys, the tsdb_ extension keys, and an error naming file/key/line. */
class WebConfigTest {
    static final Path FILE = Path.of("/etc/tsdb/web.yml");
    static final String HASH = "$2b$12$hNf2lSsxfm0.i4a.1kVpSOVyBCfIB51VRjgBUyv6kdnyTlgWj81Ay";

    static WebConfig parse(String yaml) throws WebConfig.WebConfigException { return WebConfig.parse(FILE, yaml); }

    static String error(String yaml) {
        WebConfig.WebConfigException e = assertThrows(WebConfig.WebConfigException.class, () -> parse(yaml));
        assertTrue(e.getMessage().startsWith("web config " + FILE + ": "), e.getMessage());
        return e.getMessage();
    }

    @Test void prometheusExampleWithExtensions() throws Exception {
        WebConfig c = parse("""
                tls_server_config:
                  cert_file: server.crt
                  key_file: /abs/server.key
                  client_auth_type: RequireAndVerifyClientCert
                  client_ca_file: ca.pem
                  client_allowed_sans: [client.example]
                  min_version: TLS13
                  prefer_server_cipher_suites: false
                http_server_config:
                  http2: false
                  headers:
                    X-Frame-Options: deny
                    strict-transport-security: max-age=31536000
                basic_auth_users:
                  admin: %s
                tsdb_bearer_tokens:
                  otel-collector: %s
                """.formatted(HASH, Authenticator.tokenDigest("t0k3n")));
        assertEquals(Path.of("/etc/tsdb/server.crt"), c.tls().certFile());       // relative to the file's directory
        assertEquals(Path.of("/abs/server.key"), c.tls().keyFile());
        assertEquals(Path.of("/etc/tsdb/ca.pem"), c.tls().clientCaFile());
        assertEquals(ClientAuthType.RequireAndVerifyClientCert, c.tls().clientAuth());
        assertEquals("TLSv1.3", c.tls().minVersion());
        assertEquals("TLSv1.3", c.tls().maxVersion());
        assertFalse(c.tls().preferServerCipherSuites());
        assertEquals(List.of("client.example"), c.tls().clientAllowedSans());
        assertEquals("deny", c.headers().get("X-Frame-Options"));
        assertEquals("max-age=31536000", c.headers().get("Strict-Transport-Security"));
        assertEquals(HASH, c.basicAuthUsers().get("admin"));
        assertEquals(32, c.bearerTokens().get("otel-collector").length);
        assertTrue(c.authEnabled());
        assertEquals(List.of(FILE, Path.of("/etc/tsdb/server.crt"), Path.of("/abs/server.key"), Path.of("/etc/tsdb/ca.pem")),
                c.watchedFiles());
    }

    @Test void emptyFileAndNoCertificateMeanPlainHttpWithoutAuth() throws Exception {
        WebConfig c = parse("");
        assertNull(c.tls());
        assertFalse(c.authEnabled());
        c = parse("tls_server_config:\n  min_version: TLS12\n");
        assertNull(c.tls());
        c = parse("basic_auth_users:\n  u: " + HASH + "\n");
        assertNull(c.tls());
        assertTrue(c.authEnabled());
        assertEquals("TLSv1.2", parse("tls_server_config: {cert_file: a, key_file: b}").tls().minVersion()); // Prometheus' default
    }

    @Test void unknownKeysAreRefusedNamingKeyFileAndLine() {
        String m = error("tls_server_config:\n  cert_file: a\n  key_file: b\nbasic_auth_user:\n  u: x\n");
        assertTrue(m.contains("line 4") && m.contains("unknown key \"basic_auth_user\" at the top level"), m);
        assertTrue(m.contains("basic_auth_users") && m.contains("tsdb_bearer_tokens"), "lists the known keys: " + m);
        m = error("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca: ca.pem\n");
        assertTrue(m.contains("line 4") && m.contains("unknown key \"client_ca\" in tls_server_config"), m);
        m = error("http_server_config:\n  http3: true\n");
        assertTrue(m.contains("unknown key \"http3\" in http_server_config"), m);
        m = error("tls_server_config: {cert_file: a, key_file: b}\ntls_server_config: {cert_file: a, key_file: b}\n");
        assertTrue(m.contains("Duplicate field 'tls_server_config'"), m);
    }

    @Test void invalidValuesNameTheirKey() {
        assertTrue(error("tls_server_config: {cert_file: a}").contains("tls_server_config.key_file: missing"));
        assertTrue(error("tls_server_config: {key_file: a}").contains("tls_server_config.cert_file: missing"));
        String m = error("tls_server_config: {cert_file: a, key_file: b, client_auth_type: RequireClientCert}");
        assertTrue(m.contains("client_auth_type: invalid value \"RequireClientCert\"") && m.contains("RequireAndVerifyClientCert"), m);
        assertTrue(error("tls_server_config: {cert_file: a, key_file: b, client_ca_file: ca.pem}")
                .contains("client_ca_file: set but client_auth_type is NoClientCert"));
        assertTrue(error("tls_server_config: {cert_file: a, key_file: b, client_auth_type: RequireAndVerifyClientCert}")
                .contains("client_ca_file: missing"));
        assertTrue(error("tls_server_config: {cert_file: a, key_file: b, min_version: TLS14}").contains("min_version: invalid value \"TLS14\""));
        assertTrue(error("tls_server_config: {cert_file: a, key_file: b, min_version: TLS13, max_version: TLS12}")
                .contains("max_version: TLS12 is below min_version"));
        assertTrue(error("tls_server_config: {cert_file: a, key_file: b, cipher_suites: [TLS_RSA_WITH_RC4_128_MD5X]}")
                .contains("cipher_suites: unknown or unsupported cipher suite \"TLS_RSA_WITH_RC4_128_MD5X\""));
        assertTrue(error("tls_server_config: {cert_file: a, key_file: b, curve_preferences: [X25519]}").contains("curve_preferences"));
        assertTrue(error("tls_server_config: {cert_file: a, key_file: b, cipher_suites: nope}").contains("tls_server_config.cipher_suites"));
        assertTrue(error("http_server_config: {headers: {Server: x}}").contains("header \"Server\" may not be set"));
        m = error("basic_auth_users:\n  alice: secret-in-clear\n");
        assertTrue(m.contains("basic_auth_users.alice: not a bcrypt hash"), m);
        assertFalse(m.contains("secret-in-clear"), "the configured value is not echoed: " + m);
        assertTrue(error("basic_auth_users:\n  'a:b': " + HASH + "\n").contains("invalid user name \"a:b\""));
        m = error("tsdb_bearer_tokens:\n  ci: plain-token\n");
        assertTrue(m.contains("tsdb_bearer_tokens.ci: expected \"sha256:\"") && !m.contains("plain-token"), m);
        assertTrue(error("basic_auth_users: {ci: " + HASH + "}\ntsdb_bearer_tokens: {ci: " + Authenticator.tokenDigest("x") + "}")
                .contains("identity is also a basic_auth_users user"));
        assertTrue(error("tsdb_bearer_tokens: {a: " + Authenticator.tokenDigest("x") + ", b: " + Authenticator.tokenDigest("x") + "}")
                .contains("same token as a"));
        assertTrue(error("tsdb_tenants:\n  alice: [team-a]\n").contains("tsdb_tenants.alice: no such identity"));
        String user = "basic_auth_users: {alice: $2b$12$hNf2lSsxfm0.i4a.1kVpSOVyBCfIB51VRjgBUyv6kdnyTlgWj81Ay}\n";
        assertTrue(error(user + "tsdb_tenants:\n  alice: [\"team a\"]\n").contains("tsdb_tenants.alice: invalid tenant ID \"team a\""));
        assertTrue(error(user + "tsdb_tenants:\n  alice: []\n").contains("tsdb_tenants.alice: list at least one tenant"));
        assertTrue(error(user + "tsdb_tenants:\n  alice: [a, a]\n").contains("listed twice"));
        assertTrue(error(user + "tsdb_tenant:\n  alice: [a]\n").contains("unknown key \"tsdb_tenant\""));
        assertTrue(error("tls_server_config: [1, 2]").contains("tls_server_config"));
        assertTrue(error("basic_auth_users: {u: [1]}").contains("basic_auth_users.u"));
    }

    @Test void bcryptVariantsAreAccepted() throws Exception {
        for (String h : List.of(HASH, "$2a$05$abcdefghijklmnopqrstuuzSvhclVSvY9ufOheOOhcPviTPFJlqIC",
                "$2y$10$mDwo.lAisC94iLAyP81MCesa29IzH37oigHC/42V2pdJlUprsJPze")) {
            assertEquals(h, parse("basic_auth_users: {u: '" + h + "'}").basicAuthUsers().get("u"));
        }
        assertTrue(error("basic_auth_users: {u: '$2x$05$abcdefghijklmnopqrstuuzSvhclVSvY9ufOheOOhcPviTPFJlqIC'}").contains("not a bcrypt hash"));
    }
}
