//===- FuseRoutedExperts.cpp - One grouped computation per route ----------===//
//
// A `mod.dispatch` whose targets are all instances of one module, whose
// body is groupable (ir/Grouping.h), is marked `fused`. mod-lower-routing
// then groups the rows by target once, gathers them once, runs the module
// body once over all of them, with each parameter-dependent matmul a
// grouped GEMM over the targets' weights (the runtime reads the weights of
// all instances in place: the [E, ...] stack is a table of E addresses
// into the parameter block, so checkpoints keep per-instance names and
// nothing is copied), and scatters the weighted results once.
//
//===----------------------------------------------------------------------===//

#include "ir/Grouping.h"
#include "ir/Stats.h"
#include "transforms/Passes.h"

namespace modc {
#define GEN_PASS_DEF_FUSEROUTEDEXPERTS
#include "transforms/Passes.h.inc"
} // namespace modc

using namespace mlir;

namespace {

struct FuseRoutedExpertsPass
    : public modc::impl::FuseRoutedExpertsBase<FuseRoutedExpertsPass> {
  using FuseRoutedExpertsBase::FuseRoutedExpertsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    module.walk([&](mod::DispatchOp op) {
      std::string why;
      if (!fusable(module, op, why)) {
        if (!why.empty())
          op->setAttr("unfused", StringAttr::get(&getContext(), why));
        return;
      }
      op->removeAttr("unfused");
      op.setStrategyAttr(mod::DispatchStrategyAttr::get(
          &getContext(), mod::DispatchStrategy::Fused));
      ++numFused;
      numTargets += op.getTargets().size();
      modc::recordStat(&getContext(), getArgument(), "routes-fused", 1);
      modc::recordStat(&getContext(), getArgument(), "targets-fused",
                       int64_t(op.getTargets().size()));
    });
  }

  /// Fusable, or not with a reason when the targets share a module (other
  /// routes are not candidates and get no reason).
  bool fusable(ModuleOp module, mod::DispatchOp op, std::string &why) {
    ArrayAttr targets = op.getTargets();
    if (int64_t(targets.size()) < std::max<int64_t>(2, minTargets))
      return false;
    for (Attribute t : targets)
      if (t != targets[0])
        return false;
    if (op.getAggregation() == mod::Aggregation::Merge) {
      // Exact factoring instead (mod-lower-routing): the same body rule,
      // one row per routed row.
      auto xt = cast<RankedTensorType>(op.getInput().getType());
      auto fn = module.lookupSymbol<func::FuncOp>(
          cast<FlatSymbolRefAttr>(targets[0]));
      auto body = fn && xt.getRank() >= 2
                      ? modc::groupBody(fn, op.getTargetParams(0).size(), &why)
                      : std::nullopt;
      if (body && !body->widened.empty()) {
        why = "half-precision weights (factoring would skip rounding the "
              "mixed ones)";
      } else if (body && body->multipliers.empty() &&
                 body->groupedMatmuls > 0) {
        op.setStrategyAttr(mod::DispatchStrategyAttr::get(
            &getContext(), mod::DispatchStrategy::Factored));
        ++numFactored;
        modc::recordStat(&getContext(), getArgument(), "merges-factored", 1);
      } else if (body && !body->multipliers.empty()) {
        why = "per-example rows split into inner rows";
      } else if (body) {
        why = "no matmul with a parameter to factor";
      }
      if (!why.empty())
        why = "merge: " + why;
      return false;
    }
    auto xt = cast<RankedTensorType>(op.getInput().getType());
    auto yt = cast<RankedTensorType>(op.getResult().getType());
    if (xt.getRank() < 2 || !yt.getElementType().isF32()) {
      why = "the routed rows are not [rows, features...] with f32 results";
      return false;
    }
    auto fn =
        module.lookupSymbol<func::FuncOp>(cast<FlatSymbolRefAttr>(targets[0]));
    if (!fn)
      return false;
    auto body = modc::groupBody(fn, op.getTargetParams(0).size(), &why);
    if (!body)
      return false;
    if (body->groupedMatmuls == 0) {
      why = "no matmul with a parameter to group";
      return false;
    }
    return true;
  }
};

} // namespace
