//===- SemaExpr.cpp - Expressions ----------------------------------------===//
//
// The expression half of elaboration: compile-time integers and numbers,
// names (values, dims, instances, builtins), arithmetic with broadcasting,
// calls and instance application.
//
//===----------------------------------------------------------------------===//

#include "dsl/Analyzer.h"

namespace modc {
namespace detail {

std::optional<int64_t> Analyzer::constInt(const Expr &e, Context &ctx,
                                          const char *what) {
  Val v = eval(e, ctx);
  if (v.kind == Val::None)
    return std::nullopt;
  if (!v.isStaticInt()) {
    if (!reportInexactDivision(v))
      error(e.loc, std::string(what) + " must be a compile-time integer");
    return std::nullopt;
  }
  return v.dim.constant;
}

bool Analyzer::reportInexactDivision(const Val &v) {
  if (v.kind != Val::Float || v.division.empty())
    return false;
  error(v.divisionLoc, "'" + v.division + "' is not an exact integer division");
  return true;
}

std::optional<double> Analyzer::constNumber(const Expr &e, Context &ctx,
                                            const char *what) {
  Val v = eval(e, ctx);
  if (v.kind == Val::None)
    return std::nullopt;
  if (v.isStaticInt())
    return double(v.dim.constant);
  if (v.kind == Val::Float)
    return v.f;
  error(e.loc, std::string(what) + " must be a compile-time number");
  return std::nullopt;
}

void Analyzer::unknownName(const std::string &name, SourceLoc loc,
                           const char *atModelLevel) {
  // A declaration dropped after its syntax error (reported).
  if (std::find(file_.brokenNames.begin(), file_.brokenNames.end(), name) !=
      file_.brokenNames.end())
    return;
  // Names that exist at model level but are out of reach here.
  const char *kind = nullptr;
  for (auto &p : file_.params)
    if (p->name == name)
      kind = "parameter";
  for (auto &i : file_.instances)
    if (i->name == name)
      kind = "instance";
  if (!kind) {
    error(loc, "unknown name '" + name + "'");
    return;
  }
  error(loc, "'" + name + "' is a model-level " + kind +
                 (atModelLevel ? atModelLevel
                               : "; a module may use only its own parameters, "
                                 "instances and arguments"));
}

Val Analyzer::evalName(const Expr &e, Context &ctx) {
  const std::string &name = e.name;
  for (auto it = ctx.scopes.rbegin(); it != ctx.scopes.rend(); ++it) {
    auto found = it->find(name);
    if (found != it->end())
      return found->second.first;
  }
  for (size_t i = 0; i < ctx.argNames.size() && i < ctx.argNodes.size(); ++i)
    if (ctx.argNames[i] == name)
      return Val::tensor(ctx.argNodes[i]);
  auto targ = ctx.templateArgs.find(name);
  if (targ != ctx.templateArgs.end())
    return targ->second;
  const Members &members = *ctx.members;
  auto pidx = members.params.find(name);
  if (pidx != members.params.end()) {
    const ParamSpec &p = (*ctx.params)[pidx->second];
    // One node per parameter: reuse it if the body already reads it.
    Node *&n = ctx.paramNodes[pidx->second];
    if (!n) {
      n = addNode(ctx, Op::Param, p.type, e.loc);
      n->index = pidx->second;
      n->name = p.name;
    }
    return Val::tensor(n);
  }
  if (members.failed.count(name))
    return Val::none();
  if (std::optional<Val> callable = callableNamed(e, ctx, /*values=*/true))
    return *callable;
  // Template arguments and array sizes at model level are compile-time.
  unknownName(name, e.loc, ctx.module ? nullptr : ", not a compile-time value");
  return Val::none();
}

std::optional<Val> Analyzer::callableNamed(const Expr &e, Context &ctx,
                                           bool values) {
  const std::string &name = e.name;
  // With `values`, the dims and dyns (values) come before every callable:
  // `lin(x) * lin` multiplies by the dim `lin` beside an instance `lin`.
  if (values && dimDecls_.count(name)) {
    auto d = evalDim(name);
    if (!d)
      return Val::none();
    return Val::integer(Dim::of(*d));
  }
  auto dyn = dynIndex_.find(name);
  if (values && dyn != dynIndex_.end())
    return Val::integer(Dim::symbol(dyn->second));
  const Members &members = *ctx.members;
  auto iidx = members.instances.find(name);
  if (iidx != members.instances.end()) {
    Val v;
    const InstanceSpec &inst = (*ctx.instances)[iidx->second];
    v.kind = inst.isArray ? Val::Array : Val::Instance;
    v.index = iidx->second;
    v.name = name;
    return v;
  }
  if (vocab::isReserved(name)) {
    Val v;
    v.kind = Val::Builtin;
    v.name = name;
    return v;
  }
  if (moduleDefs_.count(name)) {
    Val v;
    v.kind = Val::Module;
    v.name = name;
    return v;
  }
  if (trainDefs_.count(name)) {
    error(e.loc, "'" + name +
                     "' is a train block; it cannot be called "
                     "(call NAME_" +
                     name + " from C or m." + name + "(...) from Python)");
    return Val::none();
  }
  if (entryDefs_.count(name)) {
    Val v;
    v.kind = Val::Entry;
    v.name = name;
    return v;
  }
  return std::nullopt;
}

Val Analyzer::evalCallee(const Expr &e, Context &ctx) {
  // A name in a call, pipe or route-target position is looked up among the
  // callables first (LANGUAGE.md §1's two namespaces): `lin(lin)` applies
  // the instance `lin` to the argument `lin`.
  if (e.kind == ExprKind::Name)
    if (std::optional<Val> callable = callableNamed(e, ctx, false))
      return *callable;
  // `arr[0](...)`: the base the same way (a value base is still a slice).
  if (e.kind == ExprKind::Index)
    return evalIndex(e, ctx, /*callee=*/true);
  return eval(e, ctx);
}

Val Analyzer::eval(const Expr &e, Context &ctx) {
  switch (e.kind) {
  case ExprKind::Int: {
    // Literals must fit in 2^62 (LANGUAGE.md §1).
    if (e.text.size() > 19) {
      error(e.loc, "integer literal " + e.text + " does not fit in 2^62");
      return Val::none();
    }
    unsigned long long v = std::strtoull(e.text.c_str(), nullptr, 10);
    if (v > (unsigned long long)kMaxDim) {
      error(e.loc, "integer literal " + e.text + " does not fit in 2^62");
      return Val::none();
    }
    return Val::integer(Dim::of(int64_t(v)));
  }
  case ExprKind::Float:
    if (!std::isfinite(e.floatValue)) {
      error(e.loc, "float literal " + e.text + " is out of range");
      return Val::none();
    }
    return Val::flt(e.floatValue);
  case ExprKind::Bool: {
    Val v;
    v.kind = Val::Bool;
    v.f = e.boolValue ? 1.0 : 0.0;
    return v;
  }
  case ExprKind::Name:
    return evalName(e, ctx);
  case ExprKind::TypeName: {
    Val v;
    v.kind = Val::TypeName;
    v.elem = e.elemType;
    return v;
  }
  case ExprKind::Neg: {
    Val x = eval(*e.operands[0], ctx);
    if (x.kind == Val::None)
      return x;
    if (x.kind == Val::Int) {
      auto d = scaleDim(x.dim, -1);
      return d ? Val::integer(*d) : Val::none();
    }
    if (x.kind == Val::Float) {
      x.f = -x.f;
      return x;
    }
    if (x.kind == Val::Tensor) {
      if (!requireArithmetic(x.node->type, e.loc, "unary '-'"))
        return Val::none();
      return Val::tensor(addNode(ctx, Op::Neg, x.node->type, e.loc, {x.node}));
    }
    error(e.loc, "unary '-' needs a number or a tensor");
    return Val::none();
  }
  case ExprKind::Binary:
    return evalBinary(e, ctx);
  case ExprKind::Pipe: {
    Val x = eval(*e.operands[0], ctx);
    Val f = evalCallee(*e.operands[1], ctx);
    if (x.kind == Val::None || f.kind == Val::None)
      return Val::none();
    if (f.kind == Val::Array) {
      const InstanceSpec &inst = (*ctx.instances)[f.index];
      for (int64_t i = 0; i < inst.count && x.kind != Val::None; ++i) {
        if (!spend(e.loc))
          return Val::none();
        Val el = f;
        el.kind = Val::Instance;
        el.element = i;
        x = apply(el, {x}, e.loc, ctx);
      }
      return x;
    }
    return apply(f, {x}, e.loc, ctx);
  }
  case ExprKind::Call:
    return evalCall(e, ctx);
  case ExprKind::Index:
    return evalIndex(e, ctx);
  case ExprKind::Range:
  case ExprKind::Ellipsis:
    error(e.loc,
          std::string(e.kind == ExprKind::Range ? "a range 'a:b'" : "'...'") +
              " is allowed only inside a slice 'x[...]'");
    return Val::none();
  case ExprKind::Member:
    return evalMember(e, ctx);
  case ExprKind::Route:
    return evalRoute(e, ctx);
  case ExprKind::Tuple:
    error(e.loc, "a tuple is allowed only in 'return'");
    return Val::none();
  case ExprKind::List: {
    Val v;
    v.kind = Val::List;
    for (const ast::ExprPtr &el : e.operands) {
      v.elems.push_back(eval(*el, ctx));
      if (v.elems.back().kind == Val::None)
        return Val::none();
    }
    return v;
  }
  }
  return Val::none();
}

Val Analyzer::evalMember(const Expr &e, Context &ctx) {
  // Only an instance has members: `adapter.w` reads the instance's
  // parameter even beside an argument named `adapter`.
  Val base = evalCallee(*e.operands[0], ctx);
  if (base.kind == Val::None)
    return base;
  if (ctx.module) {
    error(e.loc, "parameters are read by path ('a.b') in entries and train "
                 "blocks; a module reads its own by name");
    return Val::none();
  }
  // The instance on the left: its state_dict prefix and module.
  std::string prefix;
  const ModuleSpec *module = nullptr;
  if (base.kind == Val::Instance && base.index >= 0) {
    const InstanceSpec &inst = (*ctx.instances)[base.index];
    prefix = inst.name;
    if (inst.isArray)
      prefix += "." + std::to_string(base.element < 0 ? 0 : base.element);
    module = inst.module;
  } else if (base.kind == Val::Array ||
             (base.kind == Val::Path && base.inst && base.inst->isArray &&
              base.element < 0)) {
    error(e.loc, "'" + base.name +
                     "' is an instance array: pick an element first, as in "
                     "'" +
                     base.name + "[0]." + e.name + "'");
    return Val::none();
  } else if (base.kind == Val::Path) {
    prefix = base.name;
    module = base.module;
  } else {
    error(e.loc, "'." + e.name +
                     "' needs an instance on its left (a "
                     "parameter is read as 'instance." +
                     e.name + "')");
    return Val::none();
  }
  if (!module)
    return Val::none(); // its declaration failed (reported)
  for (const ParamSpec &p : module->params)
    if (p.name == e.name) {
      Node *n = addNode(ctx, Op::Param, p.type, e.loc);
      n->index = -1; // by state_dict name, not a model-level param
      n->name = prefix + "." + p.name;
      return Val::tensor(n);
    }
  for (const InstanceSpec &sub : module->instances)
    if (sub.name == e.name) {
      Val v;
      v.kind = Val::Path;
      v.name = prefix + "." + sub.name;
      v.module = sub.module;
      v.inst = &sub;
      v.element = -1;
      return v;
    }
  Diagnostic &d =
      error(e.loc, "'" + prefix + "' (" + module->displayName +
                       ") has no parameter or instance '" + e.name + "'");
  DiagnosticEngine::note(d, module->loc, "module defined here");
  return Val::none();
}

Val Analyzer::evalBinary(const Expr &e, Context &ctx) {
  // Comparisons are non-associative (LANGUAGE.md §6): `a < b < c` is an
  // error, `(a < b) == c` is fine.
  if (ast::isComparison(e.op))
    for (const ast::ExprPtr &operand : e.operands)
      if (operand->kind == ExprKind::Binary && ast::isComparison(operand->op) &&
          !operand->parenthesized) {
        error(e.loc, std::string("comparisons do not chain: '") +
                         ast::binaryOpSpelling(operand->op) + "' and '" +
                         ast::binaryOpSpelling(e.op) +
                         "' need parentheses to say which comes first");
        return Val::none();
      }
  Val a = eval(*e.operands[0], ctx);
  Val b = eval(*e.operands[1], ctx);
  if (a.kind == Val::None || b.kind == Val::None)
    return Val::none();
  return binaryOp(e.op, a, b, e.loc, ctx);
}

Val Analyzer::binaryOp(ast::BinaryOp op, Val a, Val b, SourceLoc loc,
                       Context &ctx) {
  using ast::BinaryOp;
  const char *spelling = ast::binaryOpSpelling(op);
  auto isNum = [](const Val &v) {
    return v.kind == Val::Int || v.kind == Val::Float;
  };
  // Compile-time arithmetic: integers (possibly symbolic) and floats.
  if (isNum(a) && isNum(b)) {
    if (op == BinaryOp::MatMul) {
      error(loc, "'@' needs tensor operands");
      return Val::none();
    }
    if (ast::isComparison(op)) {
      if ((a.kind == Val::Int && !a.dim.isStatic()) ||
          (b.kind == Val::Int && !b.dim.isStatic())) {
        error(loc, "a dyn dimension cannot be compared at compile time");
        return Val::none();
      }
      double x = a.kind == Val::Float ? a.f : double(a.dim.constant);
      double y = b.kind == Val::Float ? b.f : double(b.dim.constant);
      bool r = op == BinaryOp::Lt   ? x < y
               : op == BinaryOp::Le ? x <= y
               : op == BinaryOp::Gt ? x > y
               : op == BinaryOp::Ge ? x >= y
               : op == BinaryOp::Eq ? x == y
                                    : x != y;
      Val v;
      v.kind = Val::Bool;
      v.f = r ? 1.0 : 0.0;
      return v;
    }
    if (a.kind == Val::Int && b.kind == Val::Int) {
      std::optional<Dim> r;
      switch (op) {
      case BinaryOp::Add:
        r = addDims(a.dim, b.dim);
        break;
      case BinaryOp::Sub:
        r = addDims(a.dim, b.dim, -1);
        break;
      case BinaryOp::Mul:
        if (!a.dim.isStatic() && !b.dim.isStatic()) {
          error(loc, "dyn dimensions may only appear linearly; '" +
                         a.dim.str(program_->dyns) + "' * '" +
                         b.dim.str(program_->dyns) + "' is not linear");
          return Val::none();
        }
        r = a.dim.isStatic() ? scaleDim(b.dim, a.dim.constant)
                             : scaleDim(a.dim, b.dim.constant);
        break;
      case BinaryOp::Div: {
        if (!b.dim.isStatic()) {
          error(loc, "cannot divide by the dyn dimension '" +
                         b.dim.str(program_->dyns) + "'");
          return Val::none();
        }
        int64_t k = b.dim.constant;
        if (k == 0) {
          error(loc, "division by zero");
          return Val::none();
        }
        Dim q = Dim::of(0);
        bool exact = a.dim.constant % k == 0;
        q.constant = a.dim.constant / k;
        for (auto [sym, coeff] : a.dim.terms) {
          exact &= coeff % k == 0;
          q.terms.push_back({sym, coeff / k});
        }
        if (!exact && a.dim.isStatic()) {
          // A value, as Python's `/`: 7 / 2 is 3.5 (docs/design.md). Where
          // an integer is needed (a dim, a shape, an index) it is an error.
          Val q = Val::flt(double(a.dim.constant) / double(k));
          q.division =
              std::to_string(a.dim.constant) + " / " + std::to_string(k);
          q.divisionLoc = loc;
          return q;
        }
        if (!exact) {
          std::string num = a.dim.str(program_->dyns);
          if (!a.dim.isStatic() &&
              (a.dim.terms.size() > 1 || a.dim.constant != 0))
            num = "(" + num + ")";
          error(loc, "'" + num + " / " + std::to_string(k) +
                         "' is not an exact integer division");
          return Val::none();
        }
        r = q;
        break;
      }
      default:
        break;
      }
      if (!r) {
        error(loc, "integer overflow: the result does not fit in 2^62");
        return Val::none();
      }
      return Val::integer(*r);
    }
    if ((a.kind == Val::Int && !a.dim.isStatic()) ||
        (b.kind == Val::Int && !b.dim.isStatic())) {
      error(loc, "a dyn dimension cannot be combined with a float");
      return Val::none();
    }
    double x = a.kind == Val::Float ? a.f : double(a.dim.constant);
    double y = b.kind == Val::Float ? b.f : double(b.dim.constant);
    double r = op == BinaryOp::Add   ? x + y
               : op == BinaryOp::Sub ? x - y
               : op == BinaryOp::Mul ? x * y
                                     : x / y;
    if (op == BinaryOp::Div && y == 0.0) {
      error(loc, "division by zero");
      return Val::none();
    }
    // (7 / 2) * 2 is still no integer: keep the division to report it.
    Val v = Val::flt(r);
    const Val &from = a.division.empty() ? b : a;
    v.division = from.division;
    v.divisionLoc = from.divisionLoc;
    return v;
  }

  // Tensor arithmetic; a number takes the other operand's element type.
  if (a.kind != Val::Tensor && !isNum(a)) {
    error(loc, std::string("left operand of '") + spelling +
                   "' is not a tensor or a number");
    return Val::none();
  }
  if (b.kind != Val::Tensor && !isNum(b)) {
    error(loc, std::string("right operand of '") + spelling +
                   "' is not a tensor or a number");
    return Val::none();
  }
  auto toNode = [&](const Val &v, ElemType elem) -> Node * {
    if (v.kind == Val::Tensor)
      return v.node;
    if (v.kind == Val::Int && !v.dim.isStatic()) {
      error(loc, "a dyn dimension cannot be used as a tensor value");
      return nullptr;
    }
    if (!isFloatType(elem) && v.kind == Val::Float) {
      error(loc, std::string("float literal used with an integer tensor of "
                             "type ") +
                     ast::elemTypeName(elem));
      return nullptr;
    }
    return constNode(ctx, elem, v, loc);
  };
  ElemType elem = a.kind == Val::Tensor ? a.node->type.elem : b.node->type.elem;
  Node *x = toNode(a, elem);
  Node *y = toNode(b, elem);
  if (!x || !y)
    return Val::none();
  if (x->type.elem != y->type.elem) {
    error(loc, std::string("element types differ: ") +
                   ast::elemTypeName(x->type.elem) + " " + spelling + " " +
                   ast::elemTypeName(y->type.elem) + " (use cast)");
    return Val::none();
  }
  if (!ast::isComparison(op) &&
      !requireArithmetic(x->type, loc, std::string("'") + spelling + "'"))
    return Val::none();
  if (op == BinaryOp::MatMul) {
    if (x->type.rank() == 0 || y->type.rank() == 0) {
      error(loc, "operands of '@' must have rank 1 or more, got " +
                     typeStr(x->type) + " and " + typeStr(y->type));
      return Val::none();
    }
    std::string why;
    auto shape = matmulShape(x->type.shape, y->type.shape, why, program_->dyns);
    if (!shape) {
      error(loc,
            why + " (" + typeStr(x->type) + " @ " + typeStr(y->type) + ")");
      return Val::none();
    }
    // A product contracting the rows of a module mixes them.
    if (!checkRowIndependent(x->type, int64_t(x->type.rank()) - 1, loc, "'@'",
                             ctx))
      return Val::none();
    return Val::tensor(addNode(ctx, Op::MatMul, {elem, *shape}, loc, {x, y}));
  }
  auto shape = broadcastShapes(x->type.shape, y->type.shape);
  if (!shape) {
    error(loc, std::string("shapes do not broadcast: ") + typeStr(x->type) +
                   " " + spelling + " " + typeStr(y->type));
    return Val::none();
  }
  if (ast::isComparison(op)) {
    Node *n = addNode(ctx, Op::Compare, {ElemType::Bool, *shape}, loc, {x, y});
    n->index = int64_t(op);
    return Val::tensor(n);
  }
  Op nodeOp = op == BinaryOp::Add   ? Op::Add
              : op == BinaryOp::Sub ? Op::Sub
              : op == BinaryOp::Mul ? Op::Mul
                                    : Op::Div;
  return Val::tensor(addNode(ctx, nodeOp, {elem, *shape}, loc, {x, y}));
}

bool Analyzer::requireArithmetic(const TensorType &t, SourceLoc loc,
                                 const std::string &what) {
  if (t.elem != ElemType::Bool)
    return true;
  error(loc, what + " does arithmetic, got " + typeStr(t) +
                 " (cast it to f32 or i64 first)");
  return false;
}

Val Analyzer::evalCall(const Expr &e, Context &ctx) {
  Val callee = evalCallee(*e.operands[0], ctx);
  if (callee.kind == Val::None)
    return callee;
  std::vector<Val> args;
  for (size_t i = 1; i < e.operands.size(); ++i) {
    if (!e.argNames[i - 1].empty() && callee.kind != Val::Builtin) {
      // Routers are builtins too, reached through `route ... by`.
      error(e.argNameLocs[i - 1], "named arguments are only for builtins");
      return Val::none();
    }
    args.push_back(eval(*e.operands[i], ctx));
    if (args.back().kind == Val::None)
      return Val::none();
  }
  if (callee.kind == Val::Builtin)
    return evalBuiltin(e, callee.name, args, ctx);
  if (callee.kind == Val::Tensor || callee.kind == Val::Int ||
      callee.kind == Val::Float || callee.kind == Val::Bool ||
      callee.kind == Val::List || callee.kind == Val::TypeName ||
      callee.kind == Val::Tuple) {
    const Expr &ce = *e.operands[0];
    std::string what = callee.kind == Val::Tensor     ? "a tensor"
                       : callee.kind == Val::List     ? "a list"
                       : callee.kind == Val::Tuple    ? "a tuple"
                       : callee.kind == Val::TypeName ? "an element type"
                                                      : "a number";
    error(e.loc, (ce.kind == ExprKind::Name ? "'" + ce.name + "' is "
                                            : std::string("this is ")) +
                     what + " and cannot be called");
    return Val::none();
  }
  return apply(callee, std::move(args), e.loc, ctx);
}

std::optional<TensorType>
Analyzer::unifyCall(const InstanceSpec &inst,
                    const std::vector<TensorType> &args, SourceLoc loc,
                    const ModuleSpec **callee) {
  const ModuleSpec *called = inst.module;
  if (args.size() == called->argTypes.size() && called->batchRank >= 0) {
    // `...` stands for the leading dims beyond the named ones; every
    // argument that starts with it must have the same number of them.
    int rank = -1;
    for (size_t i = 0; i < args.size(); ++i) {
      if (!called->batchedArgs[i])
        continue;
      int named = int(called->argTypes[i].rank()) - called->batchRank;
      int k = int(args[i].rank()) - named;
      if (k < 0 || (rank >= 0 && k != rank)) {
        Diagnostic &d =
            error(loc, "argument " + std::to_string(i + 1) + " of '" +
                           inst.name + "' has type " + typeStr(args[i]) +
                           ", but " + called->displayName + " expects " +
                           (k < 0 ? "rank " + std::to_string(named) +
                                        " or more (the dims after '...')"
                                  : "the " + std::to_string(rank) +
                                        " leading dims '...' stands for in the "
                                        "arguments before it"));
        DiagnosticEngine::note(d, called->loc, "module defined here");
        return std::nullopt;
      }
      rank = k;
    }
    called = batchVariant(*called, rank);
  }
  if (callee)
    *callee = called;
  const ModuleSpec &m = *called;
  if (args.size() != m.argTypes.size()) {
    Diagnostic &d =
        error(loc, "'" + inst.name + "' (" + m.displayName + ") takes " +
                       std::to_string(m.argTypes.size()) + " argument" +
                       (m.argTypes.size() == 1 ? "" : "s") + ", got " +
                       std::to_string(args.size()));
    DiagnosticEngine::note(d, m.loc, "module defined here");
    return std::nullopt;
  }
  // Bind the module's dyn symbols from the arguments, then check.
  std::vector<std::optional<Dim>> subst(program_->dyns.size());
  int bad = bindSignature(m.argTypes, args, subst);
  if (bad >= 0) {
    Diagnostic &d =
        error(loc, "argument " + std::to_string(bad + 1) + " of '" + inst.name +
                       "' has type " + typeStr(args[bad]) + ", but " +
                       m.displayName + " expects " + typeStr(m.argTypes[bad]));
    DiagnosticEngine::note(d, m.loc, "module defined here");
    return std::nullopt;
  }
  auto result = substituteType(m.resultType, subst);
  if (!result)
    error(loc, "integer overflow in the result shape");
  return result;
}

Val Analyzer::apply(const Val &callee, std::vector<Val> args, SourceLoc loc,
                    Context &ctx) {
  if (callee.kind == Val::Builtin) {
    const vocab::Entry *entry =
        vocab::lookup(vocab::Kind::Builtin, callee.name);
    if (!entry || entry->rule != vocab::Rule::Elementwise) {
      error(loc, "builtin '" + callee.name + "' cannot be used in a pipe");
      return Val::none();
    }
    if (args.size() != 1 || args[0].kind != Val::Tensor) {
      error(loc, "'" + callee.name + "' needs one tensor argument");
      return Val::none();
    }
    const TensorType &type = args[0].node->type;
    if (entry->args[0].type == vocab::ArgType::FloatTensor &&
        !isFloatType(type.elem)) {
      error(loc, "'" + callee.name + "' needs a floating-point tensor, got " +
                     typeStr(type));
      return Val::none();
    }
    if (!requireArithmetic(type, loc, "'" + callee.name + "'"))
      return Val::none();
    Node *n = addNode(ctx, Op::Unary, type, loc, {args[0].node});
    n->name = callee.name;
    n->builtin = entry->builtin();
    return Val::tensor(n);
  }
  if (callee.kind == Val::Array) {
    error(loc, "'" + callee.name +
                   "' is an instance array: apply one element ('" +
                   callee.name + "[i](...)') or pipe into it");
    return Val::none();
  }
  if (callee.kind == Val::Module) {
    error(loc, "'" + callee.name +
                   "' is a module: declare an instance of it and apply that");
    return Val::none();
  }
  if (callee.kind == Val::Entry)
    return callEntry(callee, std::move(args), loc, ctx);
  if (callee.kind != Val::Instance) {
    error(loc, "this value cannot be called");
    return Val::none();
  }
  const InstanceSpec &inst = (*ctx.instances)[callee.index];
  std::vector<TensorType> argTypes;
  std::vector<Node *> operands;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i].kind != Val::Tensor) {
      error(loc, "argument " + std::to_string(i + 1) + " of '" + inst.name +
                     "' must be a tensor");
      return Val::none();
    }
    argTypes.push_back(args[i].node->type);
    operands.push_back(args[i].node);
  }
  const ModuleSpec *called = nullptr;
  auto resultType = unifyCall(inst, argTypes, loc, &called);
  if (!resultType)
    return Val::none();
  TensorType result = *resultType;
  // What the call becomes once inlined counts: a chain of modules that
  // each apply the next twice is small as source and exponential as code.
  if (!spendInlined(loc, inlinedSize(called ? *called : *inst.module)))
    return Val::none();
  Node *n = addNode(ctx, Op::Apply, result, loc, operands);
  if (called != inst.module)
    n->callee = called;
  n->index = callee.index;
  n->element = callee.element;
  n->name = inst.name;
  return Val::tensor(n);
}

} // namespace detail
} // namespace modc
