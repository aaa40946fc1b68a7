//===- InlineModules.cpp - Inline module applications ---------------------===//

#include "ir/Inlining.h"
#include "ir/Stats.h"
#include "transforms/Passes.h"

#include "mlir/IR/IRMapping.h"

namespace modc {
#define GEN_PASS_DEF_INLINEMODULES
#include "transforms/Passes.h.inc"
} // namespace modc

using namespace mlir;

namespace {

struct InlineModulesPass
    : public modc::impl::InlineModulesBase<InlineModulesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    // Module bodies may apply sub-instances: repeat until none is left. The
    // front end rejects recursive instantiation, so this terminates; the
    // bound guards against hand-written IR.
    for (int round = 0; round < 1000; ++round) {
      // Applications of modules, and calls of one entry by another.
      SmallVector<Operation *> applies;
      module.walk([&](Operation *op) {
        if (!isa<mod::ApplyOp, func::CallOp>(op))
          return;
        if (auto call = dyn_cast<func::CallOp>(op)) {
          auto target = symbols.lookup<func::FuncOp>(call.getCallee());
          if (!target || !target->hasAttr(mod::kEntryAttr))
            return;
        }
        if (!op->getParentOfType<func::FuncOp>()->hasAttr(mod::kModuleAttr))
          applies.push_back(op);
      });
      if (applies.empty())
        break;
      for (Operation *apply : applies) {
        StringRef calleeName = isa<mod::ApplyOp>(apply)
                                   ? cast<mod::ApplyOp>(apply).getCallee()
                                   : cast<func::CallOp>(apply).getCallee();
        auto callee = symbols.lookup<func::FuncOp>(calleeName);
        if (failed(modc::inlineCall(apply, callee)))
          return signalPassFailure();
        ++numInlined;
        modc::recordStat(&getContext(), getArgument(), "applications-inlined",
                         1);
      }
    }
    // Instances are declarations about module functions; both go now.
    for (auto i : llvm::make_early_inc_range(module.getOps<mod::InstanceOp>()))
      i.erase();
    for (auto fn : llvm::make_early_inc_range(module.getOps<func::FuncOp>()))
      if (fn->hasAttr(mod::kModuleAttr))
        fn.erase();
  }
};

} // namespace
