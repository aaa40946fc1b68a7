// ModLexer.g4 - tokens of the .mod language (LANGUAGE.md section 1).
lexer grammar ModLexer;

MODEL   : 'model';
DIM     : 'dim';
DYN     : 'dyn';
MODULE  : 'module';
PARAM   : 'param';
FROZEN  : 'frozen';
ENTRY   : 'entry';
LET     : 'let';
RETURN  : 'return';
ROUTE   : 'route';
TO      : 'to';
BY      : 'by';
COMBINE : 'combine';
FOR     : 'for';
IN      : 'in';
TRUE    : 'true';
FALSE   : 'false';
FLOAT_KW: 'float';
INT_KW  : 'int';
TRAIN   : 'train';
MINIMIZE: 'minimize';
UPDATE  : 'update';
WITH    : 'with';
F32     : 'f32';
F16     : 'f16';
BF16    : 'bf16';
I32     : 'i32';
I64     : 'i64';
BOOL    : 'bool';

ARROW   : '->';
PIPE    : '|>';
ELLIPSIS: '...';
DOTDOT  : '..';
DOT     : '.';
SEMI    : ';';
COMMA   : ',';
COLON   : ':';
ASSIGN  : '=';
LPAREN  : '(';
RPAREN  : ')';
LBRACE  : '{';
RBRACE  : '}';
LBRACK  : '[';
RBRACK  : ']';
LE      : '<=';
GE      : '>=';
EQ      : '==';
NE      : '!=';
LT      : '<';
GT      : '>';
PLUS    : '+';
MINUS   : '-';
STAR    : '*';
SLASH   : '/';
AT      : '@';

FLOAT
  : DIGITS '.' DIGITS EXPONENT?
  | '.' DIGITS EXPONENT?
  | DIGITS EXPONENT
  ;
INT     : DIGITS;
IDENT   : [A-Za-z_] [A-Za-z0-9_]*;

fragment DIGITS   : [0-9]+;
fragment EXPONENT : [eE] [+-]? DIGITS;

LINE_COMMENT  : '//' ~[\r\n]* -> channel(HIDDEN);
// Spelled with sets rather than `.*?`: ANTLR's wildcard does not match a NUL
// byte, which LANGUAGE.md §1 allows inside comments.
BLOCK_COMMENT : '/*' (~'*' | '*'+ ~[*/])* '*'+ '/' -> channel(HIDDEN);
UNTERMINATED_COMMENT : '/*' (~'*' | '*'+ ~[*/])* '*'* EOF;
WS      : [ \t\r\n\f]+ -> channel(HIDDEN);

// Anything else becomes a token of its own so the parser can report it with a location.
ERROR_CHAR : .;
