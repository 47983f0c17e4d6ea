package io.tsdb.server;

import io.tsdb.core.testing.MemStorage;
import io.tsdb.server.auth.WebSecurity;
import io.tsdb.server.tls.TestCerts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * TLS on the listening port from --web.config.file: server certificate, mutual TLS (client_auth_type,
 * client_ca_file, client_allowed_sans), certificate reload without a restart and without dropping open
 * connections, a failed reload keeping the previous configuration, garbage handshakes. Certificates are made
 * by openssl at test time.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SecureServerTest {
    static TestCerts ca;
    static TestCerts rogue;
    @TempDir static Path certs;
    @TempDir Path dataDir;
    @TempDir Path confDir;
    TsdbServer server;

    @BeforeAll
    static void certificates() throws Exception {
        ca = TestCerts.newCa(Files.createDirectories(certs.resolve("ca")), "tsdb-test-ca");
        ca.issue("server", "localhost", "DNS:localhost,IP:127.0.0.1", true);
        ca.issue("server2", "localhost", "DNS:localhost,IP:127.0.0.1", true);
        ca.issue("client", "client", "DNS:client.test", false);
        rogue = TestCerts.newCa(Files.createDirectories(certs.resolve("rogue")), "rogue-ca");
        rogue.issue("client", "client", "DNS:client.test", false);
    }

    @AfterEach
    void stop() { if (server != null) server.stop(); }

    /** Starts the server with this web config (server cert copied into confDir as server.pem/server-key.pem). */
    void start(String yaml) throws Exception {
        Files.copy(ca.cert("server"), confDir.resolve("server.pem"), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(ca.key("server"), confDir.resolve("server-key.pem"), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(ca.caCert, confDir.resolve("ca.pem"), StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(confDir.resolve("web.yml"), yaml);
        ServerConfig c = new ServerConfig();
        c.listenHost = "127.0.0.1";
        c.listenPort = 0;
        c.dataDir = dataDir;
        c.webConfigFile = confDir.resolve("web.yml");
        c.webConfigPollInterval = Duration.ofMillis(50);
        server = TsdbServer.builder(c).storage(StorageFactory.of(new MemStorage())).start();
    }

    static HttpClient client(SSLContext ctx) {
        return HttpClient.newBuilder().sslContext(ctx).version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
    }

    HttpResponse<String> get(HttpClient http, String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.baseUrl() + path)).timeout(Duration.ofSeconds(30));
        for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static final String TLS = "tls_server_config:\n  cert_file: server.pem\n  key_file: server-key.pem\n";

    @Test
    void tlsWithBasicAuth() throws Exception {
        start(TLS + "basic_auth_users:\n  admin: $2b$12$hNf2lSsxfm0.i4a.1kVpSOVyBCfIB51VRjgBUyv6kdnyTlgWj81Ay\n"
                + "http_server_config:\n  headers:\n    X-Frame-Options: deny\n");
        assertTrue(server.baseUrl().startsWith("https://"));
        HttpClient http = client(ca.clientContext(null));
        HttpResponse<String> r = get(http, "/api/v1/query?query=1");
        assertEquals(401, r.statusCode());
        assertEquals("Basic realm=\"tsdb\", charset=\"UTF-8\"", r.headers().firstValue("WWW-Authenticate").orElse(null));
        assertEquals("deny", r.headers().firstValue("X-Frame-Options").orElse(null));
        String creds = "Basic " + Base64.getEncoder().encodeToString("admin:test".getBytes(StandardCharsets.UTF_8));
        r = get(http, "/api/v1/query?query=1", "Authorization", creds);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(200, get(http, "/-/healthy").statusCode(), "probes stay open");
        String metrics = get(http, "/metrics", "Authorization", creds).body();
        assertTrue(metrics.contains("tsdb_http_auth_failures_total{reason=\"missing\"} 1.0"), metrics);
        // a client that does not trust our CA cannot talk to it
        assertThrows(IOException.class, () -> get(client(rogue.clientContext(null)), "/-/healthy"));
    }

    @Test
    void plainHttpAndGarbageToTheTlsPortAreClosedNotHung() throws Exception {
        start(TLS);
        for (String junk : new String[]{"GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n", "\u0016\u0003\u0001\u0000\u0001\u0001",
                "\u0016\u0003\u0003\u7fff" + "x".repeat(100)}) {
            assertClosedWithoutHttpError(junk.getBytes(StandardCharsets.ISO_8859_1));
        }
        Random rnd = new Random(5);
        for (int i = 0; i < 30; i++) {
            byte[] b = new byte[1 + rnd.nextInt(600)];
            rnd.nextBytes(b);
            if (rnd.nextBoolean()) b[0] = 0x16;   // a handshake record type, so the TLS decoder looks further
            assertClosedWithoutHttpError(b);
        }
        assertEquals(200, get(client(ca.clientContext(null)), "/-/ready").statusCode(), "the server still serves");
    }

    void assertClosedWithoutHttpError(byte[] bytes) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", server.port()), 10_000);
            s.setSoTimeout(20_000);
            s.getOutputStream().write(bytes);
            s.shutdownOutput();
            byte[] answer = s.getInputStream().readAllBytes();   // until the server closes; a hang times out
            assertFalse(new String(answer, StandardCharsets.ISO_8859_1).contains("HTTP/1.1 5"));
        }
    }

    @Test
    void mutualTlsRequiresACertificateFromTheClientCa() throws Exception {
        start(TLS + "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.pem\n");
        assertEquals(200, get(client(ca.clientContext("client")), "/-/healthy").statusCode());
        assertThrows(IOException.class, () -> get(client(ca.clientContext(null)), "/-/healthy"), "no client certificate");
        // a client certificate from another CA (the client still trusts our server)
        SSLContext wrongCa = rogueClientTrustingOurCa();
        assertThrows(IOException.class, () -> get(client(wrongCa), "/-/healthy"), "client certificate of an unknown CA");
    }

    @Test
    void clientAllowedSans() throws Exception {
        start(TLS + "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.pem\n  client_allowed_sans: [other.test]\n");
        assertThrows(IOException.class, () -> get(client(ca.clientContext("client")), "/-/healthy"));
        Files.writeString(confDir.resolve("web.yml"), TLS
                + "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.pem\n  client_allowed_sans: [other.test, client.test]\n");
        // the 50 ms poller may have loaded it already, so "changed" is not asserted; the new list must be in force
        assertTrue(server.webSecurity().reloadIfChanged().ok());
        assertEquals(200, get(client(ca.clientContext("client")), "/-/healthy").statusCode());
    }

    /** rogue's client certificate, from a client that trusts our server's CA. */
    SSLContext rogueClientTrustingOurCa() throws Exception {
        return rogue.clientContext("client", ca.caCert);
    }

    @Test
    void certificateReloadKeepsOpenConnections() throws Exception {
        start(TLS);
        SSLContext ctx = ca.clientContext(null);
        BigInteger first = TestCerts.x509(ca.cert("server")).getSerialNumber();
        BigInteger second = TestCerts.x509(ca.cert("server2")).getSerialNumber();
        try (SSLSocket open = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", server.port())) {
            open.setSoTimeout(20_000);
            assertEquals("200", request(open));
            assertEquals(first, serial(open));
            // rotate: new key and certificate written in place; the poller picks them up
            Files.copy(ca.key("server2"), confDir.resolve("server-key.pem"), StandardCopyOption.REPLACE_EXISTING);
            Files.copy(ca.cert("server2"), confDir.resolve("server.pem"), StandardCopyOption.REPLACE_EXISTING);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            BigInteger seen;
            do {
                try (SSLSocket fresh = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", server.port())) {
                    fresh.setSoTimeout(20_000);
                    assertEquals("200", request(fresh));
                    seen = serial(fresh);
                }
            } while (!seen.equals(second) && System.nanoTime() < deadline);
            assertEquals(second, seen, "new connections get the new certificate");
            assertEquals("200", request(open), "the connection opened before the reload still works");
            assertEquals(first, serial(open));
        }
        // a rotation caught half-way (certificate without its key) is refused; the last good pair keeps serving
        Files.copy(ca.cert("server"), confDir.resolve("server.pem"), StandardCopyOption.REPLACE_EXISTING);
        WebSecurity.ReloadOutcome half = server.webSecurity().reload();
        assertFalse(half.ok());
        assertTrue(half.message().contains("server-key.pem does not belong to cert_file"), half.message());
        try (SSLSocket fresh = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", server.port())) {
            assertEquals("200", request(fresh));
            assertEquals(second, serial(fresh));
        }
        // a broken file: the reload fails, the configuration in force stays
        Files.writeString(confDir.resolve("web.yml"), TLS + "  bogus_key: 1\n");
        WebSecurity.ReloadOutcome o = server.webSecurity().reload();
        assertFalse(o.ok());
        assertTrue(o.message().contains("unknown key \"bogus_key\""), o.message());
        assertEquals(200, get(client(ctx), "/-/healthy").statusCode());
        String metrics = get(client(ctx), "/metrics").body();
        assertTrue(metrics.contains("tsdb_web_config_last_reload_successful 0.0"), metrics);
        // turning TLS off needs a restart
        Files.writeString(confDir.resolve("web.yml"), "");
        assertTrue(server.webSecurity().reload().message().contains("TLS cannot be turned off without a restart"));
        assertEquals(200, get(client(ctx), "/-/healthy").statusCode());
    }

    static String request(SSLSocket s) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write("GET /-/healthy HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = s.getInputStream();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) throw new IOException("closed after " + head);
            head.append((char) b);
        }
        int len = 0;
        for (String line : head.toString().split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) len = Integer.parseInt(line.substring(15).trim());
        }
        in.readNBytes(len);
        return head.substring(9, 12);
    }

    static BigInteger serial(SSLSocket s) throws IOException {
        return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSerialNumber();
    }

    @Test
    void startupRefusesABadFileNamingIt() throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> start("tls_server_config:\n  cert_file: missing.pem\n  key_file: server-key.pem\n"));
        assertTrue(e.getMessage().contains("missing.pem"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> start("basic_auth_users:\n  u: x\nbasic_auth_userz: {}\n"));
        assertTrue(e.getMessage().contains(confDir.resolve("web.yml") + ": line 3: unknown key \"basic_auth_userz\""), e.getMessage());
        server = null;
    }
}
