package io.tsdb.server.rules.template;

import io.tsdb.server.rules.template.Lexer.Kind;
import io.tsdb.server.rules.template.Lexer.Token;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Recursive-descent parser for the template subset (see {@link Template}). Like Go's parser it checks at parse
 * time that every function exists and every variable is declared, so a rule file with a typo in a template is
 * refused when it is loaded rather than when an alert fires.
 */
final class Parser {
    private final String name;
    private final String src;
    private final List<Token> toks;
    private final Set<String> funcs;
    private int p;
    /** Variables in scope, innermost last; "$" is always first. */
    private final List<String> vars = new ArrayList<>(List.of("$"));
    private int rangeDepth;

    private Parser(String name, String src, List<Token> toks, Set<String> funcs) {
        this.name = name;
        this.src = src;
        this.toks = toks;
        this.funcs = funcs;
    }

    static Node.ListNode parse(String name, String src, Set<String> funcs) throws TemplateException {
        Parser ps = new Parser(name, src, Lexer.lex(name, src), funcs);
        Node.ListNode list = ps.list(true);
        return list;
    }

    private TemplateException error(Token t, String msg) {
        return new TemplateException("template: " + name + ":" + t.line() + ": " + msg);
    }

    private Token peek() { return toks.get(p); }

    private Token next() { return toks.get(p++); }

    private Token peekNonSpace() {
        int q = p;
        while (toks.get(q).kind() == Kind.SPACE) q++;
        return toks.get(q);
    }

    private Token nextNonSpace() {
        Token t = next();
        while (t.kind() == Kind.SPACE) t = next();
        return t;
    }

    /** Parses nodes until EOF (top) or until an {{end}} / {{else}} action, which is left unconsumed after LEFT. */
    private Node.ListNode list(boolean top) throws TemplateException {
        List<Node> nodes = new ArrayList<>();
        int line = peek().pos();
        while (true) {
            Token t = peek();
            if (t.kind() == Kind.EOF) {
                if (!top) throw error(t, "unexpected EOF");
                next();
                return new Node.ListNode(nodes, line);
            }
            if (t.kind() == Kind.TEXT) {
                next();
                nodes.add(new Node.Text(t.text(), t.pos()));
                continue;
            }
            // LEFT
            Token kw = toks.get(p + 1).kind() == Kind.SPACE ? toks.get(p + 2) : toks.get(p + 1);
            if (kw.kind() == Kind.IDENT && (kw.text().equals("end") || kw.text().equals("else"))) {
                if (top) throw error(kw, "unexpected {{" + kw.text() + "}}");
                return new Node.ListNode(nodes, line);
            }
            nodes.add(action());
        }
    }

    private Node action() throws TemplateException {
        Token left = next(); // LEFT
        Token t = peekNonSpace();
        if (t.kind() == Kind.IDENT) {
            switch (t.text()) {
                case "if", "range", "with" -> {
                    nextNonSpace();
                    return branch(t.text(), t);
                }
                case "break", "continue" -> {
                    nextNonSpace();
                    if (rangeDepth == 0) throw error(t, "{{" + t.text() + "}} outside {{range}}");
                    expectRight(t.text());
                    return t.text().equals("break") ? new Node.Break(t.pos()) : new Node.Continue(t.pos());
                }
                case "define", "template", "block" ->
                        throw error(t, "{{" + t.text() + "}} is not supported in rule templates");
                default -> { }
            }
        }
        int start = left.pos();
        Node.Pipeline pipe = pipeline("command", true);
        int end = toks.get(p - 1).pos() + 2;
        return new Node.Action(pipe, start, src.substring(start, Math.min(end, src.length())));
    }

    private void expectRight(String context) throws TemplateException {
        Token t = nextNonSpace();
        if (t.kind() != Kind.RIGHT) throw error(t, "unexpected " + describe(t) + " in " + context);
    }

    private Node branch(String kind, Token kw) throws TemplateException {
        int mark = vars.size();
        Node.Pipeline pipe = pipeline(kind, kind.equals("range") ? null : false);
        if (kind.equals("range")) rangeDepth++;
        Node.ListNode body = list(false);
        if (kind.equals("range")) rangeDepth--;
        Node.ListNode elseBody = null;
        // at LEFT of {{end}} or {{else}}
        next(); // LEFT
        Token w = nextNonSpace();
        if (w.text().equals("else")) {
            Token after = peekNonSpace();
            if (after.kind() == Kind.IDENT && (after.text().equals("if") || after.text().equals("with")) && !kind.equals("range")) {
                // {{else if ...}} / {{else with ...}}: an if/with inside the else branch ending at the same {{end}}
                nextNonSpace();
                vars.subList(mark, vars.size()).clear();
                Node inner = branchChained(after.text(), after);
                elseBody = new Node.ListNode(List.of(inner), after.pos());
                vars.subList(mark, vars.size()).clear();
                return new Node.Branch(kind, pipe, body, elseBody, kw.pos());
            }
            expectRight("else");
            elseBody = list(false);
            next(); // LEFT
            Token e = nextNonSpace();
            if (!e.text().equals("end")) throw error(e, "expected end; found " + describe(e));
        }
        expectRight("end");
        vars.subList(mark, vars.size()).clear();
        return new Node.Branch(kind, pipe, body, elseBody, kw.pos());
    }

    /** An {{else if}} chain member: it shares the outer {{end}}. */
    private Node branchChained(String kind, Token kw) throws TemplateException {
        return branch(kind, kw);
    }

    /**
     * Parses a pipeline up to the closing delimiter (or a closing parenthesis when inside one). {@code declOk}:
     * null = range (up to two variables), true = action (one variable, or assignment), false = if/with (one).
     */
    private Node.Pipeline pipeline(String context, Boolean declOk) throws TemplateException {
        return pipeline(context, declOk, false);
    }

    private Node.Pipeline pipeline(String context, Boolean declOk, boolean inParens) throws TemplateException {
        int line = peekNonSpace().pos();
        List<String> declared = new ArrayList<>();
        boolean decl = false;
        // variable declarations: $x := / $x = / $i, $e :=
        int save = p;
        Token v = nextNonSpace();
        if (v.kind() == Kind.VARIABLE && (toks.get(p).kind() != Kind.FIELD)) {
            Token op = nextNonSpace();
            if (op.kind() == Kind.DECLARE || op.kind() == Kind.ASSIGN) {
                declared.add(v.text());
                decl = op.kind() == Kind.DECLARE;
            } else if (op.kind() == Kind.COMMA && declOk == null) {
                Token v2 = nextNonSpace();
                Token op2 = nextNonSpace();
                if (v2.kind() != Kind.VARIABLE || (op2.kind() != Kind.DECLARE && op2.kind() != Kind.ASSIGN)) {
                    throw error(v2, "too many declarations in " + context);
                }
                declared.add(v.text());
                declared.add(v2.text());
                decl = op2.kind() == Kind.DECLARE;
            } else {
                p = save;
            }
        } else {
            p = save;
        }
        if (!declared.isEmpty()) {
            if (!decl) {
                for (String d : declared) if (!vars.contains(d)) throw error(v, "undefined variable \"" + d + "\"");
            }
        }
        List<Node.Command> cmds = new ArrayList<>();
        while (true) {
            Token t = peekNonSpace();
            if (t.kind() == Kind.RIGHT && !inParens) {
                nextNonSpace();
                break;
            }
            if (t.kind() == Kind.RPAREN && inParens) {
                nextNonSpace();
                break;
            }
            if (t.kind() == Kind.EOF) throw error(t, "unclosed action");
            cmds.add(command(inParens));
            Token sep = peekNonSpace();
            if (sep.kind() == Kind.PIPE) {
                nextNonSpace();
                Token after = peekNonSpace();
                if (after.kind() == Kind.RIGHT || after.kind() == Kind.RPAREN) throw error(after, "missing command after |");
            }
        }
        if (cmds.isEmpty()) throw error(toks.get(p - 1), "missing value for " + context);
        // later commands of a pipeline must be callable with the piped value: functions (or fields, which fail at run time)
        for (int i = 1; i < cmds.size(); i++) {
            Node first = cmds.get(i).args().get(0);
            if (first instanceof Node.StringLit || first instanceof Node.NumberLit || first instanceof Node.BoolLit
                    || first instanceof Node.Nil || first instanceof Node.Dot) {
                throw error(toks.get(p - 1), "non executable command in pipeline stage " + (i + 1));
            }
        }
        if (decl) vars.addAll(declared);
        return new Node.Pipeline(declared, decl, cmds, line);
    }

    private Node.Command command(boolean inParens) throws TemplateException {
        List<Node> args = new ArrayList<>();
        int line = peekNonSpace().pos();
        while (true) {
            Token t = peekNonSpace();
            if (t.kind() == Kind.RIGHT || t.kind() == Kind.PIPE || (t.kind() == Kind.RPAREN && inParens)) break;
            if (t.kind() == Kind.RPAREN) throw error(t, "unexpected right paren");
            if (t.kind() == Kind.EOF) throw error(t, "unclosed action");
            if (!args.isEmpty() && peek().kind() != Kind.SPACE) {
                throw error(t, "missing space?");
            }
            args.add(operand());
        }
        if (args.isEmpty()) throw error(peekNonSpace(), "missing value for command");
        return new Node.Command(args, line);
    }

    private Node operand() throws TemplateException {
        Node term = term();
        List<String> fields = new ArrayList<>();
        while (peek().kind() == Kind.FIELD) fields.add(next().text());
        if (fields.isEmpty()) return term;
        if (term instanceof Node.Field f) {
            List<String> all = new ArrayList<>(f.names());
            all.addAll(fields);
            return new Node.Field(all, f.pos());
        }
        if (term instanceof Node.Variable v) {
            List<String> all = new ArrayList<>(v.fields());
            all.addAll(fields);
            return new Node.Variable(v.name(), all, v.pos());
        }
        if (term instanceof Node.StringLit || term instanceof Node.NumberLit || term instanceof Node.BoolLit
                || term instanceof Node.Nil) {
            throw new TemplateException("template: " + name + ":" + lineOf(term.pos()) + ": unexpected . after term");
        }
        return new Node.Chain(term, fields, term.pos());
    }

    private Node term() throws TemplateException {
        Token t = nextNonSpace();
        switch (t.kind()) {
            case IDENT -> {
                if (!funcs.contains(t.text())) throw error(t, "function \"" + t.text() + "\" not defined");
                return new Node.Identifier(t.text(), t.pos());
            }
            case DOT -> { return new Node.Dot(t.pos()); }
            case NIL -> { return new Node.Nil(t.pos()); }
            case FIELD -> {
                List<String> names = new ArrayList<>();
                names.add(t.text());
                return new Node.Field(names, t.pos());
            }
            case VARIABLE -> {
                if (!vars.contains(t.text())) throw error(t, "undefined variable \"" + t.text() + "\"");
                return new Node.Variable(t.text(), List.of(), t.pos());
            }
            case BOOL -> { return new Node.BoolLit(t.text().equals("true"), t.pos()); }
            case STRING -> { return new Node.StringLit(GoStrings.unquote(t.text(), name, t.line()), t.pos()); }
            case RAW_STRING -> { return new Node.StringLit(t.text(), t.pos()); }
            case CHAR -> {
                String s = GoStrings.unquote("\"" + t.text().substring(1, t.text().length() - 1) + "\"", name, t.line());
                if (s.codePointCount(0, s.length()) != 1) throw error(t, "malformed character constant: " + t.text());
                return new Node.NumberLit((long) s.codePointAt(0), t.text(), t.pos());
            }
            case NUMBER -> { return number(t); }
            case LPAREN -> {
                Node.Pipeline pipe = pipeline("parenthesized pipeline", false, true);
                return new Node.Chain(pipe, List.of(), t.pos());
            }
            default -> throw error(t, "unexpected " + describe(t) + " in operand");
        }
    }

    private Node number(Token t) throws TemplateException {
        String s = t.text().replace("_", "");
        String lower = s.toLowerCase();
        try {
            boolean neg = lower.startsWith("-");
            String body = lower.startsWith("-") || lower.startsWith("+") ? lower.substring(1) : lower;
            if (body.startsWith("0x") && !body.contains("p")) {
                long v = Long.parseLong(body.substring(2), 16);
                return new Node.NumberLit(neg ? -v : v, t.text(), t.pos());
            }
            if (body.startsWith("0o")) {
                long v = Long.parseLong(body.substring(2), 8);
                return new Node.NumberLit(neg ? -v : v, t.text(), t.pos());
            }
            if (body.startsWith("0b")) {
                long v = Long.parseLong(body.substring(2), 2);
                return new Node.NumberLit(neg ? -v : v, t.text(), t.pos());
            }
            if (body.startsWith("0x")) {
                return new Node.NumberLit(Double.parseDouble((neg ? "-" : "") + body), t.text(), t.pos());
            }
            if (!body.contains(".") && !body.contains("e")) {
                if (body.length() > 1 && body.startsWith("0")) {
                    long v = Long.parseLong(body.substring(1), 8);
                    return new Node.NumberLit(neg ? -v : v, t.text(), t.pos());
                }
                return new Node.NumberLit(Long.parseLong((neg ? "-" : "") + body), t.text(), t.pos());
            }
            if (!body.chars().allMatch(c -> Character.isDigit(c) || c == '.' || c == 'e' || c == '+' || c == '-')) {
                throw new NumberFormatException();
            }
            return new Node.NumberLit(Double.parseDouble(s), t.text(), t.pos());
        } catch (NumberFormatException e) {
            throw error(t, "bad number syntax: \"" + t.text() + "\"");
        }
    }

    private int lineOf(int pos) {
        int n = 1;
        for (int i = 0; i < pos && i < src.length(); i++) if (src.charAt(i) == '\n') n++;
        return n;
    }

    private static String describe(Token t) {
        return switch (t.kind()) {
            case RIGHT -> "\"}}\"";
            case EOF -> "EOF";
            case RPAREN -> "\")\"";
            case LPAREN -> "\"(\"";
            case PIPE -> "\"|\"";
            default -> "<" + t.text() + ">";
        };
    }
}
