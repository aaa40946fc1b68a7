//===- Sema.cpp - Semantic analysis of .mod files -------------------------===//
//
// Elaboration is an interpreter over compile-time values: dims, template
// parameters and literals fold to numbers, `for` loops unroll, and tensor
// expressions become Nodes of a dataflow graph with checked types.
//
//===----------------------------------------------------------------------===//

#include "dsl/Analyzer.h"

namespace modc {
namespace detail {

std::optional<int64_t> Analyzer::evalDim(const std::string &name) {
  auto known = dimValues_.find(name);
  if (known != dimValues_.end())
    return known->second;
  if (dimsFailed_.count(name))
    return std::nullopt;
  const ast::DimDecl *decl = dimDecls_.at(name);
  auto active = std::find(dimStack_.begin(), dimStack_.end(), name);
  if (active != dimStack_.end()) {
    std::string msg = "dim '" + name + "' is defined through itself";
    if (dimStack_.end() - active > 1) {
      msg += " (";
      for (auto it = active; it != dimStack_.end(); ++it)
        msg += *it + " -> ";
      msg += name + ")";
    }
    error(decl->loc, msg);
    // Every dim on the cycle fails with this one error.
    dimsFailed_.insert(active, dimStack_.end());
    return std::nullopt;
  }
  auto over = options_.dimOverrides.find(name);
  if (over != options_.dimOverrides.end()) {
    dimValues_[name] = over->second;
    return over->second;
  }
  dimStack_.push_back(name);
  Context ctx;
  Body scratch;
  ctx.body = &scratch;
  auto v = constInt(*decl->value, ctx, "a dim");
  dimStack_.pop_back();
  if (!v) {
    dimsFailed_.insert(name);
    return std::nullopt;
  }
  dimValues_[name] = *v;
  return v;
}

namespace {
void collectNames(const Expr &e, std::vector<std::string> &out) {
  if (e.kind == ExprKind::Name)
    out.push_back(e.name);
  for (const ast::ExprPtr &op : e.operands)
    collectNames(*op, out);
}
} // namespace

void Analyzer::orderDims() {
  // Depth-first over "is defined through", iteratively: a chain of 100000
  // dims declared last-first must not recurse 100000 deep in evalDim.
  std::map<std::string, std::vector<std::string>> deps;
  for (auto &[name, decl] : dimDecls_) {
    if (options_.dimOverrides.count(name))
      continue;
    std::vector<std::string> names;
    collectNames(*decl->value, names);
    for (const std::string &n : names)
      if (dimDecls_.count(n))
        deps[name].push_back(n);
  }
  enum Color { Unseen, Active, Done };
  std::map<std::string, Color> color;
  std::vector<std::string> order;
  for (const ast::DimDecl &d : file_.dims) {
    if (!dimDecls_.count(d.name) || color[d.name] != Unseen)
      continue;
    std::vector<std::pair<std::string, size_t>> stack = {{d.name, 0}};
    color[d.name] = Active;
    while (!stack.empty()) {
      std::string name = stack.back().first;
      size_t next = stack.back().second;
      const std::vector<std::string> &ds = deps[name];
      if (next == ds.size()) {
        color[name] = Done;
        order.push_back(name);
        stack.pop_back();
        continue;
      }
      ++stack.back().second;
      const std::string &dep = ds[next];
      if (color[dep] == Unseen) {
        color[dep] = Active;
        stack.push_back({dep, 0});
        continue;
      }
      if (color[dep] != Active || dimsFailed_.count(dep))
        continue;
      // A cycle: the stack from `dep` up is its chain.
      size_t at = 0;
      while (stack[at].first != dep)
        ++at;
      std::string msg = "dim '" + dep + "' is defined through itself";
      size_t length = stack.size() - at;
      if (length > 1) {
        msg += " (";
        for (size_t k = at; k < stack.size() && k < at + 8; ++k)
          msg += stack[k].first + " -> ";
        if (length > 8)
          msg += "... -> ";
        msg += dep + ")";
      }
      error(dimDecls_.at(dep)->loc, msg);
      for (size_t k = at; k < stack.size(); ++k)
        dimsFailed_.insert(stack[k].first);
    }
  }
  // In this order every dim's dependencies are known before it.
  for (const std::string &name : order)
    evalDim(name);
}

void Analyzer::checkSignatureNames() {
  auto check = [&](const ast::Function &fn) {
    std::map<std::string, SourceLoc> seen;
    auto declare = [&](const std::string &name, SourceLoc loc) {
      auto [it, inserted] = seen.emplace(name, loc);
      if (inserted)
        return;
      Diagnostic &d = error(loc, "redefinition of '" + name + "'");
      DiagnosticEngine::note(d, it->second, "previous definition is here");
    };
    for (const ast::TemplateParam &tp : fn.templateParams)
      declare(tp.name, tp.loc);
    for (const ast::Arg &a : fn.args)
      declare(a.name, a.loc);
  };
  for (auto &m : file_.modules)
    check(*m);
  for (auto &e : file_.entries)
    check(*e);
}

std::optional<SourceLoc> Analyzer::functionScopeName(const std::string &name,
                                                     const Context &ctx) const {
  if (ctx.fn) {
    for (const ast::Arg &a : ctx.fn->args)
      if (a.name == name)
        return a.loc;
    for (const ast::TemplateParam &tp : ctx.fn->templateParams)
      if (tp.name == name)
        return tp.loc;
  }
  // Model-level members are visible in entries only.
  const Members &members = *ctx.members;
  auto p = members.params.find(name);
  if (p != members.params.end())
    return (*ctx.params)[p->second].loc;
  auto i = members.instances.find(name);
  if (i != members.instances.end())
    return (*ctx.instances)[i->second].loc;
  auto failed = members.failed.find(name);
  if (failed != members.failed.end())
    return failed->second;
  return std::nullopt;
}

namespace {
size_t countNodes(const Expr *e) {
  if (!e)
    return 0;
  size_t n = 1;
  for (const ast::ExprPtr &op : e->operands)
    n += countNodes(op.get());
  return n;
}
size_t countNodes(const std::vector<ast::StmtPtr> &stmts) {
  size_t n = 0;
  for (const ast::StmtPtr &s : stmts)
    n += 1 + countNodes(s->value.get()) + countNodes(s->lo.get()) +
         countNodes(s->hi.get()) + countNodes(s->body);
  return n;
}
} // namespace

bool Analyzer::spend(SourceLoc loc, uint64_t units) {
  // Unrolled loops and pipes through arrays multiply: bound the total so
  // that no program makes the checker run for long. Straight-line code does
  // at most a few units per AST node, so the budget grows with the file and
  // only unrolling can exhaust it.
  if (workBudget_ == 0) {
    size_t nodes = 0;
    for (auto &fn : file_.modules)
      nodes += countNodes(fn->body);
    for (auto &fn : file_.entries)
      nodes += countNodes(fn->body);
    workBudget_ = 500000 + 4 * uint64_t(nodes);
  }
  work_ += units;
  if (work_ <= workBudget_)
    return true;
  if (!workExceeded_) {
    workExceeded_ = true;
    error(loc, "the program unrolls to more than " +
                   std::to_string(workBudget_) +
                   " operations (nested 'for' loops, template instantiations, "
                   "pipes or routes through large instance arrays)");
  }
  return false;
}

std::pair<int64_t, int64_t> Analyzer::paramFootprint(const ModuleSpec &m) {
  auto memo = footprints_.find(&m);
  if (memo != footprints_.end())
    return memo->second;
  auto sat = [](int64_t a, int64_t b, bool mul) {
    int64_t r;
    bool over = mul ? __builtin_mul_overflow(a, b, &r)
                    : __builtin_add_overflow(a, b, &r);
    return over || r > kMaxDim ? kMaxDim : r;
  };
  int64_t tensors = 0, elements = 0;
  for (const ParamSpec &p : m.params) {
    int64_t n = 1;
    for (const Dim &d : p.type.shape)
      n = sat(n, d.constant, true);
    tensors = sat(tensors, 1, false);
    elements = sat(elements, n, false);
  }
  for (const InstanceSpec &inst : m.instances) {
    if (!inst.module)
      continue;
    auto [t, e] = paramFootprint(*inst.module);
    tensors = sat(tensors, sat(t, inst.count, true), false);
    elements = sat(elements, sat(e, inst.count, true), false);
  }
  footprints_[&m] = {tensors, elements};
  return {tensors, elements};
}

void Analyzer::collectGlobals() {
  std::map<std::string, SourceLoc> values, callables;
  auto declare = [&](std::map<std::string, SourceLoc> &ns,
                     const std::string &name, SourceLoc loc,
                     bool callable) -> bool {
    if (callable && vocab::isReserved(name)) {
      error(loc, "'" + name + "' is the name of a builtin and cannot be " +
                     "redefined");
      return false;
    }
    auto [it, inserted] = ns.emplace(name, loc);
    if (!inserted) {
      Diagnostic &d = error(loc, "redefinition of '" + name + "'");
      DiagnosticEngine::note(d, it->second, "previous definition is here");
      return false;
    }
    return true;
  };
  for (const ast::DimDecl &d : file_.dims)
    if (declare(values, d.name, d.loc, false))
      dimDecls_[d.name] = &d;
  for (const ast::DynDecl &d : file_.dyns)
    if (declare(values, d.name, d.loc, false)) {
      dynIndex_[d.name] = int(program_->dyns.size());
      program_->dyns.push_back(d.name);
    }
  for (auto &p : file_.params)
    declare(values, p->name, p->loc, false);
  for (auto &m : file_.modules)
    if (declare(callables, m->name, m->nameLoc, true))
      moduleDefs_[m->name] = m.get();
  for (auto &i : file_.instances)
    declare(callables, i->name, i->loc, true);
  for (auto &e : file_.entries)
    if (declare(callables, e->name, e->nameLoc, true))
      entryDefs_[e->name] = e.get();
  for (auto &[name, value] : options_.dimOverrides)
    if (!dimDecls_.count(name))
      error({}, "-D " + name + ": the file declares no dim '" + name + "'");
}

std::unique_ptr<Program> Analyzer::run() {
  program_ = std::make_unique<Program>();
  if (!file_.hasModel) {
    error({1, 1}, "the file must start with 'model NAME;'");
  } else {
    program_->modelName = file_.modelName;
    if (!file_.modelFirst)
      error(file_.modelLoc, "'model' must be the first declaration");
  }
  for (SourceLoc loc : file_.extraModelLocs)
    error(loc, "a file declares one model");
  collectGlobals();
  checkSignatureNames();

  orderDims();
  for (const ast::DimDecl &d : file_.dims) {
    if (dimDecls_.count(d.name) && dimDecls_[d.name] == &d) {
      auto v = evalDim(d.name);
      if (v && (*v < 0 || *v > kMaxDim))
        error(d.loc, "dim '" + d.name + "' must be between 0 and 2^62, got " +
                         std::to_string(*v));
      if (v)
        program_->dims.push_back({d.name, *v});
    }
  }

  // Model-level parameters and instances, in declaration order.
  Context model;
  Body scratch;
  model.body = &scratch;
  model.params = &program_->params;
  model.instances = &program_->instances;
  std::vector<std::pair<unsigned, std::pair<int, int>>> order;
  for (size_t i = 0; i < file_.params.size(); ++i)
    order.push_back({file_.params[i]->order, {0, int(i)}});
  for (size_t i = 0; i < file_.instances.size(); ++i)
    order.push_back({file_.instances[i]->order, {1, int(i)}});
  std::sort(order.begin(), order.end());
  for (auto &[ord, member] : order) {
    (void)ord;
    if (member.first == 0) {
      ParamSpec spec;
      const ast::ParamDef &def = *file_.params[member.second];
      if (!buildParam(def, model, spec)) {
        failedModelMembers_.emplace(def.name, def.loc);
        continue;
      }
      program_->memberOrder.push_back({0, int(program_->params.size())});
      program_->params.push_back(std::move(spec));
      continue;
    }
    InstanceSpec spec;
    const ast::InstanceDef &def = *file_.instances[member.second];
    if (!buildInstance(def, &model, spec)) {
      failedModelMembers_.emplace(def.name, def.loc);
      continue;
    }
    program_->memberOrder.push_back({1, int(program_->instances.size())});
    program_->instances.push_back(std::move(spec));
  }

  // Modules nobody instantiates are still checked, with their defaults
  // where every template parameter has one.
  for (auto &def : file_.modules) {
    if (!def->templateParams.empty() || diags_.limitReached())
      continue;
    // A redefinition (reported) is not checked on its own.
    auto known = moduleDefs_.find(def->name);
    if (known == moduleDefs_.end() || known->second != def.get())
      continue;
    ast::InstanceDef probe;
    probe.loc = def->nameLoc;
    probe.module = def->name;
    probe.moduleLoc = def->nameLoc;
    bool ok = true;
    instantiate(probe, nullptr, ok);
  }

  for (auto &e : file_.entries) {
    if (diags_.limitReached())
      break;
    if (entryDefs_.count(e->name) && entryDefs_[e->name] == e.get())
      requireEntry(e->name, e->nameLoc);
  }
  checkModelSize();
  if (diags_.hasErrors())
    return nullptr;
  return std::move(program_);
}

void Analyzer::checkModelSize() {
  // kMaxParamTensors: far above any real model, low enough that listing the
  // parameters stays instantaneous.
  constexpr int64_t kMaxParamTensors = int64_t(1) << 22;
  int64_t tensors = 0, elements = 0;
  for (auto [kind, index] : program_->memberOrder) {
    SourceLoc loc;
    int64_t t = 1, n = 1;
    if (kind == 0) {
      const ParamSpec &p = program_->params[index];
      loc = p.loc;
      for (const Dim &d : p.type.shape)
        if (__builtin_mul_overflow(n, d.constant, &n) || n > kMaxDim)
          n = kMaxDim;
    } else {
      const InstanceSpec &inst = program_->instances[index];
      if (!inst.module)
        continue;
      loc = inst.loc;
      std::tie(t, n) = paramFootprint(*inst.module);
      if (__builtin_mul_overflow(t, inst.count, &t) || t > kMaxDim)
        t = kMaxDim;
      if (__builtin_mul_overflow(n, inst.count, &n) || n > kMaxDim)
        n = kMaxDim;
    }
    tensors += t;
    elements = n >= kMaxDim - elements ? kMaxDim : elements + n;
    if (tensors > kMaxParamTensors) {
      error(loc, "the model has more than " + std::to_string(kMaxParamTensors) +
                     " parameter tensors");
      return;
    }
    if (elements >= kMaxDim) {
      error(loc, "the model has 2^62 or more parameter elements");
      return;
    }
  }
}

bool Analyzer::buildType(const ast::TypeExpr &t, Context &ctx, TensorType &out,
                         bool allowDyn) {
  out.elem = t.elem;
  out.shape.clear();
  bool ok = true;
  if (t.elem == ElemType::F16 || t.elem == ElemType::BF16 ||
      t.elem == ElemType::Bool) {
    error(t.loc, std::string("element type '") + ast::elemTypeName(t.elem) +
                     "' is not supported yet (v0.1 supports f32, i32, i64)");
    ok = false;
  }
  for (const ast::ExprPtr &d : t.dims) {
    Val v = eval(*d, ctx);
    if (v.kind == Val::None) {
      ok = false;
      continue;
    }
    if (v.kind != Val::Int) {
      if (!reportInexactDivision(v))
        error(d->loc, "a dimension must be an integer expression");
      ok = false;
      continue;
    }
    if (!v.dim.isStatic() && !allowDyn) {
      error(d->loc, "a parameter's shape must be static, but '" +
                        v.dim.str(program_->dyns) + "' depends on a dyn");
      ok = false;
      continue;
    }
    if (v.dim.isStatic() && v.dim.constant < 0) {
      error(d->loc, "dimension must not be negative, got " +
                        std::to_string(v.dim.constant));
      ok = false;
      continue;
    }
    out.shape.push_back(v.dim);
  }
  return ok;
}

bool Analyzer::buildParam(const ast::ParamDef &def, Context &ctx,
                          ParamSpec &out) {
  out.name = def.name;
  out.loc = def.loc;
  out.frozen = def.frozen;
  if (!buildType(def.type, ctx, out.type, /*allowDyn=*/false))
    return false;
  int64_t elements = 1;
  for (const Dim &d : out.type.shape)
    if (__builtin_mul_overflow(elements, d.constant, &elements) ||
        elements >= kMaxDim) {
      error(def.loc, "parameter '" + def.name + "' has 2^62 or more elements");
      return false;
    }
  if (!def.init) {
    out.init = InitKind::Zeros;
    return true;
  }
  const ast::Initializer &init = *def.init;
  static const std::map<std::string, std::pair<InitKind, size_t>> kinds = {
      {"zeros", {InitKind::Zeros, 0}},     {"ones", {InitKind::Ones, 0}},
      {"const", {InitKind::Const, 1}},     {"normal", {InitKind::Normal, 2}},
      {"uniform", {InitKind::Uniform, 2}}, {"xavier", {InitKind::Xavier, 0}}};
  auto it = kinds.find(init.kind);
  if (it == kinds.end()) {
    error(init.loc, "unknown initialiser '" + init.kind +
                        "' (expected zeros, ones, const, normal, uniform or "
                        "xavier)");
    return false;
  }
  out.init = it->second.first;
  if (init.args.size() != it->second.second) {
    error(init.loc, "initialiser '" + init.kind + "' takes " +
                        std::to_string(it->second.second) + " argument" +
                        (it->second.second == 1 ? "" : "s") + ", got " +
                        std::to_string(init.args.size()));
    return false;
  }
  if (it->second.second == 0 && init.hasParens) {
    error(init.loc, "initialiser '" + init.kind + "' takes no arguments");
    return false;
  }
  for (const ast::ExprPtr &a : init.args) {
    auto v = constNumber(*a, ctx, "an initialiser argument");
    if (!v)
      return false;
    out.initArgs.push_back(*v);
  }
  if (out.init == InitKind::Normal && out.initArgs[1] < 0) {
    error(init.args[1]->loc, "normal(): the standard deviation must not be "
                             "negative");
    return false;
  }
  if (out.init == InitKind::Uniform && out.initArgs[1] < out.initArgs[0]) {
    error(init.args[1]->loc, "uniform(): the upper bound is below the lower");
    return false;
  }
  return true;
}

bool Analyzer::buildInstance(const ast::InstanceDef &def, Context *ctx,
                             InstanceSpec &out) {
  out.name = def.name;
  out.loc = def.loc;
  out.frozen = def.frozen;
  if (def.count) {
    out.isArray = true;
    Context scratchCtx;
    Body scratch;
    scratchCtx.body = &scratch;
    Context &c = ctx ? *ctx : scratchCtx;
    auto n = constInt(*def.count, c, "an instance array size");
    if (!n)
      return false;
    if (*n < 1 || *n > 1000000) {
      error(def.count->loc, "an instance array needs between 1 and 1000000 "
                            "elements, got " +
                                std::to_string(*n));
      return false;
    }
    out.count = *n;
  }
  bool ok = true;
  out.module = instantiate(def, ctx, ok);
  return ok && out.module;
}

ModuleSpec *Analyzer::instantiate(const ast::InstanceDef &def, Context *outer,
                                  bool &ok) {
  auto defIt = moduleDefs_.find(def.module);
  if (defIt == moduleDefs_.end()) {
    if (entryDefs_.count(def.module))
      error(def.moduleLoc, "'" + def.module +
                               "' is an entry, not a module; only modules "
                               "can be instantiated");
    else
      error(def.moduleLoc, "unknown module '" + def.module + "'");
    ok = false;
    return nullptr;
  }
  const ast::Function &fn = *defIt->second;
  if (def.templateArgs.size() > fn.templateParams.size()) {
    Diagnostic &d = error(
        def.moduleLoc, "module '" + fn.name + "' takes " +
                           std::to_string(fn.templateParams.size()) +
                           " template argument" +
                           (fn.templateParams.size() == 1 ? "" : "s") +
                           ", got " + std::to_string(def.templateArgs.size()));
    DiagnosticEngine::note(d, fn.nameLoc, "'" + fn.name + "' is defined here");
    ok = false;
    return nullptr;
  }

  // Evaluate the arguments in the instantiating scope, defaults in the
  // module's own (earlier parameters visible).
  Context tctx;
  Body scratch;
  tctx.body = &scratch;
  Context scratchOuter;
  Body scratchOuterBody;
  scratchOuter.body = &scratchOuterBody;
  Context &argCtx = outer ? *outer : scratchOuter;
  std::string mangled = fn.name, display = fn.name + "<";
  for (size_t i = 0; i < fn.templateParams.size(); ++i) {
    const ast::TemplateParam &tp = fn.templateParams[i];
    Val v;
    if (i < def.templateArgs.size()) {
      v = eval(*def.templateArgs[i], argCtx);
    } else if (tp.defaultValue) {
      v = eval(*tp.defaultValue, tctx);
    } else {
      Diagnostic &d =
          error(def.moduleLoc, "missing template argument '" + tp.name +
                                   "' of module '" + fn.name + "'");
      DiagnosticEngine::note(d, tp.loc, "'" + tp.name + "' is declared here");
      ok = false;
      return nullptr;
    }
    SourceLoc vloc = i < def.templateArgs.size() ? def.templateArgs[i]->loc
                                                 : tp.defaultValue->loc;
    if (v.kind == Val::None) {
      ok = false;
      return nullptr;
    }
    if (tp.isFloat) {
      if (v.isStaticInt())
        v = Val::flt(double(v.dim.constant));
      if (v.kind != Val::Float) {
        error(vloc, "template parameter '" + tp.name +
                        "' needs a compile-time float");
        ok = false;
        return nullptr;
      }
    } else if (!v.isStaticInt()) {
      if (reportInexactDivision(v)) {
        ok = false;
        return nullptr;
      }
      error(vloc,
            "template parameter '" + tp.name +
                "' needs a compile-time integer" +
                (v.kind == Val::Float ? " (declare it 'float' to pass a float)"
                                      : ""));
      ok = false;
      return nullptr;
    }
    std::string text = v.kind == Val::Float ? formatFloat(v.f)
                                            : std::to_string(v.dim.constant);
    display += (i ? ", " : "") + text;
    std::string sym = text;
    for (char &c : sym)
      if (!std::isalnum((unsigned char)c))
        c = c == '-' ? 'm' : 'p';
    mangled += "_" + sym;
    tctx.templateArgs[tp.name] = v;
  }
  display += ">";
  if (fn.templateParams.empty())
    display = fn.name;

  // Before the memo: a module met again while its body is being elaborated
  // is a cycle, whatever its template arguments.
  for (size_t i = 0; i < instantiating_.size(); ++i) {
    if (instantiating_[i] != fn.name)
      continue;
    std::string msg = "module '" + fn.name + "' instantiates itself";
    if (i + 1 < instantiating_.size()) {
      msg += " (";
      for (size_t k = i; k < instantiating_.size(); ++k)
        msg += instantiating_[k] + " -> ";
      msg += fn.name + ")";
    }
    Diagnostic &d = error(def.moduleLoc, msg);
    DiagnosticEngine::note(d, fn.nameLoc, "'" + fn.name + "' is defined here");
    ok = false;
    return nullptr;
  }
  auto memo = instantiated_.find(mangled);
  if (memo != instantiated_.end())
    return memo->second;
  if (instantiating_.size() > 64) {
    error(def.moduleLoc, "modules nested more than 64 deep");
    ok = false;
    return nullptr;
  }

  auto spec = std::make_unique<ModuleSpec>();
  ModuleSpec *m = spec.get();
  program_->modules.push_back(std::move(spec));
  instantiated_[mangled] = m;
  m->mangledName = mangled;
  m->displayName = display;
  m->loc = fn.nameLoc;
  instantiating_.push_back(fn.name);
  size_t firstDiag = diags_.numDiagnostics();

  tctx.module = m;
  tctx.fn = &fn;
  tctx.params = &m->params;
  tctx.instances = &m->instances;
  tctx.body = &m->body;
  for (const ast::Arg &a : fn.args) {
    TensorType t;
    if (!buildType(a.type, tctx, t, /*allowDyn=*/true))
      ok = false;
    m->argNames.push_back(a.name);
    m->argTypes.push_back(t);
  }
  std::vector<TensorType> results;
  for (const ast::TypeExpr &r : fn.results) {
    TensorType t;
    if (!buildType(r, tctx, t, /*allowDyn=*/true))
      ok = false;
    results.push_back(t);
  }
  if (fn.tupleResult) {
    error(fn.results.front().loc, "a module returns one tensor");
    ok = false;
  }
  if (!results.empty())
    m->resultType = results.front();
  tctx.argNames = m->argNames;
  tctx.argTypes = m->argTypes;
  tctx.moduleDisplay = m->displayName;
  if (!m->argTypes.empty() && m->argTypes[0].rank() > 0) {
    const Dim &lead = m->argTypes[0].shape[0];
    if (lead.constant == 0 && lead.terms.size() == 1 &&
        lead.terms[0].second == 1)
      tctx.leadingDyn = lead.terms[0].first;
  }
  if (ok)
    elaborateBody(fn.body, tctx, fn, results);
  instantiating_.pop_back();
  // Errors inside a template say which instantiation they come from.
  if (!fn.templateParams.empty() && def.loc.line != 0)
    diags_.noteSince(firstDiag, def.moduleLoc,
                     "in " + display + ", instantiated here");
  return m;
}

void Analyzer::elaborateBody(const std::vector<ast::StmtPtr> &stmts,
                             Context &ctx, const ast::Function &fn,
                             const std::vector<TensorType> &resultTypes) {
  for (size_t i = 0; i < ctx.argTypes.size(); ++i) {
    Node *n = addNode(ctx, Op::Arg, ctx.argTypes[i], fn.args[i].loc);
    n->index = int64_t(i);
    n->name = ctx.argNames[i];
    ctx.argNodes.push_back(n);
  }
  ctx.scopes.emplace_back();
  std::vector<Val> returned;
  bool sawReturn = false;
  SourceLoc returnLoc;
  bool ok = execStmts(stmts, ctx, returned, sawReturn, returnLoc);
  if (diags_.limitReached())
    return;
  // The returned value is still checked after errors in other statements:
  // a value that failed is None and reports nothing more.
  if (!sawReturn) {
    if (ok)
      error(fn.nameLoc, "'" + fn.name + "' has no return statement");
    return;
  }
  if (returned.size() != resultTypes.size()) {
    error(returnLoc, "'" + fn.name + "' returns " +
                         std::to_string(resultTypes.size()) + " value" +
                         (resultTypes.size() == 1 ? "" : "s") + ", got " +
                         std::to_string(returned.size()));
    return;
  }
  for (size_t i = 0; i < returned.size(); ++i) {
    Val v = returned[i];
    if (v.kind == Val::None)
      return;
    if (v.kind != Val::Tensor) {
      if (v.kind == Val::Int || v.kind == Val::Float) {
        // A constant result is broadcast to the declared shape.
        error(returnLoc, "a constant cannot be returned; return a tensor");
      } else {
        error(returnLoc, "the returned value is not a tensor");
      }
      return;
    }
    if (v.node->type != resultTypes[i]) {
      Diagnostic &d =
          error(returnLoc, "returned value has type " + typeStr(v.node->type) +
                               " but the declared result is " +
                               typeStr(resultTypes[i]));
      DiagnosticEngine::note(d, fn.results[i].loc, "result declared here");
      return;
    }
    ctx.body->results.push_back(v.node);
  }
}

int Analyzer::requireEntry(const std::string &name, SourceLoc loc) {
  auto state = entryState_.find(name);
  if (state != entryState_.end()) {
    if (state->second == -2) {
      std::string msg = "entry '" + name + "' calls itself";
      auto first = std::find(entryStack_.begin(), entryStack_.end(), name);
      if (entryStack_.end() - first > 1) {
        msg += " (";
        for (auto it = first; it != entryStack_.end(); ++it)
          msg += *it + " -> ";
        msg += name + ")";
      }
      Diagnostic &d = error(loc, msg);
      DiagnosticEngine::note(d, entryDefs_[name]->nameLoc,
                             "'" + name + "' is defined here");
      return -1;
    }
    return state->second >= 0 ? state->second : -1;
  }
  // Each level of an entry calling an entry is a few frames of recursion.
  if (entryStack_.size() >= 256) {
    // Once: the entries above the cut fail with it, and so would the next
    // 256 of a longer chain.
    if (!entryDepthReported_)
      error(loc, "entries call each other more than 256 deep");
    entryDepthReported_ = true;
    return -1;
  }
  entryState_[name] = -2;
  entryStack_.push_back(name);
  size_t before = program_->entries.size();
  elaborateEntry(*entryDefs_.at(name));
  entryStack_.pop_back();
  int index = program_->entries.size() > before
                  ? int(program_->entries.size() - 1)
                  : -3;
  entryState_[name] = index;
  return index >= 0 ? index : -1;
}

void Analyzer::elaborateEntry(const ast::Function &fn) {
  EntrySpec entry;
  entry.name = fn.name;
  entry.loc = fn.nameLoc;
  static const std::set<std::string> lifecycle = {
      "create", "destroy",     "init",  "load",
      "save",   "set_threads", "error", "describe"};
  if (lifecycle.count(fn.name)) {
    error(fn.nameLoc, "an entry cannot be named '" + fn.name + "': NAME_" +
                          fn.name + " is a function of every compiled library");
    return;
  }
  Context ctx;
  ctx.params = &program_->params;
  ctx.instances = &program_->instances;
  ctx.body = &entry.body;
  bool ok = true;
  std::set<int> used;
  for (const ast::Arg &a : fn.args) {
    TensorType t;
    if (!buildType(a.type, ctx, t, /*allowDyn=*/true))
      ok = false;
    for (const Dim &d : t.shape) {
      for (auto [sym, coeff] : d.terms)
        used.insert(sym);
    }
    entry.argNames.push_back(a.name);
    entry.argTypes.push_back(t);
  }
  std::vector<TensorType> results;
  for (const ast::TypeExpr &r : fn.results) {
    TensorType t;
    if (!buildType(r, ctx, t, /*allowDyn=*/true))
      ok = false;
    results.push_back(t);
  }
  // An output's shape must follow from the inputs' sizes.
  for (size_t i = 0; ok && i < results.size(); ++i)
    for (const Dim &d : results[i].shape)
      for (auto [sym, coeff] : d.terms)
        if (!used.count(sym)) {
          error(fn.results[i].loc,
                "result dimension '" + d.str(program_->dyns) + "' uses dyn '" +
                    program_->dyns[sym] + "', which no argument of '" +
                    fn.name + "' determines");
          ok = false;
        }
  if (!ok)
    return;
  entry.dyns.assign(used.begin(), used.end());
  entry.resultTypes = results;
  for (size_t i = 0; i < results.size(); ++i)
    entry.resultNames.push_back(results.size() == 1 ? std::string("y")
                                                    : "y" + std::to_string(i));
  ctx.argNames = entry.argNames;
  ctx.argTypes = entry.argTypes;
  ctx.fn = &fn;
  if (!modelMembers_) {
    modelMembers_ = std::make_shared<Members>();
    modelMembers_->failed.insert(failedModelMembers_.begin(),
                                 failedModelMembers_.end());
    for (size_t i = 0; i < program_->params.size(); ++i)
      modelMembers_->params[program_->params[i].name] = int(i);
    for (size_t i = 0; i < program_->instances.size(); ++i)
      modelMembers_->instances[program_->instances[i].name] = int(i);
  }
  ctx.members = modelMembers_;
  size_t before = diags_.numErrors();
  elaborateBody(fn.body, ctx, fn, results);
  if (diags_.numErrors() == before)
    program_->entries.push_back(std::move(entry));
}

bool Analyzer::execStmts(const std::vector<ast::StmtPtr> &stmts, Context &ctx,
                         std::vector<Val> &returned, bool &sawReturn,
                         SourceLoc &returnLoc) {
  bool ok = true;
  auto lookupLocal =
      [&](const std::string &name) -> std::pair<Val, SourceLoc> * {
    for (auto it = ctx.scopes.rbegin(); it != ctx.scopes.rend(); ++it) {
      auto found = it->find(name);
      if (found != it->end())
        return &found->second;
    }
    return nullptr;
  };
  // A name a `let` or a loop may not take: a local in scope, or a member
  // of the function scope (argument, template parameter, ...).
  auto alreadyDefined = [&](const std::string &name, SourceLoc loc) {
    std::optional<SourceLoc> prev;
    if (auto *local = lookupLocal(name))
      prev = local->second;
    else
      prev = functionScopeName(name, ctx);
    if (!prev)
      return false;
    Diagnostic &d = error(loc, "'" + name + "' is already defined");
    DiagnosticEngine::note(d, *prev, "previous definition is here");
    return true;
  };
  // A module member may not take the name of an argument, a template
  // parameter or another member.
  auto memberClash = [&](const std::string &name, SourceLoc loc) {
    auto prev = functionScopeName(name, ctx);
    if (!prev)
      return false;
    Diagnostic &d = error(loc, "redefinition of '" + name + "'");
    DiagnosticEngine::note(d, *prev, "previous definition is here");
    return true;
  };
  for (const ast::StmtPtr &sp : stmts) {
    if (diags_.limitReached() || !spend(sp->start))
      return false;
    const ast::Stmt &s = *sp;
    if (sawReturn) {
      error(s.start, "statement after 'return'");
      return false;
    }
    switch (s.kind) {
    case ast::StmtKind::Param: {
      if (!ctx.module) {
        error(s.loc, "parameters are declared in modules or at model level");
        ok = false;
        break;
      }
      if (memberClash(s.param->name, s.param->loc)) {
        ok = false;
        break;
      }
      ParamSpec spec;
      if (!buildParam(*s.param, ctx, spec)) {
        ctx.members->failed.emplace(s.param->name, s.param->loc);
        ok = false;
        break;
      }
      ctx.members->params[spec.name] = int(ctx.params->size());
      ctx.module->memberOrder.push_back({0, int(ctx.params->size())});
      ctx.params->push_back(std::move(spec));
      break;
    }
    case ast::StmtKind::Instance: {
      if (!ctx.module) {
        error(s.loc, "instances are declared in modules or at model level");
        ok = false;
        break;
      }
      if (memberClash(s.instance->name, s.instance->loc)) {
        ok = false;
        break;
      }
      InstanceSpec spec;
      if (!buildInstance(*s.instance, &ctx, spec)) {
        ctx.members->failed.emplace(s.instance->name, s.instance->loc);
        ok = false;
        break;
      }
      ctx.members->instances[spec.name] = int(ctx.instances->size());
      ctx.module->memberOrder.push_back({1, int(ctx.instances->size())});
      ctx.instances->push_back(std::move(spec));
      break;
    }
    case ast::StmtKind::Let: {
      if (alreadyDefined(s.name, s.loc)) {
        ok = false;
        break;
      }
      Val v = eval(*s.value, ctx);
      if (v.kind == Val::None)
        ok = false;
      if (v.kind == Val::Tuple) {
        error(s.value->loc,
              "the call returns " + std::to_string(v.elems.size()) +
                  " values; bind them with 'let (" + s.name + ", ...) = ...'");
        v = Val::none();
        ok = false;
      }
      ctx.scopes.back()[s.name] = {v, s.loc};
      break;
    }
    case ast::StmtKind::LetTuple: {
      Val v = eval(*s.value, ctx);
      if (v.kind == Val::None) {
        ok = false;
        break;
      }
      if (v.kind != Val::Tuple) {
        error(s.value->loc, "a tuple 'let' needs a call of an entry that "
                            "returns a tuple");
        ok = false;
        break;
      }
      if (v.elems.size() != s.names.size()) {
        error(s.loc, "the call returns " + std::to_string(v.elems.size()) +
                         " values, but " + std::to_string(s.names.size()) +
                         " names are bound");
        ok = false;
        break;
      }
      for (size_t i = 0; i < s.names.size(); ++i) {
        if (alreadyDefined(s.names[i], s.nameLocs[i])) {
          ok = false;
          continue;
        }
        ctx.scopes.back()[s.names[i]] = {v.elems[i], s.nameLocs[i]};
      }
      break;
    }
    case ast::StmtKind::Assign: {
      auto *prev = lookupLocal(s.name);
      if (!prev) {
        error(s.loc,
              "assignment to '" + s.name + "', which is not a 'let' in scope");
        ok = false;
        break;
      }
      Val v = eval(*s.value, ctx);
      if (v.kind == Val::None || prev->first.kind == Val::None) {
        ok = false;
        break;
      }
      if (prev->first.kind == Val::Tensor && v.kind == Val::Tensor &&
          prev->first.node->type != v.node->type) {
        Diagnostic &d =
            error(s.loc, "'" + s.name + "' is re-bound to a value of type " +
                             typeStr(v.node->type) + ", but it has type " +
                             typeStr(prev->first.node->type));
        DiagnosticEngine::note(d, prev->second,
                               "'" + s.name + "' is defined here");
        ok = false;
        break;
      }
      if (prev->first.kind != v.kind) {
        error(s.loc, "'" + s.name +
                         "' is re-bound to a different kind of "
                         "value");
        ok = false;
        break;
      }
      prev->first = v;
      break;
    }
    case ast::StmtKind::For: {
      auto lo = constInt(*s.lo, ctx, "a loop bound");
      auto hi = constInt(*s.hi, ctx, "a loop bound");
      if (!lo || !hi) {
        ok = false;
        break;
      }
      // Both bounds are within ±2^62: the difference fits in uint64_t.
      if (*hi > *lo && uint64_t(*hi) - uint64_t(*lo) > 4096) {
        error(s.loc, "a 'for' loop is unrolled; more than 4096 iterations "
                     "is not supported");
        ok = false;
        break;
      }
      if (alreadyDefined(s.name, s.nameLocs.front())) {
        ok = false;
        break;
      }
      // An error in the body is reported once, not once per iteration.
      bool bodyOk = true;
      for (int64_t i = *lo; i < *hi && bodyOk; ++i) {
        // Empty bodies cost something too: nested empty loops multiply.
        if (!spend(s.start)) {
          bodyOk = false;
          break;
        }
        ctx.scopes.emplace_back();
        ctx.scopes.back()[s.name] = {Val::integer(Dim::of(i)),
                                     s.nameLocs.front()};
        bool innerReturn = false;
        std::vector<Val> innerReturned;
        bodyOk = execStmts(s.body, ctx, innerReturned, innerReturn, returnLoc);
        ctx.scopes.pop_back();
        if (innerReturn) {
          error(returnLoc, "'return' inside a 'for' loop");
          bodyOk = false;
        }
      }
      ok &= bodyOk;
      break;
    }
    case ast::StmtKind::Return: {
      sawReturn = true;
      returnLoc = s.value->loc;
      if (s.value->kind == ExprKind::Tuple) {
        for (const ast::ExprPtr &e : s.value->operands)
          returned.push_back(eval(*e, ctx));
      } else {
        returned.push_back(eval(*s.value, ctx));
      }
      break;
    }
    }
  }
  return ok;
}

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
  auto iidx = members.instances.find(name);
  if (iidx != members.instances.end()) {
    Val v;
    const InstanceSpec &inst = (*ctx.instances)[iidx->second];
    v.kind = inst.isArray ? Val::Array : Val::Instance;
    v.index = iidx->second;
    v.name = name;
    return v;
  }
  if (dimDecls_.count(name)) {
    auto d = evalDim(name);
    if (!d)
      return Val::none();
    return Val::integer(Dim::of(*d));
  }
  auto dyn = dynIndex_.find(name);
  if (dyn != dynIndex_.end())
    return Val::integer(Dim::symbol(dyn->second));
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
  if (entryDefs_.count(name)) {
    Val v;
    v.kind = Val::Entry;
    v.name = name;
    return v;
  }
  // Names that exist at model level but are out of reach here.
  bool modelParam = false, modelInstance = false;
  for (auto &p : file_.params)
    modelParam |= p->name == name;
  for (auto &i : file_.instances)
    modelInstance |= i->name == name;
  if (ctx.module && (modelParam || modelInstance)) {
    error(e.loc, "'" + name + "' is a model-level " +
                     (modelParam ? "parameter" : "instance") +
                     "; a module may use only its own parameters, instances "
                     "and arguments");
    return Val::none();
  }
  if (modelParam || modelInstance) {
    // Template arguments and array sizes at model level are compile-time.
    error(e.loc, "'" + name + "' is a model-level " +
                     (modelParam ? "parameter" : "instance") +
                     ", not a compile-time value");
    return Val::none();
  }
  error(e.loc, "unknown name '" + name + "'");
  return Val::none();
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
    if (x.kind == Val::Tensor)
      return Val::tensor(addNode(ctx, Op::Neg, x.node->type, e.loc, {x.node}));
    error(e.loc, "unary '-' needs a number or a tensor");
    return Val::none();
  }
  case ExprKind::Binary:
    return evalBinary(e, ctx);
  case ExprKind::Pipe: {
    Val x = eval(*e.operands[0], ctx);
    Val f = eval(*e.operands[1], ctx);
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
  case ExprKind::Index: {
    Val base = eval(*e.operands[0], ctx);
    if (base.kind == Val::None)
      return base;
    if (base.kind != Val::Array) {
      error(e.loc, "only instance arrays can be indexed in v0.1");
      return Val::none();
    }
    auto i = constInt(*e.operands[1], ctx, "an instance array index");
    if (!i)
      return Val::none();
    const InstanceSpec &inst = (*ctx.instances)[base.index];
    if (*i < 0 || *i >= inst.count) {
      Diagnostic &d =
          error(e.operands[1]->loc,
                "index " + std::to_string(*i) +
                    " is out of "
                    "bounds for '" +
                    inst.name + "' of " + std::to_string(inst.count) +
                    " element" + (inst.count == 1 ? "" : "s"));
      DiagnosticEngine::note(d, inst.loc,
                             "'" + inst.name + "' is declared here");
      return Val::none();
    }
    base.kind = Val::Instance;
    base.element = *i;
    return base;
  }
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

Val Analyzer::evalBinary(const Expr &e, Context &ctx) {
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
    double value = v.kind == Val::Float ? v.f : double(v.dim.constant);
    if (!isFloatType(elem) && v.kind == Val::Float) {
      error(loc, std::string("float literal used with an integer tensor of "
                             "type ") +
                     ast::elemTypeName(elem));
      return nullptr;
    }
    return constNode(ctx, elem, value, loc);
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
  Op nodeOp = op == BinaryOp::Add   ? Op::Add
              : op == BinaryOp::Sub ? Op::Sub
              : op == BinaryOp::Mul ? Op::Mul
                                    : Op::Div;
  return Val::tensor(addNode(ctx, nodeOp, {elem, *shape}, loc, {x, y}));
}

Val Analyzer::evalCall(const Expr &e, Context &ctx) {
  Val callee = eval(*e.operands[0], ctx);
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
                    const std::vector<TensorType> &args, SourceLoc loc) {
  const ModuleSpec &m = *inst.module;
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
  auto resultType = unifyCall(inst, argTypes, loc);
  if (!resultType)
    return Val::none();
  TensorType result = *resultType;
  Node *n = addNode(ctx, Op::Apply, result, loc, operands);
  n->index = callee.index;
  n->element = callee.element;
  n->name = inst.name;
  return Val::tensor(n);
}

} // namespace detail

std::unique_ptr<sema::Program> analyze(const ast::File &file,
                                       DiagnosticEngine &diags,
                                       const SemaOptions &options) {
  detail::Analyzer analyzer(file, diags, options);
  return analyzer.run();
}

} // namespace modc
