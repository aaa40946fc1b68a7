//===- ASTDump.cpp - Textual form of the AST for --emit=ast ---------------===//
//
// One node per line, indented by depth, with its location: a stable format
// the tests check with FileCheck.
//
//===----------------------------------------------------------------------===//

#include "dsl/AST.h"

namespace modc {
namespace ast {

const char *elemTypeName(ElemType t) {
  switch (t) {
  case ElemType::F32:
    return "f32";
  case ElemType::F16:
    return "f16";
  case ElemType::BF16:
    return "bf16";
  case ElemType::I32:
    return "i32";
  case ElemType::I64:
    return "i64";
  case ElemType::Bool:
    return "bool";
  }
  return "f32";
}

const char *binaryOpSpelling(BinaryOp op) {
  switch (op) {
  case BinaryOp::Add:
    return "+";
  case BinaryOp::Sub:
    return "-";
  case BinaryOp::Mul:
    return "*";
  case BinaryOp::Div:
    return "/";
  case BinaryOp::MatMul:
    return "@";
  case BinaryOp::Lt:
    return "<";
  case BinaryOp::Le:
    return "<=";
  case BinaryOp::Gt:
    return ">";
  case BinaryOp::Ge:
    return ">=";
  case BinaryOp::Eq:
    return "==";
  case BinaryOp::Ne:
    return "!=";
  }
  return "?";
}

namespace {

class Dumper {
public:
  explicit Dumper(std::string &out) : out_(out) {}

  void file(const File &f) {
    line(0, "Model " + f.modelName, f.modelLoc);
    for (const DimDecl &d : f.dims) {
      line(1, "Dim " + d.name, d.loc);
      expr(2, *d.value);
    }
    for (const DynDecl &d : f.dyns)
      line(1, "Dyn " + d.name, d.loc);
    for (auto &p : f.params)
      param(1, *p);
    for (auto &i : f.instances)
      instance(1, *i);
    for (auto &m : f.modules)
      function(1, "Module", *m);
    for (auto &e : f.entries)
      function(1, "Entry", *e);
    for (auto &t : f.trains)
      function(1, "Train", *t);
  }

private:
  void line(int depth, const std::string &text, SourceLoc loc) {
    out_.append(size_t(depth) * 2, ' ');
    out_ += text;
    out_ += " @" + std::to_string(loc.line) + ":" + std::to_string(loc.col);
    out_ += "\n";
  }

  std::string typeText(const TypeExpr &t) {
    std::string s = elemTypeName(t.elem);
    if (t.hasDims)
      s += std::string("[") + (t.batched ? "..., " : "") +
           std::to_string(t.dims.size()) + " dims]";
    return s;
  }

  void type(int depth, const std::string &label, const TypeExpr &t) {
    line(depth, label + " " + typeText(t), t.loc);
    for (const ExprPtr &d : t.dims)
      expr(depth + 1, *d);
  }

  void param(int depth, const ParamDef &p) {
    line(depth, std::string(p.frozen ? "FrozenParam " : "Param ") + p.name,
         p.loc);
    type(depth + 1, "Type", p.type);
    if (p.init) {
      line(depth + 1, "Init " + p.init->kind, p.init->loc);
      for (const ExprPtr &a : p.init->args)
        expr(depth + 2, *a);
    }
  }

  void instance(int depth, const InstanceDef &i) {
    line(depth,
         std::string(i.frozen ? "FrozenInstance " : "Instance ") + i.name +
             " : " + i.module,
         i.loc);
    for (const ExprPtr &a : i.templateArgs) {
      line(depth + 1, "TemplateArg", a->loc);
      expr(depth + 2, *a);
    }
    if (i.count) {
      line(depth + 1, "Count", i.count->loc);
      expr(depth + 2, *i.count);
    }
  }

  void function(int depth, const char *kind, const Function &fn) {
    line(depth, std::string(kind) + " " + fn.name, fn.nameLoc);
    for (const TemplateParam &tp : fn.templateParams) {
      line(depth + 1,
           std::string("TemplateParam ") + tp.name +
               (tp.isFloat ? " : float" : " : int"),
           tp.loc);
      if (tp.defaultValue)
        expr(depth + 2, *tp.defaultValue);
    }
    for (const Arg &a : fn.args)
      type(depth + 1, "Arg " + a.name, a.type);
    for (const TypeExpr &r : fn.results)
      type(depth + 1, "Result", r);
    for (const StmtPtr &s : fn.body)
      stmt(depth + 1, *s);
  }

  void stmt(int depth, const Stmt &s) {
    switch (s.kind) {
    case StmtKind::Param:
      param(depth, *s.param);
      return;
    case StmtKind::Instance:
      instance(depth, *s.instance);
      return;
    case StmtKind::Let:
      line(depth, "Let " + s.name, s.loc);
      expr(depth + 1, *s.value);
      return;
    case StmtKind::LetTuple: {
      std::string names;
      for (const std::string &n : s.names)
        names += (names.empty() ? "" : ", ") + n;
      line(depth, "LetTuple (" + names + ")", s.loc);
      expr(depth + 1, *s.value);
      return;
    }
    case StmtKind::Assign:
      line(depth, "Assign " + s.name, s.loc);
      if (s.target)
        expr(depth + 1, *s.target);
      expr(depth + 1, *s.value);
      return;
    case StmtKind::For:
      line(depth, "For " + s.name, s.loc);
      expr(depth + 1, *s.lo);
      expr(depth + 1, *s.hi);
      for (const StmtPtr &b : s.body)
        stmt(depth + 1, *b);
      return;
    case StmtKind::Return:
      line(depth, "Return", s.loc);
      expr(depth + 1, *s.value);
      return;
    case StmtKind::Minimize:
      line(depth, "Minimize", s.loc);
      expr(depth + 1, *s.value);
      return;
    case StmtKind::Update:
      line(depth, "Update", s.loc);
      for (const ExprPtr &t : s.targets)
        expr(depth + 1, *t);
      expr(depth + 1, *s.value);
      return;
    }
  }

  void expr(int depth, const Expr &e) {
    switch (e.kind) {
    case ExprKind::Int:
      line(depth, "Int " + e.text, e.loc);
      return;
    case ExprKind::Float:
      line(depth, "Float " + e.text, e.loc);
      return;
    case ExprKind::Bool:
      line(depth, e.boolValue ? "Bool true" : "Bool false", e.loc);
      return;
    case ExprKind::Name:
      line(depth, "Name " + e.name, e.loc);
      return;
    case ExprKind::TypeName:
      line(depth, std::string("TypeName ") + elemTypeName(e.elemType), e.loc);
      return;
    case ExprKind::Neg:
      line(depth, "Neg", e.loc);
      break;
    case ExprKind::Binary:
      line(depth, std::string("Binary ") + binaryOpSpelling(e.op), e.loc);
      break;
    case ExprKind::Pipe:
      line(depth, "Pipe", e.loc);
      break;
    case ExprKind::Call: {
      line(depth, "Call", e.loc);
      expr(depth + 1, *e.operands[0]);
      for (size_t i = 1; i < e.operands.size(); ++i) {
        const std::string &name = e.argNames[i - 1];
        if (!name.empty()) {
          line(depth + 1, "NamedArg " + name, e.argNameLocs[i - 1]);
          expr(depth + 2, *e.operands[i]);
        } else {
          expr(depth + 1, *e.operands[i]);
        }
      }
      return;
    }
    case ExprKind::Index:
      line(depth, "Index", e.loc);
      break;
    case ExprKind::Range:
      line(depth,
           std::string("Range") + (e.hasLower ? " lower" : "") +
               (e.hasUpper ? " upper" : ""),
           e.loc);
      break;
    case ExprKind::Ellipsis:
      line(depth, "Ellipsis", e.loc);
      break;
    case ExprKind::Member:
      line(depth, "Member " + e.name, e.loc);
      break;
    case ExprKind::Route: {
      line(depth, "Route", e.loc);
      static const char *labels[] = {"Input", "Targets", "Router", "Combine"};
      for (size_t i = 0; i < e.operands.size() && i < 4; ++i) {
        line(depth + 1, labels[i], e.operands[i]->loc);
        expr(depth + 2, *e.operands[i]);
      }
      return;
    }
    case ExprKind::Tuple:
      line(depth, "Tuple", e.loc);
      break;
    case ExprKind::List:
      line(depth, "List", e.loc);
      break;
    }
    for (const ExprPtr &o : e.operands)
      expr(depth + 1, *o);
  }

  std::string &out_;
};

} // namespace

void dump(const File &file, std::string &out) {
  Dumper d(out);
  d.file(file);
}

} // namespace ast
} // namespace modc
