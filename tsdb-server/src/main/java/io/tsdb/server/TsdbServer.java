package io.tsdb.server;

import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.tsdb.core.Storage;
import io.tsdb.query.engine.QueryEngine;
import io.tsdb.server.auth.WebConfig;
import io.tsdb.server.auth.WebSecurity;
import io.tsdb.server.http.NettyHttpServer;
import io.tsdb.server.http.Router;
import io.tsdb.server.http.ServerState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * The server's lifecycle. {@link #start()}: bind the HTTP port (ops endpoints answer at once, everything else
 * 503 + Retry-After), open storage, create the query engine, register the features, become ready.
 * {@link #stop()} (SIGTERM): not ready, stop accepting, finish in-flight requests (bounded by
 * {@link ServerConfig#shutdownTimeout}), close features that are {@link AutoCloseable}, flush and close
 * storage, close the event loops.
 *
 * <p>Tests start it in-process: {@code TsdbServer.builder(cfg).storage(StorageFactory.of(mem)).start()}
 * with {@code cfg.listenPort = 0}, then {@link #port()}.
 */
public final class TsdbServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TsdbServer.class);
    public static final String VERSION = BuildInfo.VERSION;

    public static final class Builder {
        private final ServerConfig config;
        private StorageFactory storage = Defaults.storage();
        private EngineFactory engine = Defaults.engine();
        private boolean defaultEngine = true;
        private List<Feature> features;
        private PrometheusRegistry registry;

        private Builder(ServerConfig config) { this.config = config; }

        public Builder storage(StorageFactory f) { this.storage = f; return this; }
        public Builder engine(EngineFactory f) { this.engine = f; this.defaultEngine = false; return this; }
        /** Features to register (default: {@link Defaults#features()}). */
        public Builder features(List<Feature> f) { this.features = List.copyOf(f); return this; }
        public Builder features(Feature... f) { return features(List.of(f)); }
        /** The metrics registry (default: a fresh one with JVM metrics). */
        public Builder registry(PrometheusRegistry r) { this.registry = r; return this; }

        /** Builds and starts the server; returns once it is ready (or throws and leaves nothing running). */
        public TsdbServer start() throws IOException {
            var step = io.tsdb.core.StartupSteps.begin("server-init");
            TsdbServer s = new TsdbServer(this);
            step.end();
            s.start();
            return s;
        }
    }

    public static Builder builder(ServerConfig config) { return new Builder(config); }

    private final ServerConfig config;
    private final StorageFactory storageFactory;
    private final EngineFactory engineFactory;
    private final boolean warmUp;
    private final List<Feature> features;
    private final PrometheusRegistry registry;
    /**
     * Done once the JVM metrics are registered. Loading the JMX beans they read costs about 0.2 s of CPU, so they
     * register on a background thread started at the earlier of ready and the first {@code /metrics} scrape
     * ({@link #jvmMetrics()}), not during the start-up they would compete with for the CPU.
     */
    private final java.util.concurrent.CompletableFuture<Void> jvmMetrics;
    private final java.util.concurrent.atomic.AtomicBoolean jvmMetricsStarted = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile io.tsdb.server.launcher.HeapTrimmer heapTrimmer;
    private final Router router = new Router();
    private final NettyHttpServer http;
    /** --web.config.file (TLS, credentials), or null. */
    private final WebSecurity security;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile Storage storage;
    private volatile ServerContext context;
    private volatile boolean ready;
    private QueryEngine warmupEngine;
    private boolean stopping;

    private TsdbServer(Builder b) {
        this.config = b.config;
        this.storageFactory = b.storage;
        this.engineFactory = b.engine;
        this.warmUp = b.defaultEngine;
        this.features = b.features != null ? b.features : Defaults.features();
        if (b.registry != null) {
            this.registry = b.registry;
            this.jvmMetrics = java.util.concurrent.CompletableFuture.completedFuture(null);
            jvmMetricsStarted.set(true);
        } else {
            this.registry = new PrometheusRegistry();
            this.jvmMetrics = new java.util.concurrent.CompletableFuture<>();
        }
        Info buildInfo = Info.builder().name("tsdb_build_info").help("Build information.")
                .labelNames("version").register(registry);
        buildInfo.addLabelValues(VERSION);
        registry.register(new StorageMetrics(() -> storage));
        registry.register(new TsdbCollector(() -> storage));
        if (config.webConfigFile != null) {
            try {
                this.security = WebSecurity.load(config.webConfigFile, registry);
            } catch (WebConfig.WebConfigException e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
        } else {
            this.security = null;
        }
        this.http = new NettyHttpServer(new NettyHttpServer.Options(config.listenHost, config.listenPort,
                config.maxBodyBytes, config.httpWorkers, config.httpMaxQueuedRequests, config.corsOrigin,
                config.httpIdleTimeout, config.tenantDefault, config.logAccess), router, registry, security);
    }

    private void start() throws IOException {
        long t0 = System.nanoTime();
        // Storage opens on its own thread while the port is bound (both mostly class loading and initialisation
        // at a first start; the WAL replay of a restart after a crash runs while /-/healthy already answers).
        java.util.concurrent.CompletableFuture<Storage> opening = new java.util.concurrent.CompletableFuture<>();
        daemon("tsdb-storage-open", () -> {
            try {
                var step = io.tsdb.core.StartupSteps.begin("storage-open");
                opening.complete(storageFactory.open(config));
                step.end();
            } catch (Throwable e) {
                opening.completeExceptionally(e);
            }
        }).start();
        OpsEndpoints.register(router, registry, this::isReady, this::jvmMetrics, this::writeRefusal);
        var bind = io.tsdb.core.StartupSteps.begin("http-bind");
        try {
            http.start();
            bind.end();
        } catch (Exception e) {
            http.close();
            opening.thenAccept(TsdbServer::closeQuietly);
            throw new IOException("cannot listen on " + config.listenHost + ":" + config.listenPort + ": " + e.getMessage(), e);
        }
        log.atInfo().addKeyValue("listen", config.listenHost + ":" + http.port())
                .addKeyValue("transport", NettyHttpServer.transport())
                .addKeyValue("tls", security != null && security.tls() != null
                        ? io.tsdb.server.tls.ServerTls.provider().name().toLowerCase(java.util.Locale.ROOT) : "off")
                .addKeyValue("auth", security != null && security.authenticator() != null).log("listening");
        if (security != null) security.watch(config.webConfigPollInterval);
        try {
            var wait = io.tsdb.core.StartupSteps.begin("await-storage");
            storage = awaitStorage(opening);
            wait.end();
            var engineStep = io.tsdb.core.StartupSteps.begin("engine");
            SlowQueryLog slowQueries = new SlowQueryLog(ServerContext.SLOW_QUERY_THRESHOLD_MS, 50);
            QueryEngine raw = engineFactory.create(storage, config);
            QueryEngine engine = slowQueries.wrap(raw);
            if (warmUp) warmupEngine = raw;
            context = new ServerContext(config, storage, engine, registry, this::isReady, new MetadataStore(),
                    new WriteEvents(), slowQueries, ServerContext.tenants(storage, config, registry, slowQueries, engineFactory));
            engineStep.end();
            for (Feature f : features) {
                var step = io.tsdb.core.StartupSteps.begin(f.getClass().getSimpleName());
                f.register(router, context);
                step.end();
                log.atInfo().addKeyValue("feature", f.getClass().getName()).log("feature registered");
            }
            registerReload();
            if (config.tenantLimitsFile != null) watchLimits();
        } catch (IOException | RuntimeException e) {
            if (e instanceof io.tsdb.core.StorageUnavailableException) log.atError().log("start-up failed: " + e.getMessage());
            else log.atError().setCause(e).log("start-up failed");
            http.close();
            closeStorage();
            if (security != null) security.close();
            stopped.countDown();
            throw e;
        }
        http.setState(ServerState.RUNNING);
        ready = true;
        jvmMetrics();
        heapTrimmer = io.tsdb.server.launcher.HeapTrimmer.startIfEnabled(() -> storage);
        if (warmupEngine != null) Warmup.start(warmupEngine, Defaults.queryOptions(config));
        long uptime = jvmUptimeMillis();
        long sinceMain = io.tsdb.core.StartupSteps.sinceOriginMillis();
        long cpu = io.tsdb.core.StartupSteps.processCpuMillis();
        log.atInfo().addKeyValue("port", http.port()).addKeyValue("data", config.dataDir.toString())
                .addKeyValue("startup_ms", (System.nanoTime() - t0) / 1_000_000)
                .addKeyValue("jvm_uptime_ms", uptime).addKeyValue("cpu_ms", cpu).addKeyValue("version", VERSION)
                .log("tsdb ready");
        logSteps(uptime - sinceMain);
    }

    /**
     * {@code POST /-/reload}: every configuration file ({@link #reload}: web config, tenant limits, rule files), when
     * {@code --web.enable-lifecycle} is set (403 otherwise) and for the default tenant (403 for another: it changes
     * every tenant's configuration); 400 naming what failed, the previous configuration of that part staying in force.
     */
    private void registerReload() {
        router.add(java.util.Set.of("POST", "PUT"), "/-/reload", "/-/reload", req -> {
            if (!config.enableLifecycle) {
                return io.tsdb.server.http.Response.text(403, "Lifecycle API is not enabled (start with --web.enable-lifecycle).\n");
            }
            if (!req.tenant().isDefault()) {
                throw new io.tsdb.server.http.HttpError(403, "/-/reload changes every tenant's configuration: it needs the"
                        + " default tenant (\"" + config.tenantDefault + "\")");
            }
            Reloadable.Outcome o = reload();
            return o.ok() ? io.tsdb.server.http.Response.text(200, o.message() + "\n")
                    : io.tsdb.server.http.Response.text(400, "failed to reload, the previous configuration of the failed part"
                    + " stays in force: " + o.message() + "\n");
        });
    }

    /** Polls --tenant.limits-file every --web.config.poll-interval and reloads it when its content changed. */
    private void watchLimits() {
        java.util.concurrent.ScheduledExecutorService w = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
                r -> daemon("tsdb-tenant-limits-watch", r));
        long ms = Math.max(10, config.webConfigPollInterval.toMillis());
        w.scheduleWithFixedDelay(() -> {
            try {
                context.tenants().limiter().reload(true);
            } catch (RuntimeException e) {
                log.atError().setCause(e).log("tenant limits watch failed");
            }
        }, ms, ms, java.util.concurrent.TimeUnit.MILLISECONDS);
        limitsWatcher = w;
    }

    private volatile java.util.concurrent.ScheduledExecutorService limitsWatcher;

    /** Starts registering the JVM metrics unless started already; done when they are registered. */
    private java.util.concurrent.CompletableFuture<Void> jvmMetrics() {
        if (jvmMetricsStarted.compareAndSet(false, true)) {
            daemon("tsdb-jvm-metrics", () -> {
                try {
                    JvmMetrics.builder().register(registry);
                    jvmMetrics.complete(null);
                } catch (Throwable e) {
                    log.atWarn().setCause(e).log("JVM metrics not registered");
                    jvmMetrics.completeExceptionally(e);
                }
            }).start();
        }
        return jvmMetrics;
    }

    /**
     * Logs the start-up's steps ({@link io.tsdb.core.StartupSteps}: thread, start after main, wall and CPU ms each) as one
     * line, a second after ready, so that work moved after ready is in it too; {@code main_ms} is the JVM's time
     * before main.
     */
    private void logSteps(long mainMs) {
        daemon("tsdb-startup-steps", () -> {
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
            log.atInfo().addKeyValue("main_ms", mainMs).addKeyValue("steps", String.join(" ", io.tsdb.core.StartupSteps.steps()))
                    .log("start-up steps");
            io.tsdb.core.StartupSteps.close();
        }).start();
    }

    /** Milliseconds since the JVM was created (logged when ready: the whole start inside the JVM). */
    private static long jvmUptimeMillis() {
        return java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime();
    }

    private static Thread daemon(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    private static Storage awaitStorage(java.util.concurrent.CompletableFuture<Storage> opening) throws IOException {
        try {
            return opening.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            opening.thenAccept(TsdbServer::closeQuietly);
            throw new IOException("interrupted while opening storage", e);
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) throw io;
            if (c instanceof RuntimeException re) throw re;
            if (c instanceof Error err) throw err;
            throw new IOException(c);
        }
    }

    private static void closeQuietly(Storage s) {
        try {
            s.close();
        } catch (Exception e) {
            log.atWarn().setCause(e).log("closing storage after a failed start failed");
        }
    }

    public int port() { return http.port(); }

    /** http://127.0.0.1:PORT, or https:// when TLS is on (for tests and tools). */
    public String baseUrl() { return (security != null && security.tls() != null ? "https" : "http") + "://127.0.0.1:" + port(); }

    /** The web configuration in force (TLS, credentials), or null without --web.config.file. */
    public WebSecurity webSecurity() { return security; }

    public boolean isReady() { return ready; }

    /** Why storage refuses writes right now (after a storage error), or null. */
    public String writeRefusal() {
        Storage s = storage;
        return s == null ? null : s.writeRefusal();
    }

    public ServerContext context() { return context; }

    public Router router() { return router; }

    public PrometheusRegistry registry() { return registry; }

    /**
     * Reloads the configuration files of every {@link Reloadable} feature (SIGHUP); a failed reload keeps the
     * previous configuration and is reported in the outcome (and logged by the feature).
     */
    public Reloadable.Outcome reload() {
        if (!ready) return new Reloadable.Outcome(false, "not ready");
        boolean ok = true;
        StringBuilder msg = new StringBuilder();
        if (security != null) {
            WebSecurity.ReloadOutcome w = security.reload();
            ok = w.ok();
            msg.append(w.message());
        }
        if (context != null && config.tenantLimitsFile != null) {
            Reloadable.Outcome l = context.tenants().limiter().reload(false);
            ok &= l.ok();
            if (msg.length() > 0) msg.append("; ");
            msg.append(l.message());
        }
        for (Feature f : features) {
            if (!(f instanceof Reloadable r)) continue;
            Reloadable.Outcome o = r.reload();
            ok &= o.ok();
            if (msg.length() > 0) msg.append("; ");
            msg.append(o.message());
        }
        return new Reloadable.Outcome(ok, msg.length() == 0 ? "nothing to reload" : msg.toString());
    }

    /** Graceful stop; idempotent; safe to call from a signal handler or shutdown hook. */
    public void stop() {
        synchronized (this) {
            if (stopping) {
                awaitStopped();
                return;
            }
            stopping = true;
        }
        long t0 = System.nanoTime();
        log.info("stopping: no longer ready, finishing in-flight requests");
        ready = false;
        http.setState(ServerState.STOPPING);
        http.stopAccepting();
        try {
            if (!http.awaitInFlight(config.shutdownTimeout)) {
                log.atWarn().addKeyValue("timeout", config.shutdownTimeout.toString())
                        .log("in-flight requests did not finish in time; closing anyway");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<Feature> reversed = new ArrayList<>(features);
        java.util.Collections.reverse(reversed);
        for (Feature f : reversed) {
            if (f instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception e) {
                    log.atWarn().setCause(e).addKeyValue("feature", f.getClass().getName()).log("feature close failed");
                }
            }
        }
        if (heapTrimmer != null) heapTrimmer.close();
        closeStorage();
        http.close();
        if (security != null) security.close();
        if (limitsWatcher != null) limitsWatcher.shutdownNow();
        log.atInfo().addKeyValue("shutdown_ms", (System.nanoTime() - t0) / 1_000_000).log("stopped");
        stopped.countDown();
    }

    private void closeStorage() {
        Storage s = storage;
        if (s == null) return;
        try {
            s.close();
            log.info("storage flushed and closed");
        } catch (Exception e) {
            log.atError().setCause(e).log("closing storage failed");
        }
    }

    /** Blocks until {@link #stop()} has completed. */
    public void awaitStopped() {
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override public void close() { stop(); }
}
