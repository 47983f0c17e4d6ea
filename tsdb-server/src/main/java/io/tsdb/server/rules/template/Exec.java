package io.tsdb.server.rules.template;

import io.tsdb.server.rules.template.GoValues.GoMap;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** One execution of a parsed template (Go's text/template exec semantics for the supported subset). */
final class Exec {
    /** No piped value (distinct from a piped nil). */
    private static final Object MISSING = new Object();
    /** Guard against runaway templates (Go has none, but a rule template must not hang an evaluation). */
    private static final int MAX_OUTPUT = 1 << 20;

    private static final class BreakSignal extends RuntimeException {
        BreakSignal() { super(null, null, false, false); }
    }

    private static final class ContinueSignal extends RuntimeException {
        ContinueSignal() { super(null, null, false, false); }
    }

    private final String name;
    private final String src;
    private final Funcs funcs;
    private final Object context;
    private final StringBuilder out = new StringBuilder();
    private final List<String> varNames = new ArrayList<>();
    private final List<Object> varValues = new ArrayList<>();

    Exec(String name, String src, Funcs funcs, Object context) {
        this.name = name;
        this.src = src;
        this.funcs = funcs;
        this.context = context;
    }

    String run(Node.ListNode root, Object data) throws TemplateException {
        push("$", data);
        try {
            walk(root, data);
        } catch (ExecError e) {
            throw new TemplateException(e.getMessage());
        }
        return out.toString();
    }

    /** An execution failure already worded with its position. */
    private static final class ExecError extends RuntimeException {
        ExecError(String msg) { super(msg, null, false, false); }
    }

    private ExecError error(Node at, String msg) {
        int pos = at.pos();
        int line = 1, lineStart = 0;
        for (int i = 0; i < pos && i < src.length(); i++) {
            if (src.charAt(i) == '\n') {
                line++;
                lineStart = i + 1;
            }
        }
        return new ExecError("template: " + name + ":" + line + ":" + (pos - lineStart) + ": executing \"" + name
                + "\" at <" + describe(at) + ">: " + msg);
    }

    private static String describe(Node n) {
        if (n instanceof Node.Identifier id) return id.name();
        if (n instanceof Node.Field f) return "." + String.join(".", f.names());
        if (n instanceof Node.Variable v) return v.name() + (v.fields().isEmpty() ? "" : "." + String.join(".", v.fields()));
        if (n instanceof Node.Dot) return ".";
        if (n instanceof Node.Nil) return "nil";
        if (n instanceof Node.StringLit s) return GoStrings.quote(s.value());
        if (n instanceof Node.NumberLit num) return num.text();
        if (n instanceof Node.BoolLit b) return Boolean.toString(b.value());
        if (n instanceof Node.Command c) {
            StringBuilder sb = new StringBuilder();
            for (Node a : c.args()) {
                if (sb.length() > 0) sb.append(' ');
                sb.append(describe(a));
            }
            return sb.toString();
        }
        if (n instanceof Node.Pipeline p) {
            StringBuilder sb = new StringBuilder();
            for (Node.Command c : p.cmds()) {
                if (sb.length() > 0) sb.append(" | ");
                sb.append(describe(c));
            }
            return sb.toString();
        }
        if (n instanceof Node.Chain c) {
            String inner = c.node() instanceof Node.Pipeline ? "(" + describe(c.node()) + ")" : describe(c.node());
            return inner + (c.fields().isEmpty() ? "" : "." + String.join(".", c.fields()));
        }
        return "?";
    }

    private void push(String n, Object v) {
        varNames.add(n);
        varValues.add(v);
    }

    private int mark() { return varNames.size(); }

    private void pop(int mark) {
        varNames.subList(mark, varNames.size()).clear();
        varValues.subList(mark, varValues.size()).clear();
    }

    private Object varValue(Node at, String n) {
        for (int i = varNames.size() - 1; i >= 0; i--) if (varNames.get(i).equals(n)) return varValues.get(i);
        throw error(at, "undefined variable: " + n);
    }

    private void setVar(Node at, String n, Object v) {
        for (int i = varNames.size() - 1; i >= 0; i--) {
            if (varNames.get(i).equals(n)) {
                varValues.set(i, v);
                return;
            }
        }
        throw error(at, "undefined variable: " + n);
    }

    private void walk(Node n, Object dot) {
        if (n instanceof Node.Text t) {
            write(t.text(), n);
        } else if (n instanceof Node.ListNode l) {
            for (Node c : l.nodes()) walk(c, dot);
        } else if (n instanceof Node.Action a) {
            Object v = pipeline(a.pipe(), dot, true);
            if (a.pipe().vars().isEmpty()) write(printable(v), n);
        } else if (n instanceof Node.Branch b) {
            int mark = mark();
            try {
                switch (b.kind()) {
                    case "if" -> {
                        Object v = pipeline(b.pipe(), dot, true);
                        if (GoValues.truth(v)) walk(b.body(), dot);
                        else if (b.elseBody() != null) walk(b.elseBody(), dot);
                    }
                    case "with" -> {
                        Object v = pipeline(b.pipe(), dot, true);
                        if (GoValues.truth(v)) walk(b.body(), v);
                        else if (b.elseBody() != null) walk(b.elseBody(), dot);
                    }
                    default -> range(b, dot);
                }
            } finally {
                pop(mark);
            }
        } else if (n instanceof Node.Break) {
            throw new BreakSignal();
        } else if (n instanceof Node.Continue) {
            throw new ContinueSignal();
        } else {
            throw error(n, "unknown node");
        }
    }

    private void write(String s, Node at) {
        out.append(s);
        if (out.length() > MAX_OUTPUT) throw error(at, "template output exceeds " + MAX_OUTPUT + " characters");
    }

    private static String printable(Object v) {
        if (v == null) return "<no value>";
        return GoFmt.format(v);
    }

    private void range(Node.Branch b, Object dot) {
        Object v = pipeline(b.pipe(), dot, false);
        List<String> vars = b.pipe().vars();
        List<Object[]> items = new ArrayList<>();
        if (v instanceof List<?> l) {
            for (int i = 0; i < l.size(); i++) items.add(new Object[]{(long) i, l.get(i)});
        } else if (v instanceof GoMap m) {
            for (Map.Entry<String, Object> e : m.map().entrySet()) items.add(new Object[]{e.getKey(), e.getValue()});
        } else if (v instanceof Long n) {
            for (long i = 0; i < n; i++) items.add(new Object[]{i, i});
        } else if (v != null) {
            throw error(b.pipe(), "range can't iterate over " + GoFmt.format(v));
        }
        if (items.isEmpty()) {
            if (b.elseBody() != null) walk(b.elseBody(), dot);
            return;
        }
        for (Object[] it : items) {
            int mark = mark();
            if (vars.size() == 1) bindOrSet(b, vars.get(0), it[1]);
            else if (vars.size() == 2) {
                bindOrSet(b, vars.get(0), it[0]);
                bindOrSet(b, vars.get(1), it[1]);
            }
            try {
                walk(b.body(), it[1]);
            } catch (BreakSignal s) {
                pop(mark);
                break;
            } catch (ContinueSignal s) {
                // next element
            }
            pop(mark);
        }
    }

    private void bindOrSet(Node.Branch b, String var, Object v) {
        if (b.pipe().decl()) push(var, v);
        else setVar(b.pipe(), var, v);
    }

    private Object pipeline(Node.Pipeline p, Object dot, boolean setVars) {
        Object value = MISSING;
        for (Node.Command c : p.cmds()) value = command(c, dot, value);
        if (setVars) {
            for (String v : p.vars()) {
                if (p.decl()) push(v, value);
                else setVar(p, v, value);
            }
        }
        return value;
    }

    private Object command(Node.Command c, Object dot, Object piped) {
        Node first = c.args().get(0);
        if (first instanceof Node.Identifier id) return call(id, c.args().subList(1, c.args().size()), dot, piped);
        if (c.args().size() > 1 || piped != MISSING) {
            throw error(first, "can't give argument to non-function " + describe(first));
        }
        return arg(first, dot);
    }

    private Object arg(Node n, Object dot) {
        if (n instanceof Node.Dot) return dot;
        if (n instanceof Node.Nil) return null;
        if (n instanceof Node.StringLit s) return s.value();
        if (n instanceof Node.NumberLit num) return num.value();
        if (n instanceof Node.BoolLit b) return b.value();
        if (n instanceof Node.Field f) return fields(n, dot, f.names());
        if (n instanceof Node.Variable v) return fields(n, varValue(n, v.name()), v.fields());
        if (n instanceof Node.Identifier id) return call(id, List.of(), dot, MISSING);
        if (n instanceof Node.Chain ch) {
            Object base = ch.node() instanceof Node.Pipeline p ? pipeline(p, dot, true) : arg(ch.node(), dot);
            return fields(n, base, ch.fields());
        }
        throw error(n, "can't evaluate " + describe(n));
    }

    private Object fields(Node at, Object v, List<String> names) {
        for (String f : names) {
            try {
                v = GoValues.field(v, f);
            } catch (IllegalArgumentException e) {
                throw error(at, e.getMessage());
            }
        }
        return v;
    }

    private Object call(Node.Identifier id, List<Node> argNodes, Object dot, Object piped) {
        String fn = id.name();
        if (fn.equals("and") || fn.equals("or")) {
            boolean isAnd = fn.equals("and");
            int total = argNodes.size() + (piped != MISSING ? 1 : 0);
            if (total < 1) throw error(id, "wrong number of args for " + fn + ": want at least 1 got 0");
            Object v = null;
            for (int i = 0; i < total; i++) {
                v = i < argNodes.size() ? arg(argNodes.get(i), dot) : piped;
                if (GoValues.truth(v) != isAnd) return v;
            }
            return v;
        }
        Funcs.Function f = funcs.get(fn);
        if (f == null) throw error(id, "\"" + fn + "\" is not a defined function");
        List<Object> args = new ArrayList<>(argNodes.size() + 1);
        for (Node a : argNodes) args.add(arg(a, dot));
        if (piped != MISSING) args.add(piped);
        try {
            return f.call(args, context);
        } catch (ExecError e) {
            throw e;
        } catch (Exception e) {
            String m = e.getMessage() == null ? e.toString() : e.getMessage();
            if (m.startsWith("wrong number of args") || m.startsWith("wrong type for value")) throw error(id, m);
            throw error(id, "error calling " + fn + ": " + m);
        }
    }
}
