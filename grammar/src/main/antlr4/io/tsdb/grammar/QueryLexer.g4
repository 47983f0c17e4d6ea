/*
 * Lexer of the query language (see Query.g4 for the overview).
 *
 * The query language: PromQL (Prometheus 3.x, float samples) plus the dimensional selector
 * metric<label=value,...> and unquoted label values. See docs/query-language.md.
 *
 * Layout:
 *  - Lexer default mode: expressions. Keywords are case-insensitive, as in PromQL.
 *  - Lexer mode MATCHERS: entered by '{' (always) or by a '<' that opens a dimensional selector
 *    (decided by selectorOpens(), see below); left by '}' or '>'. Inside, label names are plain
 *    words (keywords such as `on` or `by` are ordinary label names) and label values may be quoted
 *    strings or bare words such as 500, 2.0, 3aebf531, us-west-1.
 *  - Parser: one left-recursive `expr` rule whose alternatives are ordered by precedence, highest
 *    first: postfix ([range], [range:step], offset, @), ^ (right-assoc), unary +/-, * / % atan2,
 *    + -, comparisons, and/unless, or. Type checks and value conversions happen in tsdb-query
 *    (io.tsdb.query.parser.QueryParser), not in actions here.
 */
lexer grammar QueryLexer;

@members {
    private int lastType = -1;
    /** Whether the open matcher list was opened by '<' (closed by '>') rather than '{' (closed by '}'). */
    protected boolean angleOpen;

    /** Whether the matcher list being lexed was opened by '<'. */
    public boolean isAngleOpen() { return angleOpen; }
    private int lastStop = -2;
    private String text;

    @Override
    public Token nextToken() {
        Token t = super.nextToken();
        if (t.getType() != Token.EOF) {
            lastType = t.getType();
            lastStop = t.getStopIndex();
        }
        return t;
    }

    @Override
    public void reset() {
        super.reset();
        lastType = -1;
        lastStop = -2;
        text = null;
        angleOpen = false;
    }

    private String source() {
        if (text == null) {
            int n = _input.size();
            text = n == 0 ? "" : _input.getText(org.antlr.v4.runtime.misc.Interval.of(0, n - 1));
        }
        return text;
    }

    /** Token types after which '<' may open a dimensional selector: the ones that can be metric names. */
    private boolean isMetricNameToken(int type) {
        switch (type) {
            case IDENTIFIER: case METRIC_IDENTIFIER:
            case SUM: case AVG: case COUNT: case MIN: case MAX: case GROUP: case STDDEV: case STDVAR:
            case TOPK: case BOTTOMK: case QUANTILE: case COUNT_VALUES: case LIMITK: case LIMIT_RATIO:
            case BY: case WITHOUT: case OFFSET: case AND: case OR: case UNLESS:
                return true;
            default:
                return false;
        }
    }

    /**
     * Whether the '<' at the current token start opens a dimensional selector: it must directly follow
     * (no space) a metric name token, and be followed by a complete matcher list closed by '>'
     * (possibly empty: metric<>). Otherwise '<' is the less-than operator.
     */
    protected boolean selectorOpens() {
        int i = _tokenStartCharIndex;
        if (i <= 0 || lastStop != i - 1 || !isMetricNameToken(lastType)) return false;
        return io.tsdb.grammar.SelectorScanner.matcherListEnd(source(), i + 1) >= 0;
    }
}

// ---------------------------------------------------------------- default mode


WS      : [ \t\r\n]+ -> skip ;
COMMENT : '#' ~[\r\n]* -> skip ;

// Keywords (case-insensitive).
AND          : A N D ;
OR           : O R ;
UNLESS       : U N L E S S ;
ATAN2        : A T A N '2' ;
SUM          : S U M ;
AVG          : A V G ;
COUNT        : C O U N T ;
MIN          : M I N ;
MAX          : M A X ;
GROUP        : G R O U P ;
STDDEV       : S T D D E V ;
STDVAR       : S T D V A R ;
TOPK         : T O P K ;
BOTTOMK      : B O T T O M K ;
QUANTILE     : Q U A N T I L E ;
COUNT_VALUES : C O U N T '_' V A L U E S ;
LIMITK       : L I M I T K ;
LIMIT_RATIO  : L I M I T '_' R A T I O ;
BY           : B Y ;
WITHOUT      : W I T H O U T ;
ON           : O N ;
IGNORING     : I G N O R I N G ;
GROUP_LEFT   : G R O U P '_' L E F T ;
GROUP_RIGHT  : G R O U P '_' R I G H T ;
BOOL         : B O O L ;
OFFSET       : O F F S E T ;

// Numbers: decimal, float, exponent, hex, Inf, NaN (case-insensitive); underscores between digits.
NUMBER
    : DIGITS ('.' DIGITS?)? EXPONENT?
    | '.' DIGITS EXPONENT?
    | '0' [xX] '_'? HEXDIGITS
    | I N F
    | N A N
    ;

// 1h30m, 90s, 500ms, 2w, 1y; unit order and repetition are validated by the parser.
DURATION : ([0-9]+ ('ms' | [smhdwy]))+ ;

// A number or duration run into letters, digits or dots (2.5., 0deadbeef, 5mm, 1m1): one bad token, so the
// error names it whole. Defined after NUMBER and DURATION, so it wins only when it is longer.
BAD_NUMBER : ([0-9] | '.' [0-9]) [0-9a-zA-Z_.]* ;

IDENTIFIER        : [a-zA-Z_] [a-zA-Z0-9_]* ;
METRIC_IDENTIFIER : [a-zA-Z_] [a-zA-Z0-9_:]* ;

STRING
    : '"' (~["\\\r\n] | '\\' .)* '"'
    | '\'' (~['\\\r\n] | '\\' .)* '\''
    | '`' ~'`'* '`'
    ;

LEFT_PAREN    : '(' ;
RIGHT_PAREN   : ')' ;
LEFT_BRACKET  : '[' ;
RIGHT_BRACKET : ']' ;
LEFT_BRACE    : '{' {angleOpen = false;} -> pushMode(MATCHERS) ;
LEFT_ANGLE    : '<' {selectorOpens()}? {angleOpen = true;} -> pushMode(MATCHERS) ;
COMMA         : ',' ;
COLON         : ':' ;
AT            : '@' ;

ADD   : '+' ;
SUB   : '-' ;
MUL   : '*' ;
DIV   : '/' ;
MOD   : '%' ;
POW   : '^' ;
EQLC  : '==' ;
NEQ   : '!=' ;
LTE   : '<=' ;
// Native histogram trim operators: keep the observations below / above the right operand.
TRIM_UPPER : '</' ;
TRIM_LOWER : '>/' ;
GTE   : '>=' ;
LSS   : '<' ;
GTR   : '>' ;
// A lone '=' is never valid in an expression; it is lexed so the parser can say so.
EQL   : '=' ;

fragment DIGITS    : [0-9] ('_'? [0-9])* ;
fragment HEXDIGITS : [0-9a-fA-F] ('_'? [0-9a-fA-F])* ;
fragment EXPONENT  : [eE] [+-]? DIGITS ;

fragment A : [aA] ; fragment B : [bB] ; fragment C : [cC] ; fragment D : [dD] ; fragment E : [eE] ;
fragment F : [fF] ; fragment G : [gG] ; fragment H : [hH] ; fragment I : [iI] ; fragment J : [jJ] ;
fragment K : [kK] ; fragment L : [lL] ; fragment M : [mM] ; fragment N : [nN] ; fragment O : [oO] ;
fragment P : [pP] ; fragment Q : [qQ] ; fragment R : [rR] ; fragment S : [sS] ; fragment T : [tT] ;
fragment U : [uU] ; fragment V : [vV] ; fragment W : [wW] ; fragment X : [xX] ; fragment Y : [yY] ;
fragment Z : [zZ] ;

// ---------------------------------------------------------------- lexer, inside {...} and <...>

mode MATCHERS;

M_WS          : [ \t\r\n]+ -> skip ;
RIGHT_BRACE   : '}' {!angleOpen}? -> popMode ;
RIGHT_ANGLE   : '>' {angleOpen}? -> popMode ;
M_COMMA       : ',' ;
M_RE          : '=~' ;
M_NRE         : '!~' ;
M_NEQ         : '!=' ;
M_EQ          : '=' ;
M_STRING
    : '"' (~["\\\r\n] | '\\' .)* '"'
    | '\'' (~['\\\r\n] | '\\' .)* '\''
    | '`' ~'`'* '`'
    ;
// A label name, or an unquoted label value that looks like one.
M_WORD        : [a-zA-Z_] [a-zA-Z0-9_]* ;
// An unquoted label value: 500, 2.0, 3aebf531, us-west-1, host:9100.
M_BARE        : [a-zA-Z0-9_.:\-]+ ;
