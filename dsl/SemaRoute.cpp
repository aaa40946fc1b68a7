//===- SemaRoute.cpp - Routing and aggregation rules ----------------------===//
//
// `route X to TARGETS by ROUTER [combine AGG]` (LANGUAGE.md §7): which
// targets, which router with which compile-time arguments, the routing level
// (how many leading dims of X are routed rows), what each target receives,
// and the aggregation with its result type. Every combination the spec
// rules out is a located error here, before anything runs.
//
//===----------------------------------------------------------------------===//

#include "dsl/Analyzer.h"

namespace modc {
namespace detail {

namespace {

using vocab::Aggregation;
using vocab::Router;

/// "a, b or c" (`last` before the last name): every entry of `kind`.
std::string nameList(vocab::Kind kind, const char *last = " or ") {
  std::vector<std::string_view> names;
  for (size_t i = 0; i < vocab::numEntries(); ++i)
    if (vocab::entries()[i].kind == kind)
      names.push_back(vocab::entries()[i].name);
  std::string out;
  for (size_t i = 0; i < names.size(); ++i)
    out += std::string(i == 0                  ? ""
                       : i + 1 == names.size() ? last
                                               : ", ") +
           std::string(names[i]);
  return out;
}

bool isBareSymbol(const Dim &d) {
  return d.constant == 0 && d.terms.size() == 1 && d.terms[0].second == 1;
}

/// `[B, T]`
std::string dimList(const std::vector<Dim> &dims,
                    const std::vector<std::string> &dynNames) {
  std::string out = "[";
  for (size_t i = 0; i < dims.size(); ++i)
    out += (i ? ", " : "") + dims[i].str(dynNames);
  return out + "]";
}

} // namespace

Val Analyzer::evalRoute(const Expr &e, Context &ctx) {
  auto info = std::make_shared<RouteInfo>();
  Val xv = eval(*e.operands[0], ctx);
  if (xv.kind == Val::None)
    return xv;
  if (xv.kind != Val::Tensor) {
    error(e.operands[0]->loc, "the routed value must be a tensor");
    return Val::none();
  }
  Node *x = xv.node;
  if (x->type.rank() == 0) {
    error(e.operands[0]->loc, "the routed value must have rank 1 or more");
    return Val::none();
  }

  // Targets: an instance array or a list of instances.
  const Expr &te = *e.operands[1];
  Val tv = evalCallee(te, ctx);
  if (tv.kind == Val::None)
    return tv;
  std::vector<SourceLoc> targetLocs;
  auto addTarget = [&](const Val &t, SourceLoc loc) -> bool {
    if (t.kind == Val::Array) {
      error(loc, "an instance array inside a target list; list its elements "
                 "or route to the array itself");
      return false;
    }
    if (t.kind != Val::Instance) {
      error(loc, "a routing target must be an instance");
      return false;
    }
    info->targets.push_back({t.index, t.element});
    targetLocs.push_back(loc);
    return true;
  };
  if (tv.kind == Val::Array) {
    const InstanceSpec &arr = (*ctx.instances)[tv.index];
    // A route costs its number of targets; in a loop, that multiplies.
    if (!spend(e.loc, uint64_t(arr.count) / 8 + 1))
      return Val::none();
    for (int64_t i = 0; i < arr.count; ++i) {
      info->targets.push_back({tv.index, i});
      targetLocs.push_back(te.loc);
    }
  } else if (tv.kind == Val::List) {
    for (size_t i = 0; i < tv.elems.size(); ++i)
      if (!addTarget(tv.elems[i], te.operands[i]->loc))
        return Val::none();
    if (info->targets.empty()) {
      error(te.loc, "the target list is empty");
      return Val::none();
    }
  } else if (tv.kind == Val::Instance) {
    error(te.loc, "a single instance is not a set of routing targets; route "
                  "to an instance array or a list [a, b, ...]");
    return Val::none();
  } else {
    error(te.loc, "routing targets must be an instance array or a list of "
                  "instances");
    return Val::none();
  }
  int64_t E = int64_t(info->targets.size());
  auto targetInst = [&](size_t i) -> const InstanceSpec & {
    return (*ctx.instances)[info->targets[i].first];
  };
  const ModuleSpec &m0 = *targetInst(0).module;
  for (size_t i = 0; i < info->targets.size(); ++i) {
    const ModuleSpec &mi = *targetInst(i).module;
    if (i > 0 && &mi == &m0)
      continue; // the elements of an array, most often
    if (mi.argTypes.size() != 1) {
      Diagnostic &d = error(targetLocs[i],
                            "routing target '" + targetInst(i).name +
                                "' must take one argument; " + mi.displayName +
                                " takes " + std::to_string(mi.argTypes.size()));
      DiagnosticEngine::note(d, mi.loc, "module defined here");
      return Val::none();
    }
    if (mi.argTypes != m0.argTypes || mi.resultType != m0.resultType ||
        mi.batchRank != m0.batchRank) {
      Diagnostic &d = error(
          targetLocs[i],
          "routing targets must have identical signatures: '" +
              targetInst(i).name + "' is " + mi.displayName + "(" +
              typeStr(mi.argTypes[0]) + ") -> " + typeStr(mi.resultType) +
              ", but '" + targetInst(0).name + "' is " + m0.displayName + "(" +
              typeStr(m0.argTypes[0]) + ") -> " + typeStr(m0.resultType));
      DiagnosticEngine::note(d, mi.loc, "module defined here");
      return Val::none();
    }
  }

  // Router.
  const Expr &re = *e.operands[2];
  std::string routerName;
  std::vector<const Expr *> rargs;
  std::vector<std::string> rnames;
  std::vector<SourceLoc> rnameLocs;
  if (re.kind == ExprKind::Name) {
    routerName = re.name;
  } else if (re.kind == ExprKind::Call &&
             re.operands[0]->kind == ExprKind::Name) {
    routerName = re.operands[0]->name;
    for (size_t i = 1; i < re.operands.size(); ++i) {
      rargs.push_back(re.operands[i].get());
      rnames.push_back(re.argNames[i - 1]);
      rnameLocs.push_back(re.argNameLocs[i - 1]);
    }
  }
  const vocab::Entry *rentry = vocab::lookup(vocab::Kind::Router, routerName);
  if (!rentry) {
    error(re.loc,
          (routerName.empty() ? std::string("this") : "'" + routerName + "'") +
              " is not a router (expected " + nameList(vocab::Kind::Router) +
              ")");
    return Val::none();
  }
  const std::string &router = routerName;
  const Router kind = rentry->router();
  info->router = kind;
  // The decision tensor's argument, when the router takes one.
  bool hasDecision =
      rentry->numArgs > 0 && rentry->args[0].type != vocab::ArgType::Indices;
  std::string decisionArg =
      hasDecision ? std::string(rentry->args[0].name) : std::string();
  std::vector<Val> bound(rentry->numArgs, Val::none());
  std::vector<SourceLoc> boundLocs(rentry->numArgs, re.loc);
  if (kind == Router::Fixed) {
    if (rargs.empty()) {
      error(re.loc, "'fixed' needs at least one target index");
      return Val::none();
    }
    std::set<int64_t> seen;
    for (size_t i = 0; i < rargs.size(); ++i) {
      if (!rnames[i].empty()) {
        error(rnameLocs[i], "'fixed' takes only target indices");
        return Val::none();
      }
      auto idx = constInt(*rargs[i], ctx, "a fixed target index");
      if (!idx)
        return Val::none();
      if (*idx < 0 || *idx >= E) {
        error(rargs[i]->loc, "fixed target index " + std::to_string(*idx) +
                                 " is out of range for " + std::to_string(E) +
                                 " targets");
        return Val::none();
      }
      if (!seen.insert(*idx).second) {
        error(rargs[i]->loc, "fixed target index " + std::to_string(*idx) +
                                 " is listed twice");
        return Val::none();
      }
      info->fixed.push_back(*idx);
    }
  } else if (kind == Router::All) {
    if (!rargs.empty()) {
      error(re.loc, "'all' takes no arguments");
      return Val::none();
    }
  } else {
    std::vector<SourceLoc> argLocs;
    for (const Expr *arg : rargs)
      argLocs.push_back(arg->loc);
    auto slots = bindArguments(*rentry, re.loc, argLocs, rnames, rnameLocs);
    if (!slots)
      return Val::none();
    for (size_t i = 0; i < rargs.size(); ++i) {
      size_t slot = (*slots)[i];
      bound[slot] = eval(*rargs[i], ctx);
      boundLocs[slot] = rargs[i]->loc;
      if (bound[slot].kind == Val::None)
        return Val::none();
    }
  }

  // The decision tensor and the routing level.
  Node *decision = nullptr;
  if (hasDecision) {
    if (bound[0].kind != Val::Tensor) {
      error(boundLocs[0],
            "'" + router + "': " + decisionArg + " must be a tensor");
      return Val::none();
    }
    decision = bound[0].node;
    const TensorType &dt = decision->type;
    bool isIds = rentry->args[0].type == vocab::ArgType::IdTensor;
    if (isIds) {
      if (dt.elem != ElemType::I32 && dt.elem != ElemType::I64) {
        error(boundLocs[0],
              "'" + router + "': ids must be i32 or i64, got " + typeStr(dt));
        return Val::none();
      }
      info->level = int(dt.rank());
    } else {
      if (!isFloatType(dt.elem)) {
        error(boundLocs[0], "'" + router + "': " + decisionArg +
                                " must be floating-point, got " + typeStr(dt));
        return Val::none();
      }
      if (dt.rank() < 2) {
        error(boundLocs[0], "'" + router + "': " + decisionArg +
                                " must have shape [S..., E] with S a prefix "
                                "of the routed value's shape, got " +
                                typeStr(dt));
        return Val::none();
      }
      info->level = int(dt.rank()) - 1;
      const Dim &last = dt.shape.back();
      if (!last.isStatic() || last.constant != E) {
        error(boundLocs[0], "'" + router + "': the last dimension of " +
                                decisionArg + " (" + last.str(program_->dyns) +
                                ") must be the number of targets, " +
                                std::to_string(E));
        return Val::none();
      }
    }
    bool prefix = info->level >= 1 && size_t(info->level) <= x->type.rank();
    for (int i = 0; prefix && i < info->level; ++i)
      prefix = dt.shape[i] == x->type.shape[i];
    if (!prefix) {
      std::vector<Dim> s(dt.shape.begin(),
                         dt.shape.begin() +
                             (isIds ? dt.rank() : dt.rank() - 1));
      error(boundLocs[0],
            "'" + router + "': the routed dims " + dimList(s, program_->dyns) +
                " must be a non-empty prefix of the routed value's shape " +
                typeStr(x->type));
      return Val::none();
    }
  }
  if (kind == Router::Topk) {
    if (!bound[1].isStaticInt()) {
      if (!reportInexactDivision(bound[1]))
        error(boundLocs[1], "'topk': k must be a compile-time integer");
      return Val::none();
    }
    info->k = bound[1].dim.constant;
    if (info->k < 1 || info->k > E) {
      error(boundLocs[1], "'topk': k = " + std::to_string(info->k) +
                              " must be between 1 and the number of targets, " +
                              std::to_string(E));
      return Val::none();
    }
    info->normalize = rentry->args[2].value != 0;
    if (bound[2].kind != Val::None) {
      if (bound[2].kind != Val::Bool) {
        error(boundLocs[2], "'topk': normalize must be true or false");
        return Val::none();
      }
      info->normalize = bound[2].f != 0.0;
    }
  }
  if (int capSlot = rentry->find("capacity"); capSlot >= 0) {
    const Val &cap = bound[capSlot];
    SourceLoc capLoc = boundLocs[capSlot];
    info->capacity = rentry->args[capSlot].value;
    if (cap.kind != Val::None) {
      if (cap.kind == Val::Float)
        info->capacity = cap.f;
      else if (cap.isStaticInt())
        info->capacity = double(cap.dim.constant);
      else {
        error(capLoc, "'" + router +
                          "': capacity must be a compile-time "
                          "number");
        return Val::none();
      }
      if (!(info->capacity >= 0) || !std::isfinite(info->capacity)) {
        error(capLoc, "'" + router + "': capacity must not be negative");
        return Val::none();
      }
    }
  }
  bool global = kind == Router::Fixed || kind == Router::All;

  // Capacity makes rows compete for targets: a row's result then depends on
  // the other rows, which a module may not do along its leading dyn.
  bool competes = kind == Router::ExpertChoice ||
                  (kind == Router::Topk && info->capacity > 0);
  if (competes && ctx.module) {
    bool overRows = false;
    for (int i = 0; i < info->level; ++i)
      overRows |= mentionsRowDim(x->type.shape[i], ctx);
    if (overRows) {
      error(re.loc, "'" + router + "'" +
                        (kind == Router::Topk ? " with a capacity" : "") +
                        " makes the rows compete for targets: module " +
                        ctx.moduleDisplay + " must be row-independent along " +
                        rowDimsText(ctx));
      return Val::none();
    }
  }

  // What each target receives and returns.
  TensorType targetIn = x->type, rowResult;
  // A rank-polymorphic target gets the instantiation whose `...` covers
  // the row dim and the features beyond its named dims.
  const ModuleSpec *called = &m0;
  if (!global && m0.batchRank >= 0) {
    int named = int(m0.argTypes[0].rank()) - m0.batchRank;
    int k = int(x->type.rank()) - info->level + 1 - named;
    if (k >= 1)
      called = batchVariant(m0, k);
  }
  const ModuleSpec &mv = *called;
  const TensorType &sigIn = mv.argTypes[0];
  std::vector<std::optional<Dim>> subst(program_->dyns.size());
  std::vector<Dim> routedDims(x->type.shape.begin(),
                              x->type.shape.begin() + info->level);
  std::vector<Dim> features(x->type.shape.begin() + info->level,
                            x->type.shape.end());
  if (!global) {
    // Rows flattened into one leading dim, bound to the target's leading
    // dyn: `f32[R, F...]`.
    std::string rows = std::string(ast::elemTypeName(x->type.elem)) + "[R";
    for (const Dim &f : features)
      rows += ", " + f.str(program_->dyns);
    rows += "]";
    if (info->level > 1)
      rows += " (the routed dims " + dimList(routedDims, program_->dyns) +
              " flattened into R)";
    auto mismatch = [&] {
      Diagnostic &d =
          error(e.loc, "targets receive the routed rows as " + rows + ", but " +
                           mv.displayName + " takes " + typeStr(sigIn));
      DiagnosticEngine::note(d, mv.loc, "module defined here");
      return Val::none();
    };
    if (sigIn.rank() != features.size() + 1 || sigIn.rank() == 0 ||
        !isBareSymbol(sigIn.shape[0]))
      return mismatch();
    int rowSym = sigIn.shape[0].terms[0].first;
    for (size_t k = 1; k < sigIn.rank(); ++k)
      if (isBareSymbol(sigIn.shape[k]) &&
          sigIn.shape[k].terms[0].first != rowSym &&
          !subst[sigIn.shape[k].terms[0].first])
        subst[sigIn.shape[k].terms[0].first] = features[k - 1];
    bool match = sigIn.elem == x->type.elem;
    for (size_t k = 1; match && k < sigIn.rank(); ++k) {
      auto d = substitute(sigIn.shape[k], subst);
      match = d && *d == features[k - 1];
    }
    if (!match)
      return mismatch();
    const TensorType &sigOut = mv.resultType;
    if (sigOut.rank() == 0 || sigOut.shape[0] != sigIn.shape[0]) {
      Diagnostic &d =
          error(e.loc, "a routed target must return one row per input row, "
                       "but " +
                           mv.displayName + " returns " + typeStr(sigOut));
      DiagnosticEngine::note(d, mv.loc, "module defined here");
      return Val::none();
    }
    rowResult.elem = sigOut.elem;
    rowResult.shape = routedDims;
    for (size_t k = 1; k < sigOut.rank(); ++k) {
      auto d = substitute(sigOut.shape[k], subst);
      bool usesRow = false;
      for (auto [sym, c] : sigOut.shape[k].terms)
        usesRow |= sym == rowSym;
      if (!d || usesRow) {
        error(e.loc, "the result of " + mv.displayName +
                         " must not depend on the number of routed rows "
                         "beyond its leading dim");
        return Val::none();
      }
      rowResult.shape.push_back(*d);
    }
  } else {
    auto r = unifyCall(targetInst(0), {x->type}, e.loc, &called);
    if (!r)
      return Val::none();
    rowResult = *r;
  }

  if (called != &m0)
    for (size_t t = 0; t < info->targets.size(); ++t)
      info->callees.push_back(
          batchVariant(*targetInst(t).module, called->batchRank));

  // Aggregation.
  TensorType resultType = rowResult;
  Aggregation agg = rentry->defaultCombine;
  if (e.operands.size() > 3) {
    const Expr &ae = *e.operands[3];
    const vocab::Entry *aentry =
        ae.kind == ExprKind::Name
            ? vocab::lookup(vocab::Kind::Aggregation, ae.name)
            : nullptr;
    if (aentry) {
      agg = aentry->aggregation();
    } else {
      Val av = eval(ae, ctx);
      if (av.kind == Val::None)
        return av;
      if (av.kind == Val::Array) {
        error(ae.loc, "custom aggregation needs one instance, not the array "
                      "'" +
                          av.name + "'; use one element, '" + av.name + "[i]'");
        return Val::none();
      }
      if (av.kind != Val::Instance) {
        error(ae.loc, "'combine' expects " +
                          nameList(vocab::Kind::Aggregation, ", ") +
                          " or an instance (custom aggregation)");
        return Val::none();
      }
      agg = Aggregation::Custom;
      info->aggInstance = av.index;
      info->aggElement = av.element;
    }
    if ((agg == Aggregation::Concat || agg == Aggregation::Custom) && !global) {
      error(ae.loc,
            std::string(agg == Aggregation::Concat ? "'concat'"
                                                   : "custom aggregation") +
                " is only allowed with the routers 'all' and "
                "'fixed', not '" +
                router + "'");
      return Val::none();
    }
  }
  info->aggregation = agg;
  int64_t chosen = kind == Router::Fixed ? int64_t(info->fixed.size()) : E;
  switch (agg) {
  case Aggregation::Merge:
    for (size_t i = 1; i < info->targets.size(); ++i)
      if (targetInst(i).module != targetInst(0).module) {
        Diagnostic &d = error(
            targetLocs[i], "'merge' combines parameters, so its targets must "
                           "be instances of one module: '" +
                               targetInst(i).name + "' is " +
                               targetInst(i).module->displayName + ", '" +
                               targetInst(0).name + "' is " +
                               targetInst(0).module->displayName);
        DiagnosticEngine::note(d, targetInst(i).module->loc,
                               "module defined here");
        return Val::none();
      }
    if (targetInst(0).module->params.empty() &&
        targetInst(0).module->instances.empty()) {
      error(e.loc, "'merge' needs targets with parameters");
      return Val::none();
    }
    break;
  case Aggregation::Mean:
  case Aggregation::WeightedSum:
    if (!isFloatType(rowResult.elem)) {
      error(e.loc, "'" + std::string(vocab::name(agg)) +
                       "' needs floating-point target results");
      return Val::none();
    }
    break;
  case Aggregation::Sum:
  case Aggregation::Max:
    break;
  case Aggregation::Concat: {
    if (rowResult.rank() == 0) {
      error(e.loc, "'concat' needs target results of rank 1 or more");
      return Val::none();
    }
    auto scaled = scaleDim(resultType.shape.back(), chosen);
    if (!scaled) {
      error(e.loc, "'concat': the result dimension overflows 2^62");
      return Val::none();
    }
    resultType.shape.back() = *scaled;
    break;
  }
  case Aggregation::Custom: {
    const InstanceSpec &aggInst = (*ctx.instances)[info->aggInstance];
    if (rowResult.rank() == 0) {
      error(e.loc, "custom aggregation needs target results of rank 1 or "
                   "more");
      return Val::none();
    }
    TensorType outs = rowResult;
    outs.shape.insert(outs.shape.end() - 1, Dim::of(chosen));
    const ModuleSpec *aggCallee = nullptr;
    auto r =
        unifyCall(aggInst, {x->type, outs}, e.operands[3]->loc, &aggCallee);
    if (!r)
      return Val::none();
    if (aggCallee != aggInst.module)
      info->aggCallee = aggCallee;
    resultType = *r;
    break;
  }
  }

  // Global routers choose with weight 1: their weighted sum is the sum,
  // which is what the IR has for them.
  if (global && agg == Aggregation::WeightedSum)
    info->aggregation = Aggregation::Sum;

  std::vector<Node *> operands = {x};
  if (decision)
    operands.push_back(decision);
  uint64_t inlined = 0;
  for (size_t t = 0; t < info->targets.size(); ++t)
    if (const ModuleSpec *callee = routeCallee(*info, t, *ctx.instances))
      inlined =
          std::min<uint64_t>(inlined + inlinedSize(*callee), UINT64_MAX / 2);
  if (!spendInlined(e.loc, inlined))
    return Val::none();
  Node *n = addNode(ctx, Op::Route, resultType, e.loc, operands);
  n->route = info;
  return Val::tensor(n);
}

} // namespace detail
} // namespace modc
