package io.tsdb.server.rules.template;

import java.util.Map;

/**
 * A parsed template: the subset of Go's text/template that Prometheus rule authors use in alert labels and
 * annotations. Syntax: text and {@code {{ }}} actions with trim markers ({@code {{- -}}}) and comments;
 * pipelines ({@code cmd | cmd}) of function calls, fields ({@code .Labels.job}), variables ({@code $x},
 * {@code $x := ...}, {@code $x = ...}), literals (strings, raw strings, characters, integers, floats, true, false,
 * nil) and parenthesized pipelines; {@code if / else if / else}, {@code range} (with {@code $i, $e :=},
 * {@code else}, {@code break}, {@code continue}), {@code with / else}, {@code end}. {@code define}, {@code
 * template} and {@code block} are refused.
 *
 * <p>Functions come from a {@link Funcs} table; an unknown function or an undeclared variable is a parse error,
 * as in Go, so a bad template is refused when its rule file is loaded. Execution follows Go's semantics for
 * truth, comparison ({@code eq 1 1.0} is an error: incompatible types), map access ({@code missingkey=zero}) and
 * printing ({@code <no value>} for nil).
 *
 * <p>Immutable and thread-safe once parsed; each {@link #execute} has its own state.
 */
public final class Template {
    private final String name;
    private final String source;
    private final Node.ListNode root;
    private final Funcs funcs;

    private Template(String name, String source, Node.ListNode root, Funcs funcs) {
        this.name = name;
        this.source = source;
        this.root = root;
        this.funcs = funcs;
    }

    /** Parses {@code text}; {@code name} appears in error messages as Go's template name does. */
    public static Template parse(String name, String text, Funcs funcs) throws TemplateException {
        return new Template(name, text, Parser.parse(name, text, funcs.names()), funcs);
    }

    public String name() { return name; }

    /**
     * Runs the template with {@code data} as dot; {@code context} is handed to the functions (e.g. what
     * {@code query} evaluates against). Throws with Go's wording when a function fails or a value has the
     * wrong type.
     */
    public String execute(Object data, Object context) throws TemplateException {
        Exec e = new Exec(name, source, funcs, context);
        return e.run(root, data);
    }

    /** For tests: the functions available. */
    Map<String, Funcs.Function> functions() { return funcs.all(); }
}
