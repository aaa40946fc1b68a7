// ModParser.g4 - syntax of the .mod language (LANGUAGE.md sections 2-8).
parser grammar ModParser;

options { tokenVocab = ModLexer; }

file : decl* EOF;

decl
  : MODEL IDENT SEMI                                            # modelDecl
  | DIM IDENT ASSIGN expr SEMI                                  # dimDecl
  | DYN IDENT SEMI                                              # dynDecl
  | MODULE IDENT templateParams? LPAREN argList? RPAREN
      ARROW resultType block                                    # moduleDecl
  | ENTRY IDENT LPAREN argList? RPAREN ARROW resultType block   # entryDecl
  | TRAIN IDENT LPAREN argList? RPAREN block                    # trainDecl
  | paramDef                                                    # paramDecl
  | instanceDef                                                 # instanceDecl
  ;

paramDef : FROZEN? PARAM IDENT COLON tensorType (ASSIGN initializer)? SEMI;
instanceDef : FROZEN? IDENT COLON IDENT templateArgs? (LBRACK expr RBRACK)? SEMI;
initializer : IDENT (LPAREN (expr (COMMA expr)*)? RPAREN)?;

templateParams : LT templateParam (COMMA templateParam)* GT;
templateParam : IDENT (COLON kind=(INT_KW | FLOAT_KW))? (ASSIGN expr)?;
templateArgs : LT expr (COMMA expr)* GT;

argList : arg (COMMA arg)*;
arg : IDENT COLON tensorType;

resultType
  : tensorType                                                  # singleResult
  | LPAREN tensorType (COMMA tensorType)+ RPAREN                # tupleResult
  ;
// `...` first matches any number of leading dims (rank polymorphism, §4).
tensorType
  : elemType (LBRACK (ELLIPSIS (COMMA expr)* | expr (COMMA expr)*)? RBRACK)?;
elemType : F32 | F16 | BF16 | I32 | I64 | BOOL;

block : LBRACE stmt* RBRACE;

stmt
  : paramDef                                                    # paramStmt
  | instanceDef                                                 # instanceStmt
  | LET IDENT ASSIGN expr SEMI                                  # letStmt
  | LET LPAREN IDENT (COMMA IDENT)+ RPAREN ASSIGN expr SEMI     # letTupleStmt
  | target=expr ASSIGN value=expr SEMI                          # assignStmt
  | FOR IDENT IN expr DOTDOT expr block                         # forStmt
  | RETURN expr SEMI                                            # returnStmt
  | MINIMIZE expr SEMI                                          # minimizeStmt
  | UPDATE expr (COMMA expr)* WITH expr SEMI                    # updateStmt
  ;

expr
  : expr LPAREN callArgs? RPAREN                                # callExpr
  | expr LBRACK sliceItem (COMMA sliceItem)* RBRACK            # indexExpr
  | expr DOT IDENT                                              # memberExpr
  | MINUS expr                                                  # negExpr
  | expr op=(STAR | SLASH | AT) expr                            # mulExpr
  | expr op=(PLUS | MINUS) expr                                 # addExpr
  | expr op=(LT | LE | GT | GE | EQ | NE) expr                  # compareExpr
  | expr PIPE expr                                              # pipeExpr
  | ROUTE expr TO expr BY expr (COMBINE expr)?                  # routeExpr
  // One alternative for `(a)` and `(a, b)`: two would need lookahead to the
  // closing parenthesis to choose (the builder tells them apart).
  | LPAREN expr (COMMA expr)* RPAREN                            # parenExpr
  | LBRACK (expr (COMMA expr)*)? RBRACK                         # listExpr
  | INT                                                         # intExpr
  | FLOAT                                                       # floatExpr
  | (TRUE | FALSE)                                              # boolExpr
  | elemType                                                    # typeExpr
  | IDENT                                                       # nameExpr
  ;

// One item of `x[...]`: an index, a half-open range with optional ends, or
// `...` (LANGUAGE.md §6).
sliceItem
  : ELLIPSIS                                                    # ellipsisItem
  | lo=expr? COLON hi=expr?                                     # rangeItem
  | expr                                                        # exprItem
  ;

callArgs : callArg (COMMA callArg)*;
callArg : (IDENT ASSIGN)? expr;
