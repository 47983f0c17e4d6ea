package io.tsdb.query.ast;

public enum BinaryOp {
    ADD("+"), SUB("-"), MUL("*"), DIV("/"), MOD("%"), POW("^"), ATAN2("atan2"),
    /** Native histogram trim operators: keep the observations below ({@code </}) or above ({@code >/}) a value. */
    TRIM_UPPER("</"), TRIM_LOWER(">/"),
    EQL("=="), NEQ("!="), GTR(">"), LSS("<"), GTE(">="), LTE("<="),
    AND("and"), OR("or"), UNLESS("unless");

    public final String symbol;

    BinaryOp(String symbol) { this.symbol = symbol; }

    public boolean isComparison() { return this == EQL || this == NEQ || this == GTR || this == LSS || this == GTE || this == LTE; }

    public boolean isSetOperator() { return this == AND || this == OR || this == UNLESS; }

    public boolean isTrim() { return this == TRIM_UPPER || this == TRIM_LOWER; }
}
