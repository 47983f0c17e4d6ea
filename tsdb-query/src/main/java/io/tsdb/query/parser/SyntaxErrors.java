package io.tsdb.query.parser;

import io.tsdb.grammar.Query;
import io.tsdb.grammar.QueryLexer;
import org.antlr.v4.runtime.BaseErrorListener;
import org.antlr.v4.runtime.DefaultErrorStrategy;
import org.antlr.v4.runtime.Lexer;
import org.antlr.v4.runtime.LexerNoViableAltException;
import org.antlr.v4.runtime.Parser;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Recognizer;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.TokenStream;
import org.antlr.v4.runtime.misc.IntervalSet;

import java.util.ArrayList;
import java.util.List;

/**
 * Readable syntax errors in place of ANTLR's defaults: {@code line:col: unexpected <what> in <context>,
 * expected <what>}, worded like Prometheus's parser where it has a message for the case. The first
 * error aborts the parse (no recovery: a query is short and one precise message beats several).
 */
final class SyntaxErrors {
    private SyntaxErrors() {}

    /** A ParseException at a 0-based character offset of the query. */
    static ParseException at(String query, int offset, String detail) {
        int line = 1;
        int col = 1;
        int end = Math.min(Math.max(offset, 0), query.length());
        for (int i = 0; i < end; i++) {
            if (query.charAt(i) == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        return new ParseException(line, col, offset, detail);
    }

    /** Lexer errors: a character that starts no token. */
    static final class LexerListener extends BaseErrorListener {
        private final String query;

        LexerListener(String query) { this.query = query; }

        @Override
        public void syntaxError(Recognizer<?, ?> recognizer, Object offendingSymbol, int line, int charPositionInLine,
                                String msg, RecognitionException e) {
            int idx = e instanceof LexerNoViableAltException lx ? lx.getStartIndex() : ((Lexer) recognizer)._tokenStartCharIndex;
            if (idx >= query.length()) throw at(query, query.length(), "unexpected end of input");
            char c = query.charAt(idx);
            boolean inMatchers = ((Lexer) recognizer)._mode == QueryLexer.MATCHERS;
            String detail;
            if (c == '"' || c == '\'' || c == '`') {
                detail = c == '`' ? "unterminated raw string" : "unterminated quoted string";
            } else if (c == '!' && !inMatchers) {
                detail = "unexpected character after '!': " + describeChar(idx + 1 < query.length() ? query.charAt(idx + 1) : 0)
                        + ", expected \"!=\"";
            } else if (c == '~' && idx > 0 && query.charAt(idx - 1) == '=' && !inMatchers) {
                detail = "unexpected character after '=': '~'";
            } else if (inMatchers) {
                boolean angle = recognizer instanceof QueryLexer ql && ql.isAngleOpen();
                detail = "unexpected character " + (angle ? "inside <...>" : "inside braces") + ": " + describeChar(c);
            } else {
                detail = "unexpected character: " + describeChar(c);
            }
            String hint = angleHint(query, idx);
            throw at(query, idx, hint == null ? detail : detail + "; " + hint);
        }
    }

    /**
     * When an error follows a '<' glued to a metric name that did not open a dimensional selector (its
     * matcher list was incomplete or had a value needing quotes), say what the selector needs.
     */
    static String angleHint(String query, int errorOffset) {
        int end = Math.min(errorOffset, query.length());
        for (int j = end - 1; j > 0; j--) {
            char c = query.charAt(j);
            if (c == '>' || c == '\n' || c == '{' || c == '(' || c == ')') return null;
            if (c != '<') continue;
            char before = query.charAt(j - 1);
            char after = j + 1 < query.length() ? query.charAt(j + 1) : 0;
            boolean nameBefore = Character.isLetterOrDigit(before) || before == '_' || before == ':';
            boolean labelAfter = Character.isLetter(after) || after == '_' || after == '"';
            if (!nameBefore || !labelAfter) return null;
            String name = query.substring(0, j).replaceAll("(?s).*?([a-zA-Z_:][a-zA-Z0-9_:]*)$", "$1");
            return "if " + name + "<...> is meant as a dimensional selector, write label=value items separated by commas "
                    + "and close it with \">\"; quote values with characters other than letters, digits, _ . : -";
        }
        return null;
    }

    private static String describeChar(char c) {
        if (c == 0) return "end of input";
        return "'" + (c == '\'' ? "\\'" : String.valueOf(c)) + "'";
    }

    /** Parser errors: abort on the first, with a message built from the rule context and previous token. */
    static final class Strategy extends DefaultErrorStrategy {
        private final String query;

        Strategy(String query) { this.query = query; }

        @Override
        public void recover(Parser recognizer, RecognitionException e) {
            Token t = e.getOffendingToken() != null ? e.getOffendingToken() : recognizer.getCurrentToken();
            IntervalSet expected = e.getExpectedTokens();
            throw build(recognizer, t, expected);
        }

        @Override
        public Token recoverInline(Parser recognizer) {
            throw build(recognizer, recognizer.getCurrentToken(), recognizer.getExpectedTokens());
        }

        @Override
        public void reportError(Parser recognizer, RecognitionException e) {
            recover(recognizer, e);
        }

        @Override
        public void sync(Parser recognizer) {
            // No single-token deletion/insertion guesses: errors surface where the input stops fitting.
        }

        private ParseException build(Parser p, Token t, IntervalSet expected) {
            TokenStream ts = p.getInputStream();
            Token prev = previous(ts, t);
            Token prev2 = prev == null ? null : previous(ts, prev);
            int pt = prev == null ? -1 : prev.getType();
            String unexpected = "unexpected " + describe(t);
            String context = null;
            String want = null;
            boolean inMatchers = within(p.getContext(), Query.RULE_matcherList, Query.RULE_matcher, Query.RULE_matchOp,
                    Query.RULE_labelValue) || pt == Query.LEFT_BRACE || pt == Query.LEFT_ANGLE
                    || isMatcherModeToken(pt) || isMatcherModeToken(t.getType());
            boolean angle = inMatchers && openedWithAngle(ts, t);
            String close = angle ? "\">\"" : "\"}\"";
            if (inMatchers) {
                context = "label matching";
                if (pt == Query.LEFT_BRACE || pt == Query.LEFT_ANGLE || pt == Query.M_COMMA) {
                    want = "label name or " + close;
                } else if (pt == Query.M_EQ || pt == Query.M_NEQ || pt == Query.M_RE || pt == Query.M_NRE) {
                    want = "label value (a quoted string or a word such as 500, us-west-1)";
                } else if ((pt == Query.M_WORD || pt == Query.M_STRING) && prev2 != null && isMatchOp(prev2.getType())) {
                    want = "\",\" or " + close;
                } else if (pt == Query.M_WORD) {
                    want = "label matching operator (\"=\", \"!=\", \"=~\" or \"!~\")";
                } else if (pt == Query.M_STRING) {
                    want = "label matching operator, \",\" or " + close;
                } else {
                    want = "\",\" or " + close;
                }
            } else if (pt == Query.LEFT_BRACKET) {
                context = "range selector";
                want = "a duration such as 5m";
            } else if (pt == Query.COLON && prev2 != null && isDuration(prev2.getType())) {
                context = "subquery selector";
                want = "a step duration such as 1m, or \"]\"";
            } else if (isDuration(pt) && prev2 != null && prev2.getType() == Query.LEFT_BRACKET) {
                context = "subquery or range";
                want = "\":\" or \"]\"";
            } else if (isDuration(pt) && prev2 != null && prev2.getType() == Query.COLON
                    && within(p.getContext(), Query.RULE_expr) && t.getType() != Query.RIGHT_BRACKET) {
                context = "subquery selector";
                want = "\"]\"";
            } else if (within(p.getContext(), Query.RULE_durationCall) && pt == Query.IDENTIFIER) {
                context = "duration expression";
                want = "\"(\" (durations may call step(), range(), min_of() and max_of())";
            } else if (within(p.getContext(), Query.RULE_durationExpr, Query.RULE_durationCall) || insideBrackets(ts, t)) {
                context = "duration expression";
                want = isOperator(pt) || pt == Query.LEFT_PAREN || pt == Query.COMMA ? "a duration such as 5m" : "an operator, \")\" or \"]\"";
            } else if (pt == Query.OFFSET || ((pt == Query.SUB || pt == Query.ADD) && prev2 != null && prev2.getType() == Query.OFFSET)) {
                context = "offset";
                want = "a duration such as 5m or a number of seconds";
            } else if (pt == Query.AT || ((pt == Query.SUB || pt == Query.ADD) && prev2 != null && prev2.getType() == Query.AT)) {
                context = "@";
                want = "a timestamp (Unix seconds), start() or end()";
            } else if (within(p.getContext(), Query.RULE_groupingLabels)) {
                context = "grouping opts";
                if (pt == Query.LEFT_PAREN || pt == Query.COMMA) want = "label name or \")\"";
                else if (pt == Query.BY || pt == Query.WITHOUT || pt == Query.ON || pt == Query.IGNORING) want = "\"(\"";
                else want = "\",\" or \")\"";
            } else if (pt == Query.BY || pt == Query.WITHOUT || pt == Query.ON || pt == Query.IGNORING) {
                context = "grouping opts";
                want = "\"(\"";
            } else if (within(p.getContext(), Query.RULE_aggregation) && prev != null && isAggregateOp(pt)) {
                context = "aggregation";
                want = "\"(\", \"by\" or \"without\"";
            } else if (within(p.getContext(), Query.RULE_functionArgs)) {
                context = "function call";
                if (pt == Query.LEFT_PAREN || pt == Query.COMMA) want = "an expression" + (pt == Query.LEFT_PAREN ? " or \")\"" : "");
                else want = "\",\" or \")\"";
            } else if (t.getType() == Query.EQL) {
                want = "\"==\" for comparison, or a label matcher inside {...}";
            } else if (t.getType() == Token.EOF) {
                want = "an expression";
            } else if (t.getType() == Query.RIGHT_PAREN && pt != Query.LEFT_PAREN) {
                want = null;
                unexpected = "unexpected right parenthesis \")\"";
            } else if (expected != null && !expected.isNil()) {
                want = render(expected);
            }
            String unsupported = unsupportedExperimental(query, ts, t, prev);
            if (unsupported != null) return at(query, t.getStartIndex(), unsupported);
            if (t.getType() == Query.BAD_NUMBER) {
                return at(query, t.getStartIndex(), "bad number or duration syntax: \"" + t.getText() + "\"");
            }
            if (t.getType() == Query.RIGHT_PAREN && pt == Query.COMMA && within(p.getContext(), Query.RULE_functionArgs)) {
                return at(query, prev.getStartIndex(), "trailing commas not allowed in function call args");
            }
            if (t.getType() == Token.EOF && context == null && !isOperator(pt) && unclosedParens(ts, t) > 0) {
                return at(query, query.length(), "unclosed left parenthesis");
            }
            StringBuilder msg = new StringBuilder(unexpected);
            if (context != null) msg.append(" in ").append(context);
            if (want != null) msg.append(", expected ").append(want);
            int offset = t.getType() == Token.EOF ? query.length() : t.getStartIndex();
            String hint = spaceBeforeAngleHint(ts, t);
            if (hint == null) hint = angleHint(query, offset);
            if (hint != null) msg.append("; ").append(hint);
            return at(query, offset, msg.toString());
        }

        /** `x <code=500>`: the user probably meant the dimensional selector x<code=500>. */
        private String spaceBeforeAngleHint(TokenStream ts, Token t) {
            if (t.getType() != Query.EQL && t.getType() != Query.NEQ) return null;
            Token label = previous(ts, t);
            Token lss = label == null ? null : previous(ts, label);
            Token name = lss == null ? null : previous(ts, lss);
            if (label == null || lss == null || name == null || lss.getType() != Query.LSS) return null;
            if (name.getType() != Query.IDENTIFIER && name.getType() != Query.METRIC_IDENTIFIER) return null;
            if (name.getStopIndex() + 1 == lss.getStartIndex()) return null;
            return "a dimensional selector must directly follow the metric name, without space: "
                    + name.getText() + "<" + label.getText() + "...>";
        }

        private boolean openedWithAngle(TokenStream ts, Token t) {
            for (int i = t.getTokenIndex() - 1; i >= 0; i--) {
                int type = ts.get(i).getType();
                if (type == Query.LEFT_ANGLE) return true;
                if (type == Query.LEFT_BRACE) return false;
            }
            return false;
        }
    }

    /** Prometheus 3 experimental syntax this parser knows of but does not support: say so plainly. */
    private static String unsupportedExperimental(String query, TokenStream ts, Token t, Token prev) {
        if (t.getType() == Query.IDENTIFIER) {
            String w = t.getText().toLowerCase(java.util.Locale.ROOT);
            if (w.equals("anchored") || w.equals("smoothed")) {
                return "the \"" + w + "\" range modifier (a Prometheus experimental feature) is not supported";
            }
        }
        // fill(v) after an operator parses as a call and fails later, at the right operand: look back for it.
        for (int i = 1; i < t.getTokenIndex(); i++) {
            Token f = ts.get(i);
            String w = f.getText().toLowerCase(java.util.Locale.ROOT);
            if (f.getType() != Query.IDENTIFIER || !(w.equals("fill") || w.equals("fill_left") || w.equals("fill_right"))) continue;
            int before = ts.get(i - 1).getType();
            boolean modifierPlace = isOperator(before) || before == Query.GROUP_LEFT || before == Query.GROUP_RIGHT
                    || (before == Query.RIGHT_PAREN && i >= 2 && isMatchingClauseEnd(ts, i - 1));
            if (modifierPlace && ts.get(i + 1).getType() == Query.LEFT_PAREN) {
                throw at(query, f.getStartIndex(),
                        "the " + w + "() binary operator modifier (a Prometheus experimental feature) is not supported");
            }
        }
        return null;
    }

    /** Whether the ')' at index close ends an on(...)/ignoring(...)/group_x(...) label list. */
    private static boolean isMatchingClauseEnd(TokenStream ts, int close) {
        for (int i = close - 1; i > 0; i--) {
            int type = ts.get(i).getType();
            if (type == Query.LEFT_PAREN) {
                int kw = ts.get(i - 1).getType();
                return kw == Query.ON || kw == Query.IGNORING || kw == Query.GROUP_LEFT || kw == Query.GROUP_RIGHT;
            }
            if (type == Query.RIGHT_PAREN) return false;
        }
        return false;
    }

    private static boolean isOperator(int type) {
        return switch (type) {
            case Query.ADD, Query.SUB, Query.MUL, Query.DIV, Query.MOD, Query.POW, Query.EQLC, Query.NEQ, Query.LTE,
                 Query.GTE, Query.LSS, Query.GTR, Query.TRIM_UPPER, Query.TRIM_LOWER, Query.AND, Query.OR, Query.UNLESS, Query.ATAN2, Query.BOOL -> true;
            default -> false;
        };
    }

    private static boolean insideBrackets(TokenStream ts, Token t) {
        for (int i = t.getTokenIndex() - 1; i >= 0; i--) {
            int type = ts.get(i).getType();
            if (type == Query.LEFT_BRACKET) return true;
            if (type == Query.RIGHT_BRACKET) return false;
        }
        return false;
    }

    private static int unclosedParens(TokenStream ts, Token t) {
        int depth = 0;
        for (int i = 0; i < t.getTokenIndex(); i++) {
            int type = ts.get(i).getType();
            if (type == Query.LEFT_PAREN) depth++;
            else if (type == Query.RIGHT_PAREN) depth--;
        }
        return depth;
    }

    private static boolean isMatcherModeToken(int type) {
        return switch (type) {
            case Query.M_COMMA, Query.M_EQ, Query.M_NEQ, Query.M_RE, Query.M_NRE, Query.M_STRING, Query.M_WORD, Query.M_BARE -> true;
            default -> false;
        };
    }

    private static boolean isMatchOp(int type) {
        return type == Query.M_EQ || type == Query.M_NEQ || type == Query.M_RE || type == Query.M_NRE;
    }

    private static boolean isDuration(int type) { return type == Query.DURATION || type == Query.NUMBER; }

    private static boolean isAggregateOp(int type) {
        return switch (type) {
            case Query.SUM, Query.AVG, Query.COUNT, Query.MIN, Query.MAX, Query.GROUP, Query.STDDEV, Query.STDVAR,
                 Query.TOPK, Query.BOTTOMK, Query.QUANTILE, Query.COUNT_VALUES, Query.LIMITK, Query.LIMIT_RATIO -> true;
            default -> false;
        };
    }

    private static Token previous(TokenStream ts, Token t) {
        int i = t.getTokenIndex() - 1;
        return i >= 0 ? ts.get(i) : null;
    }

    private static boolean within(ParserRuleContext ctx, int... rules) {
        for (ParserRuleContext c = ctx; c != null; c = c.getParent()) {
            for (int r : rules) if (c.getRuleIndex() == r) return true;
        }
        return false;
    }

    /** How a token is named in messages: {@code identifier "foo"}, {@code number "5"}, {@code "]"}, {@code end of input}. */
    static String describe(Token t) {
        String text = t.getText();
        if (text != null && text.length() > 24) text = text.substring(0, 21) + "...";
        return switch (t.getType()) {
            case Token.EOF -> "end of input";
            case Query.IDENTIFIER, Query.M_WORD -> "identifier \"" + text + "\"";
            case Query.METRIC_IDENTIFIER -> "metric identifier \"" + text + "\"";
            case Query.NUMBER -> "number \"" + text + "\"";
            case Query.DURATION -> "duration \"" + text + "\"";
            case Query.STRING, Query.M_STRING -> "string " + text;
            case Query.M_BARE -> "label value \"" + text + "\"";
            case Query.BAD_NUMBER -> "bad number \"" + text + "\"";
            default -> "\"" + text + "\"";
        };
    }

    private static String render(IntervalSet expected) {
        List<String> names = new ArrayList<>();
        boolean expr = false;
        for (int type : expected.toList()) {
            if (type == Query.NUMBER || type == Query.IDENTIFIER || type == Query.LEFT_PAREN || type == Query.STRING) expr = true;
        }
        if (expr) return "an expression";
        for (int type : expected.toList()) {
            if (type == Token.EOF) names.add("end of input");
            else {
                String lit = Query.VOCABULARY.getLiteralName(type);
                names.add(lit != null ? lit.replace('\'', '"') : Query.VOCABULARY.getSymbolicName(type).toLowerCase());
            }
            if (names.size() > 8) return null;
        }
        if (names.isEmpty()) return null;
        if (names.size() == 1) return names.get(0);
        return String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.get(names.size() - 1);
    }
}
