//===- EliminateInactiveModules.cpp - Drop targets no row can reach -------===//
//
// A route whose decision is known at compile time reaches one target: task or
// hash routing over ids that are constants (literal ids, or an entry argument
// fixed by `modc --specialize ENTRY.ARG=VALUE`). The dispatch becomes a plain
// application of that target; the other targets, their parameters' reads and
// their computation disappear. `fixed(...)` routes are imported this way
// already (only the listed targets are applied), and instances no entry uses
// produce no code. Parameters stay declared, so a specialised library still
// loads a full checkpoint.
//
//===----------------------------------------------------------------------===//

#include "modrt/hash.h"
#include "passes/Passes.h"
#include "passes/Stats.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

#include <cerrno>
#include <cstdlib>

namespace modc {
#define GEN_PASS_DEF_ELIMINATEINACTIVEMODULES
#include "passes/Passes.h.inc"
} // namespace modc

using namespace mlir;

namespace modc {

/// Applies `--specialize ENTRY.ARG=VALUE`; returns an error message or "".
std::string specializeEntry(ModuleOp module, const std::string &spec) {
  size_t dot = spec.find('.'), eq = spec.find('=');
  if (dot == std::string::npos || eq == std::string::npos || eq < dot)
    return "--specialize expects ENTRY.ARG=VALUE, got '" + spec + "'";
  std::string entry = spec.substr(0, dot);
  std::string arg = spec.substr(dot + 1, eq - dot - 1);
  std::string text = spec.substr(eq + 1);
  char *end = nullptr;
  errno = 0;
  long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0)
    return "--specialize " + spec + ": '" + text + "' is not an integer";
  auto fn = module.lookupSymbol<func::FuncOp>(entry);
  if (!fn || !fn->hasAttr(mod::kEntryAttr))
    return "--specialize " + spec + ": there is no entry '" + entry + "'";
  auto names = fn->getAttrOfType<ArrayAttr>("mod.arg_names");
  int index = -1;
  for (unsigned i = 0; names && i < names.size(); ++i)
    if (llvm::cast<StringAttr>(names[i]).getValue() == arg)
      index = int(i);
  if (index < 0)
    return "--specialize " + spec + ": entry '" + entry +
           "' has no argument '" + arg + "'";
  BlockArgument blockArg = fn.getArgument(index);
  auto type = llvm::cast<RankedTensorType>(blockArg.getType());
  if (!type.getElementType().isSignlessInteger())
    return "--specialize " + spec + ": argument '" + arg +
           "' is not an integer tensor";
  OpBuilder b(fn.getBody());
  Location loc = blockArg.getLoc();
  llvm::SmallVector<Value> sizes;
  llvm::SmallPtrSet<Operation *, 4> keep;
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (type.isDynamicDim(i)) {
      auto dim = b.create<tensor::DimOp>(loc, blockArg, i);
      keep.insert(dim);
      sizes.push_back(dim);
    }
  Value cst = b.create<arith::ConstantOp>(
      loc, b.getIntegerAttr(type.getElementType(), value));
  Value splat = b.create<tensor::SplatOp>(loc, cst, type, sizes);
  blockArg.replaceAllUsesExcept(splat, keep);
  return "";
}

} // namespace modc

namespace {

/// The single value of a tensor of identical integers known at compile time.
std::optional<int64_t> splatValue(Value v) {
  if (auto splat = v.getDefiningOp<tensor::SplatOp>()) {
    APInt value;
    if (matchPattern(splat.getInput(), m_ConstantInt(&value)))
      return value.getSExtValue();
    return std::nullopt;
  }
  DenseIntElementsAttr dense;
  if (matchPattern(v, m_Constant(&dense)) && dense.isSplat())
    return dense.getSplatValue<APInt>().getSExtValue();
  return std::nullopt;
}

struct EliminateInactiveModulesPass
    : public modc::impl::EliminateInactiveModulesBase<
          EliminateInactiveModulesPass> {
  using EliminateInactiveModulesBase::EliminateInactiveModulesBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    for (const std::string &spec : specialize) {
      std::string error = modc::specializeEntry(module, spec);
      if (!error.empty()) {
        module.emitError(error);
        return signalPassFailure();
      }
    }
    SmallVector<mod::DispatchOp> dispatches;
    module.walk([&](mod::DispatchOp op) { dispatches.push_back(op); });
    for (mod::DispatchOp op : dispatches) {
      Operation *decision = op.getIndices().getDefiningOp();
      std::optional<int64_t> target;
      int64_t numTargets = op.getTargets().size();
      if (auto task = dyn_cast_or_null<mod::TaskDecisionOp>(decision)) {
        auto id = splatValue(task.getInput());
        // An id out of range stays a run-time error.
        if (id && *id >= 0 && *id < numTargets)
          target = *id;
      } else if (auto hash = dyn_cast_or_null<mod::HashDecisionOp>(decision)) {
        if (auto id = splatValue(hash.getInput()))
          target = int64_t(modrt_fmix32(uint32_t(uint64_t(*id))) %
                           uint32_t(numTargets));
      }
      if (!target)
        continue;
      // Every row reaches `target` with weight 1: each aggregation of one
      // output with weight 1 (merge included: 1 * theta) is that output.
      auto callee = cast<FlatSymbolRefAttr>(op.getTargets()[*target]);
      auto fn = module.lookupSymbol<func::FuncOp>(callee);
      OpBuilder b(op);
      SmallVector<Value> operands(op.getTargetParams(*target));
      int64_t numParams = operands.size();
      operands.push_back(op.getInput());
      Value result =
          b.create<mod::ApplyOp>(
               op.getLoc(), fn.getFunctionType().getResults(), callee,
               b.getStringAttr(
                   cast<StringAttr>(op.getInstances()[*target]).getValue()),
               b.getI64IntegerAttr(numParams), operands)
              .getResult(0);
      if (result.getType() != op.getResult().getType())
        result = b.create<tensor::CastOp>(op.getLoc(), op.getResult().getType(),
                                          result);
      op.getResult().replaceAllUsesWith(result);
      op.erase();
      numEliminated += numTargets - 1;
      ++numSpecialised;
      modc::recordStat(getArgument(), "modules-eliminated", numTargets - 1);
      modc::recordStat(getArgument(), "routes-specialised", 1);
    }
  }
};

} // namespace
