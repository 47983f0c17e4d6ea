package io.tsdb.server.rules.template;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a template into text and action tokens, as Go's text/template lexer does: {@code {{ }}} delimiters,
 * trim markers ({@code {{- } and { -}}}: a dash next to the delimiter with a space on its inner side removes the
 * white space on that side of the action), comments ({@code {{/* ... *}{@code /}}}), and inside actions
 * identifiers, {@code .Field}, {@code $var}, strings (interpreted and raw), characters, numbers, {@code | ( ) , :=
 * =}.
 */
final class Lexer {
    enum Kind { TEXT, LEFT, RIGHT, IDENT, FIELD, VARIABLE, DOT, STRING, RAW_STRING, CHAR, NUMBER, BOOL, NIL,
        PIPE, LPAREN, RPAREN, DECLARE, ASSIGN, COMMA, SPACE, EOF }

    record Token(Kind kind, String text, int pos, int line) {
        @Override public String toString() { return kind + "(" + text + ")"; }
    }

    private final String name;
    private final String src;
    private int pos;
    private int line = 1;
    private final List<Token> out = new ArrayList<>();

    private Lexer(String name, String src) {
        this.name = name;
        this.src = src;
    }

    static List<Token> lex(String name, String src) throws TemplateException {
        Lexer l = new Lexer(name, src);
        l.run();
        return l.out;
    }

    private TemplateException error(String msg) {
        return new TemplateException("template: " + name + ":" + line + ": " + msg);
    }

    private void emit(Kind k, String text, int at) {
        out.add(new Token(k, text, at, line));
    }

    private void run() throws TemplateException {
        while (pos < src.length()) {
            int open = src.indexOf("{{", pos);
            if (open < 0) {
                emitText(src.substring(pos));
                pos = src.length();
                break;
            }
            String text = src.substring(pos, open);
            boolean trimLeft = open + 3 < src.length() + 1 && src.startsWith("{{- ", open)
                    || src.startsWith("{{-\t", open) || src.startsWith("{{-\n", open) || src.startsWith("{{-\r", open);
            if (trimLeft) text = stripTrailing(text);
            emitText(text);
            countLines(src.substring(pos, open));
            pos = open + 2 + (trimLeft ? 2 : 0);
            if (trimLeft) countLines(src.substring(open + 3, pos));
            lexAction(open);
        }
        emit(Kind.EOF, "", pos);
    }

    private void emitText(String text) {
        if (!text.isEmpty()) emit(Kind.TEXT, text, pos);
    }

    private void countLines(String s) {
        for (int i = 0; i < s.length(); i++) if (s.charAt(i) == '\n') line++;
    }

    private static String stripTrailing(String s) {
        int e = s.length();
        while (e > 0 && isSpace(s.charAt(e - 1))) e--;
        return s.substring(0, e);
    }

    private static boolean isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

    /** At the right delimiter (with or without trim marker) at the current position? Returns its length or 0. */
    private int rightDelim() {
        if (src.startsWith("}}", pos)) return 2;
        if (pos > 0 && isSpace(src.charAt(pos - 1)) && src.startsWith("-}}", pos)) return 3;
        return 0;
    }

    private void afterRight(int len) {
        boolean trim = len == 3;
        pos += len;
        if (trim) {
            int st = pos;
            while (pos < src.length() && isSpace(src.charAt(pos))) pos++;
            countLines(src.substring(st, pos));
        }
    }

    private void lexAction(int open) throws TemplateException {
        // comment: {{/* ... */}} (also with trim markers)
        if (src.startsWith("/*", pos)) {
            int end = src.indexOf("*/", pos + 2);
            if (end < 0) throw error("unclosed comment");
            countLines(src.substring(pos, end));
            pos = end + 2;
            int r;
            if (src.startsWith(" -}}", pos)) { pos++; r = 3; }
            else if (src.startsWith("}}", pos)) r = 2;
            else throw error("comment ends before closing delimiter");
            afterRight(r);
            return;
        }
        emit(Kind.LEFT, "{{", open);
        while (true) {
            if (pos >= src.length()) throw error("unclosed action");
            int r = rightDelim();
            if (r > 0) {
                emit(Kind.RIGHT, "}}", pos);
                afterRight(r);
                return;
            }
            char c = src.charAt(pos);
            int st = pos;
            if (isSpace(c)) {
                while (pos < src.length() && isSpace(src.charAt(pos)) && rightDelim() == 0) {
                    if (src.charAt(pos) == '\n') {
                        // Go allows newlines inside actions since 1.16; keep counting lines
                        line++;
                    }
                    pos++;
                }
                if (rightDelim() == 3 && pos > st && src.startsWith("-}}", pos)) {
                    // the space belonged to the trim marker
                }
                emit(Kind.SPACE, " ", st);
            } else if (c == '|') {
                pos++;
                emit(Kind.PIPE, "|", st);
            } else if (c == '(') {
                pos++;
                emit(Kind.LPAREN, "(", st);
            } else if (c == ')') {
                pos++;
                emit(Kind.RPAREN, ")", st);
            } else if (c == ',') {
                pos++;
                emit(Kind.COMMA, ",", st);
            } else if (c == ':' && src.startsWith(":=", pos)) {
                pos += 2;
                emit(Kind.DECLARE, ":=", st);
            } else if (c == '=') {
                pos++;
                emit(Kind.ASSIGN, "=", st);
            } else if (c == '"') {
                emit(Kind.STRING, quoted('"'), st);
            } else if (c == '`') {
                int end = src.indexOf('`', pos + 1);
                if (end < 0) throw error("unterminated raw quoted string");
                String s = src.substring(pos + 1, end);
                countLines(s);
                pos = end + 1;
                emit(Kind.RAW_STRING, s, st);
            } else if (c == '\'') {
                emit(Kind.CHAR, quoted('\''), st);
            } else if (c == '$') {
                pos++;
                while (pos < src.length() && isAlnum(src.charAt(pos))) pos++;
                emit(Kind.VARIABLE, src.substring(st, pos), st);
                lexFieldChain();
            } else if (c == '.') {
                if (pos + 1 < src.length() && Character.isDigit(src.charAt(pos + 1))) {
                    emit(Kind.NUMBER, number(), st);
                } else if (pos + 1 < src.length() && isAlnum(src.charAt(pos + 1))) {
                    lexFieldChain();
                } else {
                    pos++;
                    emit(Kind.DOT, ".", st);
                }
            } else if (c == '+' || c == '-' || Character.isDigit(c)) {
                emit(Kind.NUMBER, number(), st);
            } else if (isAlnum(c)) {
                while (pos < src.length() && isAlnum(src.charAt(pos))) pos++;
                String w = src.substring(st, pos);
                switch (w) {
                    case "true", "false" -> emit(Kind.BOOL, w, st);
                    case "nil" -> emit(Kind.NIL, w, st);
                    default -> emit(Kind.IDENT, w, st);
                }
                lexFieldChain();
            } else {
                throw error("unexpected \"" + c + "\" in command");
            }
        }
    }

    /** .Field.Field directly after a term (no space). */
    private void lexFieldChain() {
        while (pos + 1 < src.length() && src.charAt(pos) == '.' && isAlnum(src.charAt(pos + 1))) {
            int st = pos;
            pos++;
            while (pos < src.length() && isAlnum(src.charAt(pos))) pos++;
            emit(Kind.FIELD, src.substring(st + 1, pos), st);
        }
    }

    private static boolean isAlnum(char c) { return c == '_' || Character.isLetterOrDigit(c); }

    private String quoted(char q) throws TemplateException {
        int st = pos;
        pos++;
        while (true) {
            if (pos >= src.length() || src.charAt(pos) == '\n') {
                throw error(q == '"' ? "unterminated quoted string" : "unterminated character constant");
            }
            char c = src.charAt(pos);
            if (c == '\\') { pos += 2; continue; }
            pos++;
            if (c == q) break;
        }
        return src.substring(st, pos);
    }

    private String number() throws TemplateException {
        int st = pos;
        if (src.charAt(pos) == '+' || src.charAt(pos) == '-') pos++;
        while (pos < src.length()) {
            char c = src.charAt(pos);
            if (Character.isLetterOrDigit(c) || c == '.' || c == '_'
                    || ((c == '+' || c == '-') && pos > st && "eEpP".indexOf(src.charAt(pos - 1)) >= 0
                    && !src.substring(st, pos).toLowerCase().startsWith("0x"))) {
                pos++;
            } else {
                break;
            }
        }
        String n = src.substring(st, pos);
        if (n.equals("+") || n.equals("-")) throw error("bad number syntax: \"" + n + "\"");
        return n;
    }
}
