package io.tsdb.server.auth;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.tsdb.server.tls.ServerTls;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The server's current web configuration ({@code --web.config.file}): TLS context, authenticator and response
 * headers, reloaded when the file or a file it names changes (polled), on SIGHUP and on {@code /-/reload}.
 * <p>Invariants: {@link #state} is replaced whole (one volatile write) by a reload that parsed the file and built
 * every part; readers take one snapshot and never see a mix of two configurations. A failed reload leaves the
 * previous state serving (and is logged and shown in {@code tsdb_web_config_last_reload_successful}). Whether
 * TLS is on cannot change without a restart (the port's protocol would change under its clients). Reloads are
 * serialized by {@code synchronized}; readers take no lock. Connections already open keep the TLS session they
 * negotiated: only new connections see a new certificate.
 */
public final class WebSecurity implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WebSecurity.class);

    /** One loaded configuration and the file contents it was built from. */
    private record State(WebConfig config, Authenticator auth, ServerTls tls, byte[] fingerprint) {}

    /** The outcome of a reload: whether the configuration in force is the file's content now, and what happened. */
    public record ReloadOutcome(boolean ok, boolean changed, String message) {}

    private final Path file;
    private volatile State state;
    private final Counter failures;
    private final Gauge reloadOk;
    private final Gauge reloadTime;
    private ScheduledExecutorService watcher;

    private WebSecurity(Path file, State initial, PrometheusRegistry registry) {
        this.file = file;
        this.state = initial;
        this.failures = Counter.builder().name("tsdb_http_auth_failures_total")
                .help("HTTP requests refused for missing or invalid credentials, by reason.")
                .labelNames("reason").register(registry);
        for (Authenticator.Failure f : Authenticator.Failure.values()) failures.labelValues(f.name());
        this.reloadOk = Gauge.builder().name("tsdb_web_config_last_reload_successful")
                .help("Whether the last reload of --web.config.file succeeded (1) or kept the previous configuration (0).")
                .register(registry);
        this.reloadTime = Gauge.builder().name("tsdb_web_config_last_reload_success_timestamp_seconds")
                .help("When --web.config.file was last loaded successfully.").register(registry);
        reloadOk.set(1);
        reloadTime.set(System.currentTimeMillis() / 1000.0);
    }

    /** Loads the file at start-up; any problem is fatal (the message names the file and key). */
    public static WebSecurity load(Path file, PrometheusRegistry registry) throws WebConfig.WebConfigException {
        return new WebSecurity(file, build(file), registry);
    }

    private static State build(Path file) throws WebConfig.WebConfigException {
        byte[] text = read(file);
        if (text == null) throw new WebConfig.WebConfigException("web config " + file + ": cannot read the file");
        WebConfig c = WebConfig.parse(file, new String(text, StandardCharsets.UTF_8));
        // the fingerprint is taken before the named files are read: a change after it shows at the next poll
        byte[] fp = fingerprint(text, c);
        ServerTls tls = null;
        if (c.tls() != null) {
            try {
                tls = ServerTls.build(c.tls());
            } catch (ServerTls.TlsException e) {
                throw new WebConfig.WebConfigException("web config " + file + ": " + e.getMessage());
            }
        }
        Authenticator auth = c.authEnabled() ? new Authenticator(c) : null;
        return new State(c, auth, tls, fp);
    }

    private static byte[] read(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            return null;
        }
    }

    /** SHA-256 over the config text and the files the configuration names (a missing file counts too). */
    private static byte[] fingerprint(byte[] text, WebConfig c) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(text == null ? new byte[]{1} : text);
            if (c.tls() != null) {
                for (Path p : c.tls().files()) {
                    byte[] b = read(p);
                    d.update((byte) 0);
                    d.update(b == null ? new byte[]{1} : b);
                }
            }
            return d.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The TLS context for new connections, or null for plain HTTP. */
    public ServerTls tls() { return state.tls(); }

    /** The authenticator, or null when no user or token is configured. */
    public Authenticator authenticator() { return state.auth(); }

    /** Identity -> tenants it may use ({@code tsdb_tenants}); identities not listed use the default tenant. */
    public Map<String, java.util.List<String>> tenantGrants() { return state.config().tenantGrants(); }

    /** Response headers to add to every answer ({@code http_server_config.headers}). */
    public Map<String, String> headers() { return state.config().headers(); }

    public Path file() { return file; }

    /** Re-reads the files when their content changed since the configuration in force was built. */
    public synchronized ReloadOutcome reloadIfChanged() {
        State s = state;
        if (Arrays.equals(s.fingerprint(), fingerprint(read(file), s.config()))) {
            return new ReloadOutcome(true, false, "web config " + file + ": unchanged");
        }
        return reload();
    }

    /** Re-reads the file and the files it names; on failure the previous configuration stays. */
    public synchronized ReloadOutcome reload() {
        State old = state;
        try {
            State next = build(file);
            if ((next.tls() == null) != (old.tls() == null)) {
                throw new WebConfig.WebConfigException("web config " + file + ": TLS cannot be turned "
                        + (next.tls() == null ? "off" : "on") + " without a restart");
            }
            state = next;
            reloadOk.set(1);
            reloadTime.set(System.currentTimeMillis() / 1000.0);
            log.atInfo().addKeyValue("file", file).addKeyValue("tls", next.tls() != null)
                    .addKeyValue("users", next.config().basicAuthUsers().size())
                    .addKeyValue("tokens", next.config().bearerTokens().size()).log("web config loaded");
            return new ReloadOutcome(true, true, "web config " + file + ": reloaded");
        } catch (WebConfig.WebConfigException | RuntimeException e) {
            reloadOk.set(0);
            log.atError().addKeyValue("file", file).addKeyValue("err", e.getMessage())
                    .log("web config reload failed; the previous configuration stays in force");
            return new ReloadOutcome(false, false, e.getMessage());
        }
    }

    /** Polls the files every {@code interval} and reloads when they changed. */
    public synchronized void watch(Duration interval) {
        if (watcher != null) return;
        watcher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tsdb-web-config-watch");
            t.setDaemon(true);
            return t;
        });
        long ms = Math.max(10, interval.toMillis());
        watcher.scheduleWithFixedDelay(() -> {
            try {
                reloadIfChanged();
            } catch (RuntimeException e) {
                log.atError().setCause(e).log("web config watch failed");
            }
        }, ms, ms, TimeUnit.MILLISECONDS);
    }

    /**
     * Counts and logs a refused request: client address, reason and the claimed user name (printable, at most
     * 64 characters); never the password or token.
     */
    public void refused(Authenticator.Outcome o, String remote, String method, String path, String requestId) {
        failures.labelValues(o.failure().name()).inc();
        var b = log.atWarn().addKeyValue("remote", remote).addKeyValue("reason", o.failure().name())
                .addKeyValue("method", method).addKeyValue("path", path).addKeyValue("request_id", requestId);
        if (o.user() != null) b = b.addKeyValue("user", printable(o.user()));
        b.log("authentication failed");
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().limit(64).forEach(c -> b.append(c < 0x20 || c == 0x7f ? '?' : Character.toString(c)));
        return b.toString();
    }

    @Override
    public synchronized void close() {
        if (watcher != null) watcher.shutdownNow();
    }
}
