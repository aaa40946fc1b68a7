//===- Sema.cpp - Semantic analysis of .mod files -------------------------===//
//
// Elaboration is an interpreter over compile-time values: dims, template
// parameters and literals fold to numbers, `for` loops unroll, and tensor
// expressions become Nodes of a dataflow graph with checked types.
//
//===----------------------------------------------------------------------===//

#include "dsl/Analyzer.h"
#include "support/CNames.h"

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
  for (auto &t : file_.trains)
    check(*t);
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
    for (auto &fn : file_.trains)
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
                   "modules or entries calling others, pipes or routes through "
                   "large instance arrays)");
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

const ModuleSpec *
Analyzer::routeCallee(const RouteInfo &route, size_t target,
                      const std::vector<InstanceSpec> &instances) {
  if (target < route.callees.size() && route.callees[target])
    return route.callees[target];
  size_t index = size_t(route.targets[target].first);
  return index < instances.size() ? instances[index].module : nullptr;
}

uint64_t Analyzer::inlinedSize(const ModuleSpec &m) {
  auto memo = inlined_.find(&m);
  if (memo != inlined_.end())
    return memo->second;
  inlined_[&m] = 0; // a cycle is an error of its own
  uint64_t total = bodySize(m.body, m.instances);
  inlined_[&m] = total;
  return total;
}

uint64_t Analyzer::inlinedEntrySize(size_t index) {
  auto memo = inlinedEntries_.find(index);
  if (memo != inlinedEntries_.end())
    return memo->second;
  inlinedEntries_[index] = 0;
  uint64_t total = bodySize(program_->entries[index].body, program_->instances);
  inlinedEntries_[index] = total;
  return total;
}

uint64_t Analyzer::bodySize(const Body &body,
                            const std::vector<InstanceSpec> &instances) {
  uint64_t total = body.nodes.size();
  auto add = [&](uint64_t size) {
    if (__builtin_add_overflow(total, size, &total))
      total = UINT64_MAX;
  };
  auto instance = [&](int64_t i) -> const ModuleSpec * {
    return i >= 0 && size_t(i) < instances.size() ? instances[size_t(i)].module
                                                  : nullptr;
  };
  auto addModule = [&](const ModuleSpec *callee) {
    if (callee)
      add(inlinedSize(*callee));
  };
  for (const auto &owned : body.nodes) {
    const Node &n = *owned;
    if (n.op == Op::Apply)
      addModule(n.callee ? n.callee : instance(n.index));
    if (n.op == Op::CallEntry && n.index >= 0 &&
        size_t(n.index) < program_->entries.size())
      add(inlinedEntrySize(size_t(n.index)));
    if (n.op != Op::Route || !n.route)
      continue;
    for (size_t t = 0; t < n.route->targets.size(); ++t)
      addModule(routeCallee(*n.route, t, instances));
    if (n.route->aggInstance >= 0)
      addModule(n.route->aggCallee ? n.route->aggCallee
                                   : instance(n.route->aggInstance));
  }
  return total;
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
  program_->numDeclaredDyns = program_->dyns.size();
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
  for (auto &t : file_.trains)
    if (declare(callables, t->name, t->nameLoc, true))
      trainDefs_[t->name] = t.get();
  // A model-level parameter and a module, instance, entry or train block
  // live in different namespaces (§1), but each is a symbol of the IR's one
  // module: one name for both is an error here (docs/design.md), not a
  // failed import or a crash later.
  for (auto &p : file_.params) {
    // The safetensors header keeps this key for its metadata (INTERFACE.md
    // §3): a tensor of that name would make a file no reader loads.
    if (p->name == "__metadata__")
      error(p->loc, "parameter '__metadata__' would be the weight file's "
                    "metadata key (rename it)");
    auto it = callables.find(p->name);
    if (it == callables.end())
      continue;
    Diagnostic &d = error(p->loc, "parameter '" + p->name +
                                      "' has the name of a module, instance, "
                                      "entry or train block (rename one)");
    DiagnosticEngine::note(d, it->second, "'" + p->name + "' declared here");
  }
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
    // The library's C symbols and header type are named after the model.
    if (isReservedInCHeader(file_.modelName))
      error(file_.modelLoc,
            "model name '" + file_.modelName +
                "' cannot name the library's C type and symbols (a C or C++ "
                "keyword, a macro of C's headers, or a name of the runtime's "
                "or MLIR's)");
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
    bool allDefaults = true;
    for (const ast::TemplateParam &tp : def->templateParams)
      allDefaults &= tp.defaultValue != nullptr;
    if (!allDefaults || diags_.limitReached())
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
  for (auto &t : file_.trains) {
    if (diags_.limitReached())
      break;
    if (trainDefs_.count(t->name) && trainDefs_[t->name] == t.get())
      elaborateTrain(*t);
  }
  checkUninstantiatedTemplates();
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

} // namespace detail

std::unique_ptr<sema::Program> analyze(const ast::File &file,
                                       DiagnosticEngine &diags,
                                       const SemaOptions &options) {
  detail::Analyzer analyzer(file, diags, options);
  return analyzer.run();
}

} // namespace modc
