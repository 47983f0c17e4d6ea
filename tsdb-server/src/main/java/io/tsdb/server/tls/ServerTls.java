package io.tsdb.server.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * A server TLS context built from {@link TlsSettings} with Netty's OpenSSL provider where netty-tcnative's native
 * library loads, else the JDK's ({@link #provider()}): certificate chain and PKCS#8 key
 * from PEM files, protocols min..max, TLS 1.2 cipher suites (TLS 1.3's are always on, as in Go), the client-auth
 * policy with its CA bundle, and the allowed client SANs. Immutable; {@link #newHandler} makes the handler of
 * one connection, so a reload (a new instance) affects only connections accepted after it.
 */
public final class ServerTls {
    private static final List<String> TLS13_SUITES = List.of("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256");

    private final SslContext context;
    private final boolean preferServerCipherSuites;
    private final TlsSettings settings;

    private ServerTls(SslContext context, TlsSettings settings) {
        this.context = context;
        this.settings = settings;
        this.preferServerCipherSuites = settings.preferServerCipherSuites();
    }

    /** Reads the files and builds the context; the message of a failure names the file and what is wrong. */
    public static ServerTls build(TlsSettings s) throws TlsException {
        SslContextBuilder b;
        try {
            b = SslContextBuilder.forServer(s.certFile().toFile(), s.keyFile().toFile());
        } catch (IllegalArgumentException e) {
            throw new TlsException("cert_file " + s.certFile() + " / key_file " + s.keyFile() + ": " + reason(e)
                    + " (PEM certificates, and an unencrypted PKCS#8 key: \"BEGIN PRIVATE KEY\"; convert with"
                    + " openssl pkcs8 -topk8 -nocrypt)");
        }
        checkKeyMatchesCertificate(s);
        int lo = PROTOCOLS.indexOf(s.minVersion()), hi = PROTOCOLS.indexOf(s.maxVersion());
        b.sslProvider(provider()).protocols(PROTOCOLS.subList(lo, hi + 1).toArray(String[]::new));
        if (!s.cipherSuites().isEmpty()) {
            List<String> suites = new ArrayList<>(s.cipherSuites());
            if (hi == PROTOCOLS.size() - 1) suites.addAll(TLS13_SUITES);
            b.ciphers(suites);
        }
        ClientAuthType a = s.clientAuth();
        b.clientAuth(a == ClientAuthType.NoClientCert ? ClientAuth.NONE : a.required ? ClientAuth.REQUIRE : ClientAuth.OPTIONAL);
        if (a.verified) {
            b.trustManager(new SanCheckingTrustManager(caTrustManager(s), s.clientAllowedSans()));
        } else if (a != ClientAuthType.NoClientCert) {
            b.trustManager(InsecureTrustManagerFactory.INSTANCE);   // Request/RequireAny: Go does not verify either
        }
        try {
            return new ServerTls(b.build(), s);
        } catch (SSLException | IllegalArgumentException e) {
            throw new TlsException("tls_server_config: " + reason(e));
        }
    }

    /**
     * OpenSSL (netty-tcnative's statically linked BoringSSL) where its native library loads on this platform, the
     * JDK's TLS otherwise. The system property {@code tsdb.tls.provider=jdk} forces the JDK's.
     */
    public static SslProvider provider() {
        if ("jdk".equalsIgnoreCase(System.getProperty("tsdb.tls.provider", ""))) return SslProvider.JDK;
        return OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
    }

    private static final List<String> PROTOCOLS = List.of("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3");

    /**
     * Refuses a key that does not belong to the certificate (e.g. a reload that caught a rotation half-written:
     * the new certificate with the old key would fail every handshake): the key signs a nonce that the
     * certificate's public key must verify.
     */
    private static void checkKeyMatchesCertificate(TlsSettings s) throws TlsException {
        try {
            java.security.cert.Certificate leaf;
            try (InputStream in = Files.newInputStream(s.certFile())) {
                leaf = CertificateFactory.getInstance("X.509").generateCertificate(in);
            }
            String pem = Files.readString(s.keyFile(), java.nio.charset.StandardCharsets.US_ASCII);
            int b = pem.indexOf("-----BEGIN PRIVATE KEY-----"), e = pem.indexOf("-----END PRIVATE KEY-----");
            if (b < 0 || e < b) return;   // not PKCS#8: Netty's reader reports it
            byte[] der = java.util.Base64.getMimeDecoder().decode(pem.substring(b + 27, e));
            String alg = leaf.getPublicKey().getAlgorithm();
            java.security.PrivateKey key = java.security.KeyFactory.getInstance(alg)
                    .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(der));
            String sigAlg = switch (alg) {
                case "EC" -> "SHA256withECDSA";
                case "RSA" -> "SHA256withRSA";
                default -> alg;   // Ed25519, Ed448, EdDSA
            };
            byte[] nonce = new byte[32];
            new java.security.SecureRandom().nextBytes(nonce);
            java.security.Signature sign = java.security.Signature.getInstance(sigAlg);
            sign.initSign(key);
            sign.update(nonce);
            byte[] sig = sign.sign();
            java.security.Signature verify = java.security.Signature.getInstance(sigAlg);
            verify.initVerify(leaf.getPublicKey());
            verify.update(nonce);
            if (!verify.verify(sig)) {
                throw new TlsException("key_file " + s.keyFile() + " does not belong to cert_file " + s.certFile());
            }
        } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
            // unreadable or of another type than the certificate's key: Netty's reader reports it precisely,
            // except a key of another algorithm than the certificate's, which is a mismatch
            if (e instanceof java.security.spec.InvalidKeySpecException) {
                throw new TlsException("key_file " + s.keyFile() + " does not belong to cert_file " + s.certFile()
                        + " (" + e.getMessage() + ")");
            }
        }
    }

    private static String reason(Throwable e) {
        StringBuilder b = new StringBuilder(String.valueOf(e.getMessage()));
        for (Throwable c = e.getCause(); c != null && c != e; c = c.getCause()) {
            if (c.getMessage() != null) b.append(": ").append(c.getMessage());
            if (c.getCause() == c) break;
        }
        return b.toString();
    }

    private static X509TrustManager caTrustManager(TlsSettings s) throws TlsException {
        Collection<? extends java.security.cert.Certificate> cas;
        try (InputStream in = Files.newInputStream(s.clientCaFile())) {
            cas = CertificateFactory.getInstance("X.509").generateCertificates(in);
        } catch (IOException | CertificateException e) {
            throw new TlsException("client_ca_file " + s.clientCaFile() + ": " + reason(e));
        }
        if (cas.isEmpty()) throw new TlsException("client_ca_file " + s.clientCaFile() + ": no PEM certificate in it");
        try {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            int i = 0;
            for (var c : cas) ks.setCertificateEntry("ca" + i++, c);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            for (var tm : tmf.getTrustManagers()) if (tm instanceof X509TrustManager x) return x;
            throw new TlsException("client_ca_file " + s.clientCaFile() + ": no X.509 trust manager");
        } catch (GeneralSecurityException | IOException e) {
            throw new TlsException("client_ca_file " + s.clientCaFile() + ": " + reason(e));
        }
    }

    /** The TLS handler of a newly accepted connection. */
    public SslHandler newHandler(ByteBufAllocator alloc) {
        SSLEngine engine = context.newEngine(alloc);
        SSLParameters p = engine.getSSLParameters();
        p.setUseCipherSuitesOrder(preferServerCipherSuites);
        engine.setSSLParameters(p);
        return new SslHandler(engine);
    }

    public TlsSettings settings() { return settings; }

    /** A TLS configuration that cannot be used. */
    public static final class TlsException extends Exception {
        public TlsException(String message) { super(message); }
    }

    /**
     * Verifies a client chain against the CA bundle, then (when a SAN list is configured) that the leaf carries
     * one of the allowed subject alternative names (DNS, IP, email or URI), as Prometheus's client_allowed_sans.
     */
    static final class SanCheckingTrustManager extends X509ExtendedTrustManager {
        private final X509TrustManager delegate;
        private final List<String> allowed;

        SanCheckingTrustManager(X509TrustManager delegate, List<String> allowed) {
            this.delegate = delegate;
            this.allowed = allowed;
        }

        @Override public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            delegate.checkClientTrusted(chain, authType);
            checkSans(chain);
        }

        @Override public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        @Override public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        private void checkSans(X509Certificate[] chain) throws CertificateException {
            if (allowed.isEmpty()) return;
            Collection<List<?>> sans = chain[0].getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (san.size() > 1 && san.get(1) instanceof String v && allowed.contains(v)) return;
                }
            }
            throw new CertificateException("client certificate has none of the allowed subject alternative names");
        }

        @Override public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("server-side trust manager");
        }

        @Override public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            throw new CertificateException("server-side trust manager");
        }

        @Override public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            throw new CertificateException("server-side trust manager");
        }

        @Override public X509Certificate[] getAcceptedIssuers() { return delegate.getAcceptedIssuers(); }
    }
}
