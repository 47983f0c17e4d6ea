package io.tsdb.server.tls;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;
import org.junit.jupiter.api.Test;

import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Which TLS implementation the server uses: OpenSSL where the packaged native library loads, else the JDK's. */
class ServerTlsProviderTest {
    @Test
    void openSslOnLinuxX86_64WhereTheJarCarriesItsNativeLibrary() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT), arch = System.getProperty("os.arch");
        assumeTrue(os.contains("linux") && (arch.equals("amd64") || arch.equals("x86_64")), "netty-tcnative is packaged for linux-x86_64 only");
        assertEquals(SslProvider.OPENSSL, ServerTls.provider(), () -> "OpenSSL unavailable: " + OpenSsl.unavailabilityCause());
    }

    @Test
    void theJdkWhenAsked() {
        System.setProperty("tsdb.tls.provider", "jdk");
        try {
            assertEquals(SslProvider.JDK, ServerTls.provider());
        } finally {
            System.clearProperty("tsdb.tls.provider");
        }
    }
}
