//===- SemaTrain.cpp - Train blocks: minimize, update, optimisers ---------===//
//
// LANGUAGE.md §10. A train block is elaborated like an entry (arguments,
// lets, calls of entries, instances and routes) without a return; its one
// `minimize` gives the loss (a rank-0 f32 tensor) and its `update` lines
// name the parameters each optimiser changes. What is frozen is checked
// here, once, by name: a frozen parameter can never reach an optimiser.
//
//===----------------------------------------------------------------------===//

#include "dsl/Analyzer.h"

#include <algorithm>

namespace modc {
namespace detail {

void Analyzer::elaborateTrain(const ast::Function &fn) {
  TrainSpec spec;
  EntrySpec &entry = spec.entry;
  Context ctx;
  std::set<int> used;
  std::optional<bool> started =
      beginExported(fn, "a train block", entry, ctx, used);
  if (!started || !*started || !checkDynCount(fn, used))
    return;
  entry.dyns.assign(used.begin(), used.end());
  entry.resultTypes = {TensorType{ElemType::F32, {}}};
  // The loss output is `loss`, or `loss_`, ... where an argument has that
  // name (the header's C parameters and the description need distinct
  // names).
  std::string lossName = "loss";
  while (std::find(entry.argNames.begin(), entry.argNames.end(), lossName) !=
         entry.argNames.end())
    lossName += '_';
  entry.resultNames = {lossName};
  ctx.argNames = entry.argNames;
  ctx.argTypes = entry.argTypes;
  ctx.fn = &fn;
  ctx.members = modelMembers();
  TrainState state;
  state.spec = &spec;
  state.flat = program_->flatParams();
  ctx.train = &state;

  size_t before = diags_.numErrors();
  std::vector<Val> returned;
  bool sawReturn = false;
  SourceLoc returnLoc;
  bool ok = runBody(fn.body, ctx, fn, returned, sawReturn, returnLoc);
  if (diags_.limitReached())
    return;
  if (!state.sawMinimize && ok)
    error(fn.nameLoc, "train block '" + fn.name + "' has no 'minimize'");
  if (spec.updates.empty() && ok)
    error(fn.nameLoc, "train block '" + fn.name +
                          "' has no 'update' line: it would change nothing");
  if (diags_.numErrors() != before || !state.loss)
    return;
  entry.body.results = {state.loss};
  program_->trains.push_back(std::move(spec));
}

bool Analyzer::execMinimize(const ast::Stmt &s, Context &ctx) {
  if (!ctx.train) {
    error(s.start, "'minimize' is only allowed in a train block");
    return false;
  }
  TrainState &t = *ctx.train;
  if (t.sawMinimize) {
    Diagnostic &d = error(s.start, "a train block has one 'minimize'");
    DiagnosticEngine::note(d, t.minimizeLoc, "the first 'minimize' is here");
    return false;
  }
  t.sawMinimize = true;
  t.minimizeLoc = s.start;
  Val v = eval(*s.value, ctx);
  if (v.kind == Val::None)
    return false;
  if (v.kind != Val::Tensor || v.node->type.rank() != 0 ||
      v.node->type.elem != ElemType::F32) {
    std::string got = v.kind == Val::Tensor ? typeStr(v.node->type)
                      : v.kind == Val::Int || v.kind == Val::Float
                          ? std::string("a constant")
                          : std::string("not a tensor");
    error(s.value->loc,
          "the loss must be a rank-0 f32 tensor (e.g. mse(y, target)), got " +
              got);
    return false;
  }
  t.loss = v.node;
  return true;
}

bool Analyzer::execUpdate(const ast::Stmt &s, Context &ctx) {
  if (!ctx.train) {
    error(s.start, "'update' is only allowed in a train block");
    return false;
  }
  TrainState &t = *ctx.train;
  UpdateSpec update;
  update.loc = s.start;
  bool ok = true;

  // The optimiser: a call of a row of the vocabulary's optimisers.
  const ast::Expr &call = *s.value;
  const vocab::Entry *opt = nullptr;
  if (call.kind == ExprKind::Call && !call.operands.empty() &&
      call.operands[0]->kind == ExprKind::Name)
    opt = vocab::lookup(vocab::Kind::Optimizer, call.operands[0]->name);
  if (!opt) {
    std::string names;
    for (size_t i = 0; i < vocab::numEntries(); ++i)
      if (vocab::entries()[i].kind == vocab::Kind::Optimizer)
        names += std::string(names.empty() ? "" : ", ") +
                 std::string(vocab::entries()[i].name);
    std::string what =
        call.kind == ExprKind::Call && call.operands[0]->kind == ExprKind::Name
            ? "unknown optimizer '" + call.operands[0]->name + "'"
            : std::string("expected an optimizer call");
    error(call.loc,
          what + "; the optimizers are " + names + ", e.g. adamw(lr = 1e-3)");
    ok = false;
  } else {
    update.optimizer = opt->optimizer();
    std::vector<SourceLoc> argLocs;
    for (size_t i = 1; i < call.operands.size(); ++i)
      argLocs.push_back(call.operands[i]->loc);
    auto slots =
        bindArguments(*opt, call.loc, argLocs, call.argNames, call.argNameLocs);
    if (!slots) {
      ok = false;
    } else {
      update.hyper.resize(opt->numArgs);
      for (size_t i = 0; i < opt->numArgs; ++i)
        update.hyper[i] = opt->args[i].value;
      for (size_t i = 0; i < slots->size(); ++i) {
        const ast::Expr &a = *call.operands[i + 1];
        const vocab::Arg &slot = opt->args[(*slots)[i]];
        std::string what =
            "'" + std::string(opt->name) + "': " + std::string(slot.name);
        if (slot.type == vocab::ArgType::Bool) {
          Val v = eval(a, ctx);
          if (v.kind != Val::Bool) {
            if (v.kind != Val::None)
              error(a.loc, what + " must be true or false");
            ok = false;
            continue;
          }
          update.hyper[(*slots)[i]] = v.f;
          continue;
        }
        auto v = constNumber(a, ctx, what.c_str());
        if (!v) {
          ok = false;
          continue;
        }
        update.hyper[(*slots)[i]] = *v;
      }
      // PyTorch's own checks of the same hyper-parameters, each out-of-range
      // one reported (when every value evaluated).
      bool evaluated = ok;
      for (size_t i = 0; evaluated && i < opt->numArgs; ++i) {
        std::string_view n = opt->args[i].name;
        double v = update.hyper[i];
        SourceLoc at = call.loc;
        for (size_t j = 0; j < slots->size(); ++j)
          if ((*slots)[j] == i)
            at = call.operands[j + 1]->loc;
        bool bad = false;
        if (n == "beta1" || n == "beta2")
          bad = !(v >= 0.0 && v < 1.0);
        else if (n != "nesterov")
          bad = !(v >= 0.0) || std::isinf(v);
        if (bad) {
          error(at, "'" + std::string(opt->name) + "': " + std::string(n) +
                        " = " + formatFloat(v) + " is out of range (" +
                        (n == "beta1" || n == "beta2" ? "[0, 1)"
                                                      : "finite and >= 0") +
                        ")");
          ok = false;
        }
      }
      if (ok && update.optimizer == vocab::Optimizer::Sgd &&
          update.hyper[3] != 0.0 && update.hyper[1] <= 0.0) {
        error(call.loc, "'sgd': nesterov = true needs a momentum > 0");
        ok = false;
      }
    }
  }

  // The targets: model-level instances, arrays, array elements, params.
  std::set<std::string> lineParams;
  for (const ast::ExprPtr &target : s.targets) {
    Val v = eval(*target, ctx);
    if (v.kind == Val::None) {
      ok = false;
      continue;
    }
    std::string prefix, display;
    SourceLoc declLoc;
    bool frozenDecl = false;
    if (v.kind == Val::Tensor && v.node->op == Op::Param) {
      prefix = v.node->name;
      display = prefix;
    } else if (v.kind == Val::Instance || v.kind == Val::Array) {
      const InstanceSpec &inst = (*ctx.instances)[v.index];
      display = inst.name;
      prefix = inst.name + ".";
      if (v.kind == Val::Instance && inst.isArray) {
        display += "[" + std::to_string(v.element) + "]";
        prefix += std::to_string(v.element) + ".";
      }
      declLoc = inst.loc;
      frozenDecl = inst.frozen;
    } else {
      error(target->loc, "an update target must be a model-level instance, "
                         "instance array, array element or parameter");
      ok = false;
      continue;
    }
    bool isParam = v.kind == Val::Tensor;
    size_t trainable = 0, matched = 0, nonFloat = 0;
    for (const FlatParam &p : t.flat) {
      bool match = isParam ? p.name == prefix
                           : p.name.compare(0, prefix.size(), prefix) == 0;
      if (!match)
        continue;
      ++matched;
      if (!p.trainable) {
        if (isParam) {
          Diagnostic &d = error(target->loc, "parameter '" + p.name +
                                                 "' is frozen and cannot be "
                                                 "updated");
          DiagnosticEngine::note(d, p.loc, "declared frozen here");
          ok = false;
        }
        continue;
      }
      // Integer and bool values carry no gradient (LANGUAGE.md §10), and
      // an optimiser's f32 arithmetic on their bytes would corrupt them:
      // a parameter named alone is an error, one below an instance is not
      // part of "every trainable parameter below it".
      if (!isFloatType(p.type.elem)) {
        ++nonFloat;
        if (isParam) {
          Diagnostic &d = error(
              target->loc, "parameter '" + p.name + "' is " + typeStr(p.type) +
                               ": only floating-point parameters can be "
                               "updated (integer values carry no gradient)");
          DiagnosticEngine::note(d, p.loc, "declared here");
          ok = false;
        }
        continue;
      }
      ++trainable;
      auto prev = t.updated.find(p.name);
      if (prev != t.updated.end()) {
        Diagnostic &d =
            error(target->loc, "parameter '" + p.name +
                                   "' is updated twice: one parameter has "
                                   "one optimizer");
        DiagnosticEngine::note(d, prev->second, "first updated here");
        ok = false;
        continue;
      }
      if (!lineParams.insert(p.name).second)
        continue;
      t.updated.emplace(p.name, target->loc);
    }
    if (!isParam && matched > 0 && trainable == 0) {
      Diagnostic &d = error(target->loc,
                            "'" + display +
                                (nonFloat == 0 ? "' is frozen: it has no "
                                                 "trainable parameter to update"
                                               : "' has no trainable "
                                                 "floating-point parameter to "
                                                 "update"));
      DiagnosticEngine::note(
          d, declLoc, frozenDecl ? "declared frozen here" : "declared here");
      ok = false;
    }
    if (!isParam && matched == 0) {
      error(target->loc, "'" + display + "' has no parameters to update");
      ok = false;
    }
  }
  for (const FlatParam &p : t.flat)
    if (lineParams.count(p.name))
      update.params.push_back(p.name);
  if (ok)
    t.spec->updates.push_back(std::move(update));
  return ok;
}

} // namespace detail
} // namespace modc
