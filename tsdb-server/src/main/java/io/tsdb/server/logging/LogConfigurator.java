package io.tsdb.server.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import ch.qos.logback.core.status.NopStatusListener;

/**
 * The server's logging configuration, in code: one JSON object per line on stdout ({@link JsonLineEncoder}), the
 * root logger at INFO (the {@code --log.level} flag changes it), {@code io.netty} and {@code net.openhft} at WARN
 * ({@code net.openhft.affinity} at ERROR),
 * logback's own status messages off. Logback finds this class as a service
 * ({@code META-INF/services/ch.qos.logback.classic.spi.Configurator}) before it looks for XML files; configuring
 * in code skips Joran, whose XML parser set-up and rule tables were a tenth of the CPU of a server start.
 *
 * <p>It steps aside, and logback goes on with its usual search, when {@code -Dlogback.configurationFile} names
 * a file: an operator's own format or destination (docs/operations.md, "Logs"), or the tests' quieter
 * {@code logback-test.xml} (tsdb-server's surefire and failsafe configuration sets the property).
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_NORMAL_PRIORITY)
public final class LogConfigurator extends ContextAwareBase implements Configurator {
    /** The system property naming an operator's logback configuration file. */
    static final String CONFIG_FILE_PROPERTY = "logback.configurationFile";

    @Override
    public ExecutionStatus configure(LoggerContext ctx) {
        return configure(ctx, System.getProperty(CONFIG_FILE_PROPERTY));
    }

    /** As {@link #configure(LoggerContext)} with {@code configFile} the value of {@link #CONFIG_FILE_PROPERTY}. */
    static ExecutionStatus configure(LoggerContext ctx, String configFile) {
        if (configFile != null) return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        apply(ctx);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /** Configures {@code ctx} as described above. */
    static void apply(LoggerContext ctx) {
        NopStatusListener quiet = new NopStatusListener();
        ctx.getStatusManager().add(quiet);

        JsonLineEncoder encoder = new JsonLineEncoder();
        encoder.setContext(ctx);
        encoder.start();
        ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
        console.setContext(ctx);
        console.setName("JSON");
        console.setEncoder(encoder);
        console.start();

        ctx.getLogger("io.netty").setLevel(Level.WARN);
        ctx.getLogger("net.openhft").setLevel(Level.WARN);
        // Chronicle Core probes thread affinity when it initialises; without JNA (left out of the build: it is used
        // for nothing else, and loading it cost every start) the probe warns twice that it falls back to no affinity.
        ctx.getLogger("net.openhft.affinity").setLevel(Level.ERROR);
        Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(console);
    }
}
