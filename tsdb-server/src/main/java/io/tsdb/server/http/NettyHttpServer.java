package io.tsdb.server.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.compression.StandardCompressionOptions;
import io.netty.handler.codec.http.HttpContentCompressor;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.tsdb.server.auth.WebSecurity;
import io.tsdb.server.tls.ServerTls;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP/1.1 server: Netty event loops parse and aggregate requests (bodies up to {@code maxBodyBytes},
 * 413 beyond), handlers run on a bounded worker pool (429 + Retry-After when its queue is full), keep-alive,
 * and a lifecycle state that answers 503 + Retry-After while starting or stopping.
 */
public final class NettyHttpServer implements AutoCloseable {
    /**
     * @param workers      handler threads
     * @param maxQueued    requests waiting for a worker before new ones get 429
     * @param idleTimeout  idle keep-alive connections are closed after this long
     * @param accessLog    one access-log line per request ({@code --log.access})
     */
    public record Options(String host, int port, long maxBodyBytes, int workers, int maxQueued,
                          String corsOrigin, Duration idleTimeout, String defaultTenant, boolean accessLog) {
        /** Without the access log (its default). */
        public Options(String host, int port, long maxBodyBytes, int workers, int maxQueued,
                       String corsOrigin, Duration idleTimeout, String defaultTenant) {
            this(host, port, maxBodyBytes, workers, maxQueued, corsOrigin, idleTimeout, defaultTenant, false);
        }
    }

    private final Options options;
    private final Router router;
    private final HttpMetrics metrics;
    private final ThreadPoolExecutor workers;
    private final ChannelGroup channels = new DefaultChannelGroup("tsdb-http", GlobalEventExecutor.INSTANCE);
    private volatile ServerState state = ServerState.STARTING;
    private EventLoopGroup boss;
    private EventLoopGroup io;
    private Channel serverChannel;
    private HttpDispatcher dispatcher;

    /** TLS and authentication from --web.config.file; null: plain HTTP, no credentials. */
    private final WebSecurity security;

    public NettyHttpServer(Options options, Router router, PrometheusRegistry registry) {
        this(options, router, registry, null);
    }

    public NettyHttpServer(Options options, Router router, PrometheusRegistry registry, WebSecurity security) {
        this.security = security;
        this.options = options;
        this.router = router;
        this.metrics = new HttpMetrics(registry, options.accessLog());
        this.workers = new ThreadPoolExecutor(options.workers(), options.workers(), 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(Math.max(1, options.maxQueued())),
                new DefaultThreadFactory("tsdb-http-worker", true));
        GaugeWithCallback.builder().name("tsdb_http_worker_queue_length")
                .help("HTTP requests waiting for a worker thread.")
                .callback(cb -> cb.call(workers.getQueue().size())).register(registry);
    }

    /** Binds the port; the server answers ops endpoints at once and everything else once {@link #setState} RUNNING. */
    public synchronized void start() throws InterruptedException {
        boolean epoll = epoll();
        boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("tsdb-http-accept", true),
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        io = new MultiThreadIoEventLoopGroup(0, new DefaultThreadFactory("tsdb-http-io", true),
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        dispatcher = new HttpDispatcher(router, workers, metrics, () -> state,
                options.maxBodyBytes(), options.corsOrigin(), security, options.defaultTenant());
        int maxBody = (int) Math.min(Integer.MAX_VALUE, Math.max(0, options.maxBodyBytes()));
        long idleSeconds = Math.max(1, options.idleTimeout().toSeconds());
        ServerBootstrap b = new ServerBootstrap()
                .group(boss, io)
                .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        channels.add(ch);
                        ServerTls tls = security == null ? null : security.tls();   // the current one: reloads reach new connections
                        if (tls != null) ch.pipeline().addLast("tls", tls.newHandler(ch.alloc()));
                        ch.pipeline()
                                .addLast("idle", new IdleStateHandler(0, 0, idleSeconds, TimeUnit.SECONDS) {
                                    @Override
                                    protected void channelIdle(io.netty.channel.ChannelHandlerContext ctx,
                                                               io.netty.handler.timeout.IdleStateEvent evt) {
                                        ctx.close();
                                    }
                                })
                                .addLast("codec", new HttpServerCodec(16 * 1024, 64 * 1024, 64 * 1024))
                                // gzip/deflate responses of 1 KiB or more when the client accepts it
                                // (responses that already carry a Content-Encoding pass through).
                                .addLast("compress", new HttpContentCompressor(1024,
                                        StandardCompressionOptions.gzip(), StandardCompressionOptions.deflate()))
                                .addLast("aggregator", new LimitedAggregator(maxBody, dispatcher))
                                .addLast("dispatch", dispatcher)
                                .addLast("errors", CLOSE_ON_ERROR);
                    }
                });
        serverChannel = b.bind(new InetSocketAddress(options.host(), options.port())).sync().channel();
    }

    /** The system property that turns the epoll transport off ({@code -Dtsdb.http.epoll=false}: NIO). */
    static final String EPOLL_PROPERTY = "tsdb.http.epoll";

    /**
     * Whether connections use Netty's epoll transport: on Linux where its native library loads, unless
     * {@code -Dtsdb.http.epoll=false}; Java NIO otherwise. Same behaviour, fewer system calls and less work per
     * request (docs/benchmarks.md, "Small queries").
     */
    static boolean epoll() {
        return !"false".equalsIgnoreCase(System.getProperty(EPOLL_PROPERTY)) && Epoll.isAvailable();
    }

    /** The transport connections use: "epoll" or "nio". */
    public static String transport() { return epoll() ? "epoll" : "nio"; }

    /**
     * Last in the pipeline: a failed TLS handshake (no client certificate, untrusted CA, plain HTTP sent to the
     * TLS port) or a reset connection closes the connection, logged at debug (clients cause them, not bugs).
     */
    private static final io.netty.channel.ChannelHandler CLOSE_ON_ERROR = new ErrorCloser();

    @io.netty.channel.ChannelHandler.Sharable
    private static final class ErrorCloser extends io.netty.channel.ChannelInboundHandlerAdapter {
        private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(NettyHttpServer.class);

        @Override
        public void exceptionCaught(io.netty.channel.ChannelHandlerContext ctx, Throwable cause) {
            log.atDebug().addKeyValue("remote", NettyRequest.formatAddress(ctx.channel().remoteAddress()))
                    .addKeyValue("err", String.valueOf(cause.getMessage())).log("connection failed");
            ctx.close();
        }
    }

    /** The bound port (useful when configured as 0). */
    public int port() { return ((InetSocketAddress) serverChannel.localAddress()).getPort(); }

    public ServerState state() { return state; }

    public void setState(ServerState s) { state = s; }

    /** Stops accepting connections; open connections get 503 for new non-ops requests once STOPPING. */
    public synchronized void stopAccepting() {
        if (serverChannel != null) serverChannel.close().syncUninterruptibly();
    }

    /**
     * Waits until every accepted request has been handled and its response written to the socket (closing
     * the event loops earlier would drop responses still queued for writing); true when all finished
     * within the timeout.
     */
    public boolean awaitInFlight(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        workers.shutdown();
        if (!workers.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)) return false;
        while (dispatcher != null && dispatcher.unanswered() > 0) {
            if (System.nanoTime() > deadline) return false;
            Thread.sleep(2);
        }
        return true;
    }

    /** Closes connections and event loops (after letting queued responses be written). */
    @Override
    public synchronized void close() {
        state = ServerState.STOPPING;
        stopAccepting();
        workers.shutdownNow();
        if (io != null) {
            io.shutdownGracefully(50, 3000, TimeUnit.MILLISECONDS).syncUninterruptibly();
            channels.close().syncUninterruptibly();
        }
        if (boss != null) boss.shutdownGracefully(0, 1000, TimeUnit.MILLISECONDS).syncUninterruptibly();
    }
}
