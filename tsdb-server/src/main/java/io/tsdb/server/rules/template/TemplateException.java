package io.tsdb.server.rules.template;

/**
 * A template that does not parse, or whose execution failed. The message is worded as Go's text/template words
 * it ({@code template: NAME:LINE: ...} for parse errors, {@code template: NAME:LINE:COL: executing "NAME" at <...>:
 * ...} for execution errors), so rule authors see what they would see from Prometheus.
 */
public final class TemplateException extends Exception {
    public TemplateException(String message) {
        super(message);
    }
}
