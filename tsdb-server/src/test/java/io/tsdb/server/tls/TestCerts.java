package io.tsdb.server.tls;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Test certificates made at test time by the openssl command (a child process; keytool works too but starts a
 * JVM per step, seconds each on a loaded machine): a CA, and server or client certificates it signs, as PEM
 * certificates and unencrypted PKCS#8 PEM keys, the files a web config names. EC P-256 keys, valid for three days.
 */
public final class TestCerts {
    public final Path dir;
    public final Path caCert;

    private TestCerts(Path dir) {
        this.dir = dir;
        this.caCert = dir.resolve("ca.pem");
    }

    /** A new self-signed CA (named {@code cn}) in {@code dir}. */
    public static TestCerts newCa(Path dir, String cn) throws IOException, InterruptedException {
        TestCerts t = new TestCerts(dir);
        openssl(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "ca-key.pem", "-out", "ca.pem", "-subj", "/CN=" + cn, "-days", "3",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        return t;
    }

    /**
     * Issues {@code name}.pem and {@code name}-key.pem signed by this CA.
     *
     * @param san e.g. {@code DNS:localhost,IP:127.0.0.1}
     */
    public Path issue(String name, String cn, String san, boolean server) throws IOException, InterruptedException {
        openssl(dir, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", name + "-key.pem", "-out", name + ".csr", "-subj", "/CN=" + cn);
        Path ext = dir.resolve(name + ".ext");
        Files.writeString(ext, "subjectAltName=" + san + "\nextendedKeyUsage=" + (server ? "serverAuth" : "clientAuth") + "\n");
        openssl(dir, "x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial",
                "-out", name + ".pem", "-days", "3", "-extfile", ext.toString());
        return cert(name);
    }

    public Path cert(String name) { return dir.resolve(name + ".pem"); }

    public Path key(String name) { return dir.resolve(name + "-key.pem"); }

    private static void openssl(Path dir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add("openssl");
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("openssl " + String.join(" ", args) + " failed: " + out);
        }
    }

    public static X509Certificate x509(Path pem) throws Exception {
        try (InputStream in = Files.newInputStream(pem)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    static PrivateKey privateKey(Path pem) throws Exception {
        String b64 = Files.readString(pem).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(b64)));
    }

    /** A client TLS context trusting this CA, presenting {@code clientName}'s certificate (null: none). */
    public SSLContext clientContext(String clientName) throws Exception {
        return clientContext(clientName, caCert);
    }

    /** A client TLS context trusting {@code trustedCa}, presenting this CA's {@code clientName} (null: none). */
    public SSLContext clientContext(String clientName, Path trustedCa) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", x509(trustedCa));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        KeyManagerFactory kmf = null;
        if (clientName != null) {
            KeyStore chain = KeyStore.getInstance("PKCS12");
            chain.load(null, null);
            chain.setKeyEntry("c", privateKey(key(clientName)), "x".toCharArray(),
                    new Certificate[]{x509(cert(clientName)), x509(caCert)});
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(chain, "x".toCharArray());
        }
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ctx;
    }
}
