/*
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
parser grammar Query;

options { tokenVocab = QueryLexer; }

query : expr EOF ;

expr
    : expr LEFT_BRACKET rangeDur=durationExpr RIGHT_BRACKET                              # matrixExpr
    | expr LEFT_BRACKET rangeDur=durationExpr COLON stepDur=durationExpr? RIGHT_BRACKET  # subqueryExpr
    | expr OFFSET offsetValue                                                            # offsetExpr
    | expr AT atValue                                                                    # atExpr
    | <assoc=right> expr op=POW binModifiers expr                                        # binaryExpr
    | op=(ADD | SUB) expr                                                                # unaryExpr
    | expr op=(MUL | DIV | MOD | ATAN2 | TRIM_UPPER | TRIM_LOWER) binModifiers expr      # binaryExpr
    | expr op=(ADD | SUB) binModifiers expr                                              # binaryExpr
    | expr op=(EQLC | NEQ | GTR | LSS | GTE | LTE) binModifiers expr                     # binaryExpr
    | expr op=(AND | UNLESS) binModifiers expr                                           # binaryExpr
    | expr op=OR binModifiers expr                                                       # binaryExpr
    | LEFT_PAREN expr RIGHT_PAREN                                                        # parenExpr
    | aggregation                                                                        # aggregateExpr
    | functionCall                                                                       # callExpr
    | vectorSelector                                                                     # selectorExpr
    | (NUMBER | DURATION)                                                                # numberExpr
    | STRING                                                                             # stringExpr
    ;

/*
 * Durations. A single literal (5m, 300) is the common case; arithmetic on durations (Prometheus 3
 * experimental "duration expressions": x[5m+1m], x[1h/2], offset (2*1m), step(), range(), min_of(a,b),
 * max_of(a,b)) is evaluated by the parser in seconds. After `offset` only a literal, a parenthesized
 * expression or a call may follow, so `x offset 1m * 2` is (x offset 1m) * 2, as in Prometheus.
 */
offsetValue
    : sign=(ADD | SUB)? (NUMBER | DURATION)
    | sign=(ADD | SUB)? LEFT_PAREN durationExpr RIGHT_PAREN
    | sign=(ADD | SUB)? durationCall
    ;

durationExpr
    : <assoc=right> durationExpr op=POW durationExpr                                     # durBinary
    | op=(ADD | SUB) durationExpr                                                        # durUnary
    | durationExpr op=(MUL | DIV | MOD) durationExpr                                     # durBinary
    | durationExpr op=(ADD | SUB) durationExpr                                           # durBinary
    | LEFT_PAREN durationExpr RIGHT_PAREN                                                # durParen
    | durationCall                                                                       # durCall
    | (NUMBER | DURATION)                                                                # durLiteral
    ;

durationCall : IDENTIFIER LEFT_PAREN (durationExpr (COMMA durationExpr)*)? RIGHT_PAREN ;

atValue
    : sign=(ADD | SUB)? (NUMBER | DURATION)
    | IDENTIFIER LEFT_PAREN RIGHT_PAREN
    ;

binModifiers
    : BOOL? (matchKind=(ON | IGNORING) on=groupingLabels (groupKind=(GROUP_LEFT | GROUP_RIGHT) include=groupingLabels?)?)?
    ;

aggregation
    : aggregateOp grouping functionArgs
    | aggregateOp functionArgs grouping?
    ;

grouping : (BY | WITHOUT) groupingLabels ;

groupingLabels : LEFT_PAREN (labelName (COMMA labelName)* COMMA?)? RIGHT_PAREN ;

functionCall : IDENTIFIER functionArgs ;

functionArgs : LEFT_PAREN (expr (COMMA expr)*)? RIGHT_PAREN ;

vectorSelector
    : metricName (LEFT_BRACE matcherList? RIGHT_BRACE | LEFT_ANGLE matcherList? RIGHT_ANGLE)?
    | LEFT_BRACE matcherList? RIGHT_BRACE
    ;

matcherList : matcher (M_COMMA matcher)* M_COMMA? ;

matcher
    : (M_WORD | M_STRING) matchOp labelValue
    | M_STRING
    ;

matchOp : M_EQ | M_NEQ | M_RE | M_NRE ;

labelValue : M_STRING | M_WORD | M_BARE ;

// As in Prometheus, some keywords can be metric names where an operand is expected: offset{a="b"}, sum, and.
metricName
    : IDENTIFIER | METRIC_IDENTIFIER
    | SUM | AVG | COUNT | MIN | MAX | GROUP | STDDEV | STDVAR | TOPK | BOTTOMK | QUANTILE | COUNT_VALUES
    | LIMITK | LIMIT_RATIO | BY | WITHOUT | OFFSET | AND | OR | UNLESS
    ;

aggregateOp
    : SUM | AVG | COUNT | MIN | MAX | GROUP | STDDEV | STDVAR | TOPK | BOTTOMK | QUANTILE | COUNT_VALUES
    | LIMITK | LIMIT_RATIO
    ;

labelName
    : IDENTIFIER | METRIC_IDENTIFIER | STRING
    | SUM | AVG | COUNT | MIN | MAX | GROUP | STDDEV | STDVAR | TOPK | BOTTOMK | QUANTILE | COUNT_VALUES
    | LIMITK | LIMIT_RATIO | BY | WITHOUT | ON | IGNORING | GROUP_LEFT | GROUP_RIGHT | BOOL | OFFSET
    | AND | OR | UNLESS | ATAN2
    ;
