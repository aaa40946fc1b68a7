//===- SemaDecl.cpp - Types, parameters, instances and bodies ------------===//
//
// The declaration half of elaboration: tensor types, `param` and instance
// declarations, module instantiation (once per distinct argument list),
// entry bodies and statements (`let`, `for` unrolled, `return`).
//
//===----------------------------------------------------------------------===//

#include "dsl/Analyzer.h"
#include "support/CNames.h"

#include <algorithm>

namespace modc {
namespace detail {

namespace {

/// `layers[1].down.w` as written, for messages.
std::string pathText(const Expr &e) {
  switch (e.kind) {
  case ExprKind::Name:
    return e.name;
  case ExprKind::Int:
    return e.text;
  case ExprKind::Member:
    return pathText(*e.operands[0]) + "." + e.name;
  case ExprKind::Index:
    if (e.operands.size() == 2)
      return pathText(*e.operands[0]) + "[" + pathText(*e.operands[1]) + "]";
    [[fallthrough]];
  default:
    return "...";
  }
}

} // namespace

bool Analyzer::buildType(const ast::TypeExpr &t, Context &ctx, TensorType &out,
                         bool allowDyn) {
  out.elem = t.elem;
  out.shape.clear();
  bool ok = true;
  if (t.batched) {
    if (ctx.batchRank < 0) {
      error(t.batchedLoc, "'...' is allowed only as the first dim of a "
                          "module's argument and result types");
      ok = false;
    }
    for (int sym : ctx.batchDyns)
      out.shape.push_back(Dim::symbol(sym));
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
    // The library describes each dim by at most 64 dyn terms.
    if (v.dim.terms.size() > kMaxDimTerms) {
      error(d->loc, "a dimension may combine at most " +
                        std::to_string(kMaxDimTerms) + " dyns, got " +
                        std::to_string(v.dim.terms.size()));
      ok = false;
      continue;
    }
    out.shape.push_back(v.dim);
  }
  // The library's description holds ranks up to 32 (runtime/Descriptor).
  if (ok && out.shape.size() > kMaxDeclaredRank) {
    error(t.loc, "a tensor type has rank at most " +
                     std::to_string(kMaxDeclaredRank) + ", got " +
                     std::to_string(out.shape.size()));
    ok = false;
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
    else if (std::find(file_.brokenNames.begin(), file_.brokenNames.end(),
                       def.module) == file_.brokenNames.end())
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

  // A signature with `...` is instantiated with one dim for it; calls with
  // another number use batchVariant.
  bool polymorphic = false;
  for (const ast::Arg &a : fn.args)
    polymorphic |= a.type.batched;
  for (const ast::TypeExpr &r : fn.results)
    polymorphic |= r.batched;
  size_t firstDiag = diags_.numDiagnostics();
  ModuleSpec *m =
      elaborateModule(fn, tctx, mangled, display, polymorphic ? 1 : -1, ok);
  // Errors inside a template say which instantiation they come from.
  if (!fn.templateParams.empty() && def.loc.line != 0)
    diags_.noteSince(firstDiag, def.moduleLoc,
                     "in " + display + ", instantiated here");
  return m;
}

ModuleSpec *Analyzer::elaborateModule(const ast::Function &fn, Context tctx,
                                      const std::string &mangled,
                                      const std::string &display, int batchRank,
                                      bool &ok) {
  auto spec = std::make_unique<ModuleSpec>();
  ModuleSpec *m = spec.get();
  program_->modules.push_back(std::move(spec));
  instantiated_[mangled] = m;
  instantiatedNames_.insert(fn.name);
  instantiations_[m] = {&fn, tctx.templateArgs, mangled, display};
  m->mangledName = mangled;
  m->displayName = display;
  m->loc = fn.nameLoc;
  m->batchRank = batchRank;
  instantiating_.push_back(fn.name);

  tctx.module = m;
  tctx.fn = &fn;
  tctx.params = &m->params;
  tctx.instances = &m->instances;
  tctx.body = &m->body;
  tctx.batchRank = batchRank;
  for (int i = 0; i < batchRank; ++i)
    tctx.batchDyns.push_back(batchDyn(i));
  bool batchedArg = false;
  for (const ast::Arg &a : fn.args) {
    TensorType t;
    if (!buildType(a.type, tctx, t, /*allowDyn=*/true))
      ok = false;
    m->argNames.push_back(a.name);
    m->argTypes.push_back(t);
    m->batchedArgs.push_back(a.type.batched);
    batchedArg |= a.type.batched;
  }
  if (ok && !checkDynsSolvable(fn, m->argTypes))
    ok = false;
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
  // Rows along `...` stay rows: in the arguments, out in the result.
  if (batchRank >= 0 && !fn.results.empty()) {
    const ast::TypeExpr &r = fn.results.front();
    if (!batchedArg) {
      error(r.batchedLoc, "'...' in the result needs an argument that starts "
                          "with '...' (that is where its dims come from)");
      ok = false;
    } else if (!r.batched) {
      error(r.loc, "a module with '...' arguments must return '...' first "
                   "(it is row-independent along those dims), e.g. f32[..., "
                   "M]");
      ok = false;
    }
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
  if (batchRank >= 0)
    tctx.leadingDyn = batchRank > 0 ? tctx.batchDyns[0] : -1;
  if (ok)
    elaborateBody(fn.body, tctx, fn, results);
  instantiating_.pop_back();
  return m;
}

const ModuleSpec *Analyzer::batchVariant(const ModuleSpec &m, int batchRank) {
  if (m.batchRank < 0 || m.batchRank == batchRank)
    return &m;
  const Instantiation &how = instantiations_.at(&m);
  std::string mangled = how.mangled + "_r" + std::to_string(batchRank);
  auto memo = instantiated_.find(mangled);
  if (memo != instantiated_.end())
    return memo->second;
  Context tctx;
  tctx.templateArgs = how.templateArgs;
  bool ok = true;
  // Copies: elaborating adds to instantiations_.
  const ast::Function &fn = *how.fn;
  std::string display = how.display;
  return elaborateModule(fn, tctx, mangled, display, batchRank, ok);
}

int Analyzer::batchDyn(int i) {
  std::string name = i == 0 ? "..." : "..." + std::to_string(i + 1);
  auto it = dynIndex_.find(name);
  if (it != dynIndex_.end())
    return it->second;
  // Not a name the lexer can produce: no user dyn collides with it.
  int sym = int(program_->dyns.size());
  program_->dyns.push_back(name);
  dynIndex_[name] = sym;
  return sym;
}

bool Analyzer::runBody(const std::vector<ast::StmtPtr> &stmts, Context &ctx,
                       const ast::Function &fn, std::vector<Val> &returned,
                       bool &sawReturn, SourceLoc &returnLoc) {
  for (size_t i = 0; i < ctx.argTypes.size(); ++i) {
    Node *n = addNode(ctx, Op::Arg, ctx.argTypes[i], fn.args[i].loc);
    n->index = int64_t(i);
    n->name = ctx.argNames[i];
    ctx.argNodes.push_back(n);
  }
  ctx.scopes.emplace_back();
  return execStmts(stmts, ctx, returned, sawReturn, returnLoc);
}

void Analyzer::elaborateBody(const std::vector<ast::StmtPtr> &stmts,
                             Context &ctx, const ast::Function &fn,
                             const std::vector<TensorType> &resultTypes) {
  std::vector<Val> returned;
  bool sawReturn = false;
  SourceLoc returnLoc;
  bool ok = runBody(stmts, ctx, fn, returned, sawReturn, returnLoc);
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

std::optional<bool> Analyzer::beginExported(const ast::Function &fn,
                                            const char *what, EntrySpec &entry,
                                            Context &ctx, std::set<int> &used) {
  entry.name = fn.name;
  entry.loc = fn.nameLoc;
  if (std::string problem = exportedNameProblem(fn.name); !problem.empty()) {
    error(fn.nameLoc,
          std::string(what) + " cannot be named '" + fn.name + "': " + problem);
    return std::nullopt;
  }
  ctx.params = &program_->params;
  ctx.instances = &program_->instances;
  ctx.body = &entry.body;
  return buildEntryArgs(fn, ctx, entry, used);
}

bool Analyzer::checkDynCount(const ast::Function &fn,
                             const std::set<int> &used) {
  if (used.size() <= kMaxEntryDyns)
    return true;
  error(fn.nameLoc, "'" + fn.name + "' takes " + std::to_string(used.size()) +
                        " dyns; a library function takes at most " +
                        std::to_string(kMaxEntryDyns));
  return false;
}

void Analyzer::elaborateEntry(const ast::Function &fn) {
  EntrySpec entry;
  Context ctx;
  std::set<int> used;
  std::optional<bool> started = beginExported(fn, "an entry", entry, ctx, used);
  if (!started)
    return;
  bool ok = *started;
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
  if (!ok || !checkDynCount(fn, used))
    return;
  entry.dyns.assign(used.begin(), used.end());
  entry.resultTypes = results;
  // Outputs are y (one) or y0, y1, ...; an argument of one of those names
  // moves them all to another letter (the header's C parameters and the
  // library's description need distinct names).
  auto nameOutputs = [&](const std::string &base) {
    entry.resultNames.clear();
    for (size_t i = 0; i < results.size(); ++i) {
      std::string name = results.size() == 1 ? base : base + std::to_string(i);
      if (std::find(entry.argNames.begin(), entry.argNames.end(), name) !=
          entry.argNames.end())
        return false;
      entry.resultNames.push_back(name);
    }
    return true;
  };
  for (std::string base = "y"; !nameOutputs(base);)
    base = base == "y" ? "out" : base + "_";
  ctx.argNames = entry.argNames;
  ctx.argTypes = entry.argTypes;
  ctx.fn = &fn;
  ctx.members = modelMembers();
  size_t before = diags_.numErrors();
  elaborateBody(fn.body, ctx, fn, results);
  if (diags_.numErrors() == before)
    program_->entries.push_back(std::move(entry));
}

std::shared_ptr<Members> Analyzer::modelMembers() {
  if (!modelMembers_) {
    modelMembers_ = std::make_shared<Members>();
    modelMembers_->failed.insert(failedModelMembers_.begin(),
                                 failedModelMembers_.end());
    for (size_t i = 0; i < program_->params.size(); ++i)
      modelMembers_->params[program_->params[i].name] = int(i);
    for (size_t i = 0; i < program_->instances.size(); ++i)
      modelMembers_->instances[program_->instances[i].name] = int(i);
  }
  return modelMembers_;
}

bool Analyzer::buildEntryArgs(const ast::Function &fn, Context &ctx,
                              EntrySpec &entry, std::set<int> &used) {
  bool ok = true;
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
  return ok && checkDynsSolvable(fn, entry.argTypes);
}

bool Analyzer::checkDynsSolvable(const ast::Function &fn,
                                 const std::vector<TensorType> &argTypes) {
  std::vector<DynSource> solved = solveDyns(argTypes);
  for (size_t i = 0; i < argTypes.size() && i < fn.args.size(); ++i)
    for (const Dim &d : argTypes[i].shape)
      for (const auto &term : d.terms)
        if (!solves(solved, term.first)) {
          int sym = term.first;
          error(fn.args[i].type.loc,
                "dyn '" + program_->dyns[sym] + "' in dimension '" +
                    d.str(program_->dyns) +
                    "' cannot be read from the arguments' shapes: give it "
                    "a dimension of its own in some argument");
          return false;
        }
  return true;
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
        // Reported: the names are bound to nothing, so that their uses
        // report nothing more.
        for (size_t i = 0; i < s.names.size(); ++i)
          if (!lookupLocal(s.names[i]))
            ctx.scopes.back()[s.names[i]] = {Val::none(), s.nameLocs[i]};
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
      if (s.target) {
        const Expr &t = *s.target;
        if (t.kind == ExprKind::Member)
          error(t.loc, "parameters are read-only here: '" + pathText(t) +
                           "' cannot be assigned (a train block changes "
                           "parameters with 'update')");
        else if (t.kind == ExprKind::Index)
          error(t.loc, "a slice or an instance cannot be assigned: tensors "
                       "are values (build a new one, e.g. with 'concat' or "
                       "'where')");
        else
          error(t.loc, "only a 'let' name can be assigned");
        ok = false;
        break;
      }
      auto *prev = lookupLocal(s.name);
      if (!prev) {
        bool isParam = ctx.members && ctx.members->params.count(s.name);
        error(s.loc, "assignment to '" + s.name +
                         "', which is not a 'let' in scope" +
                         (isParam ? " (parameters are read-only here; a train "
                                    "block changes them with 'update')"
                                  : ""));
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
    case ast::StmtKind::Minimize:
      ok &= execMinimize(s, ctx);
      break;
    case ast::StmtKind::Update:
      ok &= execUpdate(s, ctx);
      break;
    case ast::StmtKind::Return: {
      if (ctx.train) {
        error(s.start, "a train block has no 'return': it returns the loss "
                       "of its 'minimize'");
        ok = false;
        break;
      }
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

} // namespace detail
} // namespace modc
