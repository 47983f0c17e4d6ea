package io.tsdb.query.parser;

import io.tsdb.grammar.Query;
import io.tsdb.grammar.QueryLexer;
import io.tsdb.query.ast.Expr;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.Token;

/**
 * The query language front end: PromQL (Prometheus 3.x) plus the dimensional selector
 * {@code metric<label=value,...>} and unquoted label values. See docs/query-language.md.
 *
 * <pre>
 *   Expr e = QueryParser.parse("sum by (region) (rate(http_request&lt;code=500&gt;[5m]))");
 *   String canonical = Printer.print(e);
 * </pre>
 *
 * Thread-safe (no shared state). Every syntax and type error is a {@link ParseException} naming
 * line:column (1-based), what was found and what was expected.
 */
public final class QueryParser {
    private QueryParser() {}

    /** Maximum query length in characters; longer input is refused before lexing. */
    public static final int MAX_QUERY_LENGTH = 1 << 20;

    /**
     * The step and range of the query being run, for {@code step()} and {@code range()} in duration
     * expressions (Prometheus 3 experimental). An instant query has step 0 and range 0.
     */
    public record QueryRange(long stepMs, long rangeMs) {}

    /** Parses a query; {@code step()}/{@code range()} inside durations are errors (use the other overload). */
    public static Expr parse(String query) {
        return parse(query, null);
    }

    /** Parses a query that is about to run with the given step and range (null: unknown). */
    public static Expr parse(String query, QueryRange range) {
        if (query == null) throw new ParseException(1, 1, 0, "no expression found in input");
        if (query.length() > MAX_QUERY_LENGTH) {
            throw new ParseException(1, 1, 0, "query too long: " + query.length() + " characters, the limit is " + MAX_QUERY_LENGTH);
        }
        QueryLexer lexer = new QueryLexer(CharStreams.fromString(query));
        lexer.removeErrorListeners();
        lexer.addErrorListener(new SyntaxErrors.LexerListener(query));
        CommonTokenStream tokens = new CommonTokenStream(lexer);
        // Tokens are pulled lazily by the parser, so a syntax error earlier in the text is reported before a
        // bad character later in it.
        if (tokens.LA(1) == Token.EOF) {
            throw SyntaxErrors.at(query, 0, "no expression found in input");
        }
        Query parser = new Query(tokens);
        parser.removeErrorListeners();
        parser.setErrorHandler(new SyntaxErrors.Strategy(query));
        Query.QueryContext tree;
        try {
            tree = parser.query();
        } catch (StackOverflowError e) {
            throw SyntaxErrors.at(query, 0, "query nested too deeply");
        }
        try {
            return new AstBuilder(query, range).visit(tree);
        } catch (StackOverflowError e) {
            throw SyntaxErrors.at(query, 0, "query nested too deeply");
        }
    }
}
