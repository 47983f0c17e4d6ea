package io.tsdb.server.rules.template;

import java.util.List;

/** The parse tree of a template (the subset of Go's text/template/parse that rule templates use). */
sealed interface Node {
    /** Offset in the source (after the predeclared variables), for error messages. */
    int pos();

    record Text(String text, int pos) implements Node {}

    record ListNode(List<Node> nodes, int pos) implements Node {}

    /** {@code {{ pipeline }}}: prints the pipeline's value unless it declares or assigns variables. */
    record Action(Pipeline pipe, int pos, String source) implements Node {}

    /** if / range / with, with an optional else branch (an else-if is an if inside the else list). */
    record Branch(String kind, Pipeline pipe, ListNode body, ListNode elseBody, int pos) implements Node {}

    record Break(int pos) implements Node {}

    record Continue(int pos) implements Node {}

    /**
     * {@code $a, $b := cmd | cmd}: declared variables ({@code decl} true for {@code :=}, false for {@code =}) and
     * the commands.
     */
    record Pipeline(List<String> vars, boolean decl, List<Command> cmds, int pos) implements Node {}

    record Command(List<Node> args, int pos) implements Node {}

    // terms
    record Dot(int pos) implements Node {}

    record Nil(int pos) implements Node {}

    /** {@code .A.B}: fields of dot. */
    record Field(List<String> names, int pos) implements Node {}

    /** {@code $x.A.B}; {@code $} is the data root. */
    record Variable(String name, List<String> fields, int pos) implements Node {}

    /** A function name (the first word of a command, or a function used as an argument). */
    record Identifier(String name, int pos) implements Node {}

    /** {@code (pipeline).A.B}. */
    record Chain(Node node, List<String> fields, int pos) implements Node {}

    record StringLit(String value, int pos) implements Node {}

    record BoolLit(boolean value, int pos) implements Node {}

    /** A number constant: an integer ({@link Long}) when it has an integer value written as one, else a float. */
    record NumberLit(Object value, String text, int pos) implements Node {}
}
