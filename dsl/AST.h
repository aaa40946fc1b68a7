//===- AST.h - Syntax tree of the .mod language -----------------*- C++ -*-===//
//
// The parser's output: a plain tree with a source location on every node.
// Nothing ANTLR-specific appears here; semantic analysis (Sema.h) works on
// this tree only.
//
//===----------------------------------------------------------------------===//

#ifndef MODC_DSL_AST_H
#define MODC_DSL_AST_H

#include "dsl/Source.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace modc {
namespace ast {

enum class ElemType { F32, F16, BF16, I32, I64, Bool };
const char *elemTypeName(ElemType t);
/// f16 and bf16: stored in 16 bits, computed in f32 (LANGUAGE.md §3).
inline bool isHalfFloat(ElemType t) {
  return t == ElemType::F16 || t == ElemType::BF16;
}

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

enum class ExprKind {
  Int,      ///< integer literal; `text` holds the digits
  Float,    ///< float literal; `floatValue`
  Bool,     ///< `true` / `false`; `boolValue`
  Name,     ///< identifier; `name`
  TypeName, ///< element type used as a value (`cast(x, f32)`); `elemType`
  Neg,      ///< unary minus; operands = {x}
  Binary,   ///< operands = {lhs, rhs}; `op`
  Pipe,     ///< `lhs |> rhs`; operands = {lhs, rhs}
  Call,     ///< operands = {callee, args...}; argNames parallel to args
  Index,    ///< `base[items]`; operands = {base, items...}
  Range,    ///< slice item `lo:hi`; operands = the ends written (see
            ///< hasLower/hasUpper), `:` has none
  Ellipsis, ///< slice item `...`
  Member,   ///< `base.name` (a parameter read by path); operands = {base}
  Route,    ///< operands = {input, targets, router, [combine]}
  Tuple,    ///< `(a, b)`; operands = elements
  List,     ///< `[a, b]`; operands = elements
};

enum class BinaryOp { Add, Sub, Mul, Div, MatMul, Lt, Le, Gt, Ge, Eq, Ne };
/// `<`, `<=`, `>`, `>=`, `==`, `!=`.
inline bool isComparison(BinaryOp op) { return op >= BinaryOp::Lt; }
const char *binaryOpSpelling(BinaryOp op);

struct Expr {
  ExprKind kind;
  SourceLoc loc;
  std::string name;
  std::string text;
  double floatValue = 0.0;
  bool boolValue = false;
  ElemType elemType = ElemType::F32;
  BinaryOp op = BinaryOp::Add;
  /// Written in parentheses (comparisons do not chain without them).
  bool parenthesized = false;
  /// Range: which ends are written (`a:`, `:b`, `a:b`, `:`).
  bool hasLower = false;
  bool hasUpper = false;
  std::vector<ExprPtr> operands;
  /// For calls: one entry per argument, empty for positional arguments.
  std::vector<std::string> argNames;
  std::vector<SourceLoc> argNameLocs;

  Expr(ExprKind kind, SourceLoc loc) : kind(kind), loc(loc) {}
};

/// `f32[N, D]`; a bare element type has no dims and is a scalar.
struct TypeExpr {
  SourceLoc loc;
  ElemType elem = ElemType::F32;
  bool hasDims = false; ///< `f32[]` and `f32` are both scalars
  /// `f32[..., M]`: any number of leading dims first (LANGUAGE.md §4).
  bool batched = false;
  SourceLoc batchedLoc;
  std::vector<ExprPtr> dims;
};

struct Initializer {
  SourceLoc loc;
  std::string kind; ///< zeros, ones, const, normal, uniform, xavier
  bool hasParens = false;
  std::vector<ExprPtr> args;
};

struct ParamDef {
  SourceLoc loc;
  unsigned order = 0; ///< position among the declarations of its scope
  std::string name;
  bool frozen = false;
  TypeExpr type;
  std::optional<Initializer> init;
};

struct InstanceDef {
  SourceLoc loc;
  unsigned order = 0; ///< position among the declarations of its scope
  std::string name;
  bool frozen = false;
  std::string module;
  SourceLoc moduleLoc;
  std::vector<ExprPtr> templateArgs;
  ExprPtr count; ///< set for instance arrays
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;

enum class StmtKind {
  Param,
  Instance,
  Let,
  LetTuple,
  Assign,
  For,
  Return,
  Minimize, ///< `minimize EXPR;` (train blocks)
  Update,   ///< `update TARGETS with OPTIMIZER;` (train blocks)
};

struct Stmt {
  StmtKind kind;
  SourceLoc loc;                  ///< the name for Let and Assign
  SourceLoc start;                ///< the statement's first token
  std::string name;               ///< Let, Assign, For (loop variable)
  std::vector<std::string> names; ///< LetTuple
  std::vector<SourceLoc> nameLocs;
  ExprPtr value; ///< Let, LetTuple, Assign, Return, Minimize, Update (the
                 ///< optimiser call)
  std::vector<ExprPtr> targets; ///< Update
  ExprPtr target; ///< Assign to something other than a name (an error)
  ExprPtr lo, hi; ///< For
  std::vector<StmtPtr> body; ///< For
  std::unique_ptr<ParamDef> param;
  std::unique_ptr<InstanceDef> instance;

  Stmt(StmtKind kind, SourceLoc loc) : kind(kind), loc(loc) {}
};

struct Arg {
  SourceLoc loc;
  std::string name;
  TypeExpr type;
};

struct TemplateParam {
  SourceLoc loc;
  std::string name;
  bool isFloat = false;
  ExprPtr defaultValue;
};

/// A module definition or an entry: both are functions with a body.
struct Function {
  SourceLoc loc;
  SourceLoc nameLoc;
  std::string name;
  std::vector<TemplateParam> templateParams; ///< modules only
  std::vector<Arg> args;
  std::vector<TypeExpr> results;
  bool tupleResult = false;
  std::vector<StmtPtr> body;
};

struct DimDecl {
  SourceLoc loc;
  std::string name;
  ExprPtr value;
};

struct DynDecl {
  SourceLoc loc;
  std::string name;
};

/// A whole `.mod` file, declarations in source order within each kind.
struct File {
  std::string modelName;
  SourceLoc modelLoc;
  bool hasModel = false;
  bool modelFirst = false; ///< `model` is the first declaration
  std::vector<SourceLoc> extraModelLocs;
  std::vector<DimDecl> dims;
  std::vector<DynDecl> dyns;
  std::vector<std::unique_ptr<Function>> modules;
  std::vector<std::unique_ptr<Function>> entries;
  /// `train` blocks (LANGUAGE.md §10): functions without results.
  std::vector<std::unique_ptr<Function>> trains;
  std::vector<std::unique_ptr<ParamDef>> params;
  std::vector<std::unique_ptr<InstanceDef>> instances;
  /// Names of declarations dropped after a syntax error in them (the rest
  /// of the file is still checked; uses of these report nothing more).
  std::vector<std::string> brokenNames;
};

/// Writes the stable, indented textual form printed by `modc --emit=ast`.
void dump(const File &file, std::string &out);

} // namespace ast
} // namespace modc

#endif // MODC_DSL_AST_H
