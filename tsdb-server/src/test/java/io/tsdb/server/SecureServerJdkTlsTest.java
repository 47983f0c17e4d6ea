package io.tsdb.server;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link SecureServerTest}'s cases with the JDK's TLS, the provider of platforms where netty-tcnative's native
 * library does not load (the jar carries it for linux-x86_64 only).
 */
class SecureServerJdkTlsTest extends SecureServerTest {
    @BeforeAll
    static void jdkProvider() { System.setProperty("tsdb.tls.provider", "jdk"); }

    @AfterAll
    static void restore() { System.clearProperty("tsdb.tls.provider"); }
}
