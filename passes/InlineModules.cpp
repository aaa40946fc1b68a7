//===- InlineModules.cpp - Inline module applications ---------------------===//

#include "passes/Passes.h"

#include "mlir/IR/IRMapping.h"

namespace modc {
#define GEN_PASS_DEF_INLINEMODULES
#include "passes/Passes.h.inc"
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
      SmallVector<mod::ApplyOp> applies;
      module.walk([&](mod::ApplyOp op) {
        if (!op->getParentOfType<func::FuncOp>()->hasAttr(mod::kModuleAttr))
          applies.push_back(op);
      });
      if (applies.empty())
        break;
      for (mod::ApplyOp apply : applies) {
        auto callee = symbols.lookup<func::FuncOp>(apply.getCallee());
        if (!callee || callee.getBody().getBlocks().size() != 1) {
          apply.emitOpError("cannot inline '") << apply.getCallee() << "'";
          return signalPassFailure();
        }
        Block &body = callee.getBody().front();
        IRMapping mapping;
        mapping.map(body.getArguments(), apply.getOperands());
        OpBuilder builder(apply);
        for (Operation &op : body.without_terminator())
          builder.clone(op, mapping);
        auto ret = cast<func::ReturnOp>(body.getTerminator());
        SmallVector<Value> results;
        for (Value v : ret.getOperands())
          results.push_back(mapping.lookup(v));
        apply.replaceAllUsesWith(results);
        apply.erase();
        ++numInlined;
      }
    }
    for (auto fn : llvm::make_early_inc_range(module.getOps<func::FuncOp>()))
      if (fn->hasAttr(mod::kModuleAttr))
        fn.erase();
  }
};

} // namespace
