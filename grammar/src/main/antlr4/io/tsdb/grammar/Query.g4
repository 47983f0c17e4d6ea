grammar Query;
// Placeholder: the full PromQL superset grammar is written under issue 4.
query : NUMBER EOF ;
NUMBER : [0-9]+ ;
WS : [ \t\r\n]+ -> skip ;
