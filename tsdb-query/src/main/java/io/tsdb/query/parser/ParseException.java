package io.tsdb.query.parser;

/**
 * A syntax or type error in a query, with its 1-based line and column. {@link #getMessage()} is
 * the full message {@code "line:col: detail"}, e.g.
 * {@code 1:23: unexpected "]" in range selector, expected a duration such as 5m}.
 */
public final class ParseException extends RuntimeException {
    private final int line;
    private final int column;
    private final int offset;
    private final String detail;

    public ParseException(int line, int column, int offset, String detail) {
        super(line + ":" + column + ": " + detail);
        this.line = line;
        this.column = column;
        this.offset = offset;
        this.detail = detail;
    }

    public int line() { return line; }
    public int column() { return column; }
    /** 0-based character offset into the query text. */
    public int offset() { return offset; }
    /** The message without the position prefix. */
    public String detail() { return detail; }
}
