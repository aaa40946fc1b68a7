//===- CopyStridedCallArguments.cpp - No offset lost at a call ------------===//
//
// One-shot bufferization gives functions identity-layout arguments
// (function-boundary-type-conversion=identity-layout-map) and, where a call
// passes a view with a dynamic offset or strides (a slice of a route's row
// list passed to a part of a split function), inserts a `memref.cast` to
// the identity layout. That cast is only valid when the offset is 0 and the
// view is dense: otherwise every access compiled in the callee indexes from
// the base pointer and reads the wrong elements (the runtime's functions,
// reading the descriptor's offset, happened to be right). Each such call
// argument becomes a dense copy, freed after the call (module-internal
// functions return fresh buffers, never an argument: SplitDeallocations).
//
//===----------------------------------------------------------------------===//

#include "ir/Stats.h"
#include "transforms/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace modc {
#define GEN_PASS_DEF_COPYSTRIDEDCALLARGUMENTS
#include "transforms/Passes.h.inc"
} // namespace modc

using namespace mlir;

namespace {

/// True if a buffer of `type` may start past its base or have gaps, so
/// that reading it as identity layout is wrong.
bool mayBeOffsetOrStrided(MemRefType type) {
  if (type.getLayout().isIdentity())
    return false;
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(getStridesAndOffset(type, strides, offset)))
    return true;
  if (offset != 0)
    return true;
  int64_t expected = 1;
  for (int64_t i = type.getRank() - 1; i >= 0; --i) {
    if (type.getDimSize(i) == 1)
      continue;
    if (strides[i] != expected)
      return true;
    if (ShapedType::isDynamic(type.getDimSize(i)))
      return i != 0; // only the outermost extent may be dynamic
    expected *= type.getDimSize(i);
  }
  return false;
}

struct CopyStridedCallArgumentsPass
    : public modc::impl::CopyStridedCallArgumentsBase<
          CopyStridedCallArgumentsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<std::pair<func::CallOp, unsigned>> uses;
    module.walk([&](func::CallOp call) {
      auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
      if (!callee || callee.isExternal())
        return;
      for (auto [i, v] : llvm::enumerate(call.getOperands())) {
        auto cast = v.getDefiningOp<memref::CastOp>();
        if (!cast)
          continue;
        auto to = dyn_cast<MemRefType>(cast.getType());
        auto from = dyn_cast<MemRefType>(cast.getSource().getType());
        if (to && from && to.getLayout().isIdentity() &&
            mayBeOffsetOrStrided(from))
          uses.push_back({call, unsigned(i)});
      }
    });
    for (auto [call, i] : uses) {
      auto castOp = call.getOperand(i).getDefiningOp<memref::CastOp>();
      Value source = castOp.getSource();
      auto to = cast<MemRefType>(castOp.getType());
      OpBuilder b(call);
      Location loc = call.getLoc();
      SmallVector<Value> sizes;
      for (int64_t d = 0; d < to.getRank(); ++d)
        if (to.isDynamicDim(d))
          sizes.push_back(b.create<memref::DimOp>(loc, source, d));
      Value dense = b.create<memref::AllocOp>(loc, to, sizes);
      b.create<memref::CopyOp>(loc, source, dense);
      call->setOperand(i, dense);
      b.setInsertionPointAfter(call);
      b.create<memref::DeallocOp>(loc, dense);
      if (castOp->use_empty())
        castOp->erase();
      ++numCopied;
      modc::recordStat(&getContext(), getArgument(), "arguments-copied", 1);
    }
  }
};

} // namespace
