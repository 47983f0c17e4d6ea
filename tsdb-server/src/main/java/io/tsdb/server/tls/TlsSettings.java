package io.tsdb.server.tls;

import java.nio.file.Path;
import java.util.List;

/**
 * The validated {@code tls_server_config} of a web config file (docs/format/web-config.md): paths already
 * resolved against the file's directory.
 *
 * @param clientCaFile       PEM bundle of CAs that client certificates must chain to; null when not set
 * @param minVersion         lowest protocol, e.g. "TLSv1.2" (JDK names)
 * @param maxVersion         highest protocol, e.g. "TLSv1.3"
 * @param cipherSuites       TLS 1.2 and lower cipher suites in preference order (IANA names, which Go and the JDK
 *                           share); empty: the JDK's defaults. TLS 1.3 suites are not configurable (as in Go).
 * @param clientAllowedSans  when not empty, a verified client certificate must carry one of these SANs
 */
public record TlsSettings(Path certFile, Path keyFile, Path clientCaFile, ClientAuthType clientAuth,
                          String minVersion, String maxVersion, List<String> cipherSuites,
                          boolean preferServerCipherSuites, List<String> clientAllowedSans) {
    public TlsSettings {
        cipherSuites = List.copyOf(cipherSuites);
        clientAllowedSans = List.copyOf(clientAllowedSans);
    }

    /** The files whose content the TLS context is built from (watched for changes). */
    public List<Path> files() {
        return clientCaFile == null ? List.of(certFile, keyFile) : List.of(certFile, keyFile, clientCaFile);
    }
}
