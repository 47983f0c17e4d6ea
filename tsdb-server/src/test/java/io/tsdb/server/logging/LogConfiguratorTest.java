package io.tsdb.server.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ServiceLoader;

import static org.junit.jupiter.api.Assertions.*;

/** The logging configuration in code: what it sets up, when it steps aside, and that logback finds it as a service. */
class LogConfiguratorTest {
    @Test
    void configuresJsonLinesOnStdoutAtInfoWithQuietLibraries() throws Exception {
        LoggerContext ctx = new LoggerContext();
        ctx.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());   // as logback's SLF4J provider does
        assertEquals(Configurator.ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY, LogConfigurator.configure(ctx, null));
        Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        assertEquals(Level.INFO, root.getLevel());
        assertEquals(Level.WARN, ctx.getLogger("io.netty").getLevel());
        assertEquals(Level.WARN, ctx.getLogger("net.openhft").getLevel());
        assertEquals(Level.INFO, ctx.getLogger("io.tsdb.server.Main").getEffectiveLevel());
        assertFalse(ctx.getLogger("io.netty.channel.nio").isInfoEnabled());
        Appender<ILoggingEvent> a = root.getAppender("JSON");
        ConsoleAppender<ILoggingEvent> console = assertInstanceOf(ConsoleAppender.class, a);
        assertTrue(console.isStarted());
        assertEquals("System.out", console.getTarget());
        JsonLineEncoder enc = assertInstanceOf(JsonLineEncoder.class, console.getEncoder());
        LoggingEvent e = new LoggingEvent("x", root, Level.INFO, "tsdb ready", null, null);
        e.addKeyValuePair(new org.slf4j.event.KeyValuePair("startup_ms", 42));
        String line = new String(enc.encode(e), StandardCharsets.UTF_8);
        assertTrue(line.endsWith("\n"), line);
        JsonNode j = new ObjectMapper().readTree(line);
        assertEquals("tsdb ready", j.get("msg").asText());
        assertEquals(42, j.get("startup_ms").asInt());
        assertEquals("INFO", j.get("level").asText());
    }

    @Test
    void stepsAsideForAConfigurationFile() {
        LoggerContext ctx = new LoggerContext();
        assertEquals(Configurator.ExecutionStatus.INVOKE_NEXT_IF_ANY, LogConfigurator.configure(ctx, "/etc/tsdb/logback.xml"));
        assertNull(ctx.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("JSON"));
        assertNull(ctx.getLogger("io.netty").getLevel());
    }

    @Test
    void logbackFindsItAsAService() {
        assertTrue(ServiceLoader.load(Configurator.class).stream().anyMatch(p -> p.type() == LogConfigurator.class));
    }
}
