//===- Inlining.cpp - Inlining module applications and entry calls --------===//

#include "ir/Inlining.h"

#include "dialects/Mod/ModDialect.h"

#include "mlir/IR/IRMapping.h"

using namespace mlir;

namespace modc {

LogicalResult inlineCall(Operation *call, func::FuncOp callee) {
  if (!callee || callee.getBody().getBlocks().size() != 1)
    return call->emitOpError("cannot inline this callee");
  Block &body = callee.getBody().front();
  IRMapping mapping;
  mapping.map(body.getArguments(), call->getOperands());
  OpBuilder builder(call);
  for (Operation &op : body.without_terminator())
    builder.clone(op, mapping);
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  SmallVector<Value> results;
  for (Value v : ret.getOperands())
    results.push_back(mapping.lookup(v));
  call->replaceAllUsesWith(results);
  call->erase();
  return success();
}

LogicalResult inlineEverything(func::FuncOp fn, SymbolTable &symbols) {
  // The front end rejects recursion; the bound guards hand-written IR.
  for (int round = 0; round < 1000; ++round) {
    SmallVector<std::pair<Operation *, func::FuncOp>> calls;
    fn.walk([&](Operation *op) {
      StringRef callee;
      if (auto apply = dyn_cast<mod::ApplyOp>(op))
        callee = apply.getCallee();
      else if (auto call = dyn_cast<func::CallOp>(op))
        callee = call.getCallee();
      else
        return;
      auto target = symbols.lookup<func::FuncOp>(callee);
      if (target && (isa<mod::ApplyOp>(op) || target->hasAttr(mod::kEntryAttr)))
        calls.push_back({op, target});
    });
    if (calls.empty())
      return success();
    for (auto [call, callee] : calls)
      if (failed(inlineCall(call, callee)))
        return failure();
  }
  return fn.emitOpError("calls nest more than 1000 deep");
}

} // namespace modc
