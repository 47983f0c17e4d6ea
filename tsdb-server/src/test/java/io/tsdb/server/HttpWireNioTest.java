package io.tsdb.server;

import io.tsdb.server.http.NettyHttpServer;
import org.junit.jupiter.api.BeforeEach;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link HttpWireTest}'s wire checks on the Java NIO transport ({@code -Dtsdb.http.epoll=false}): on Linux the server
 * uses Netty's epoll transport where its native library loads, so the other tests no longer cover NIO, which the
 * server uses everywhere else.
 */
class HttpWireNioTest extends HttpWireTest {
    @BeforeEach
    @Override
    void start() throws Exception {
        System.setProperty("tsdb.http.epoll", "false");
        try {
            assertEquals("nio", NettyHttpServer.transport());
            super.start();
        } finally {
            System.clearProperty("tsdb.http.epoll");
        }
    }
}
