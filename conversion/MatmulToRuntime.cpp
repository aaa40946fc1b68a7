//===- MatmulToRuntime.cpp - f32 matmuls to the runtime's GEMM ------------===//
//
// After bufferization, a 2-D f32 `linalg.matmul` (3-D `linalg.batch_matmul`)
// whose output buffer holds zeros computes C = A @ B: it becomes a call of
// the runtime's packed, register-blocked, multi-threaded GEMM
// (runtime/Gemm.cpp; batched: products in parallel). Matmuls that
// accumulate into live data keep the generic lowering.
//
//===----------------------------------------------------------------------===//

#include "conversion/Passes.h"
#include "conversion/RuntimeABI.h"
#include "ir/Stats.h"
#include "ir/TensorMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace modc {
#define GEN_PASS_DEF_MATMULTORUNTIME
#include "conversion/Passes.h.inc"
} // namespace modc

using namespace mlir;

namespace {

/// True if `buffer` holds zeros when `point` runs: its only write before
/// `point` (in the same block) is a zero fill, or a copy from a buffer that
/// holds zeros at that copy; every other earlier use only reads it.
bool isZeroAt(Value buffer, Operation *point, int depth = 0) {
  if (depth > 4)
    return false;
  Operation *writer = nullptr;
  for (Operation *user : buffer.getUsers()) {
    if (user == point)
      continue;
    if (user->getBlock() != point->getBlock())
      return false;
    if (point->isBeforeInBlock(user))
      continue;
    // A view could be written through later; give up on aliases.
    if (isa<ViewLikeOpInterface>(user))
      return false;
    auto effects = dyn_cast<MemoryEffectOpInterface>(user);
    if (!effects)
      return false;
    SmallVector<MemoryEffects::EffectInstance> list;
    effects.getEffectsOnValue(buffer, list);
    bool writes = llvm::any_of(list, [](const auto &e) {
      return isa<MemoryEffects::Write, MemoryEffects::Free>(e.getEffect());
    });
    if (!writes)
      continue;
    if (writer)
      return false;
    writer = user;
  }
  if (!writer)
    return false;
  if (auto fill = dyn_cast<linalg::FillOp>(writer))
    return fill.getOutputs()[0] == buffer &&
           modc::isZeroConstant(fill.getInputs()[0]);
  if (auto copy = dyn_cast<memref::CopyOp>(writer))
    return copy.getTarget() == buffer &&
           isZeroAt(copy.getSource(), copy, depth + 1);
  return false;
}

struct MatmulToRuntimePass
    : public modc::impl::MatmulToRuntimeBase<MatmulToRuntimePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<Operation *> matmuls;
    module.walk([&](Operation *op) {
      if (isa<linalg::MatmulOp, linalg::BatchMatmulOp,
              linalg::MatmulTransposeAOp, linalg::MatmulTransposeBOp,
              linalg::BatchMatmulTransposeAOp, linalg::BatchMatmulTransposeBOp>(
              op))
        matmuls.push_back(op);
    });
    for (Operation *op : matmuls)
      if (rewrite(module, cast<linalg::LinalgOp>(op))) {
        ++numMatmuls;
        modc::recordStat(&getContext(), getArgument(), "matmuls-to-runtime", 1);
      }
  }

  /// `fill 0 -> C; matmul A, B -> C` on f32 buffers becomes
  /// modrt_matmul_f32(A, B, C) (2-D) or modrt_batch_matmul_f32 (3-D).
  bool rewrite(ModuleOp module, linalg::LinalgOp op) {
    if (!op.hasPureBufferSemantics())
      return false;
    Value a = op.getDpsInputs()[0], b = op.getDpsInputs()[1];
    Value c = op.getDpsInits()[0];
    for (Value v : {a, b, c})
      if (!cast<MemRefType>(v.getType()).getElementType().isF32())
        return false;
    auto prevFill = dyn_cast_or_null<linalg::FillOp>(op->getPrevNode());
    bool zeroed = prevFill && prevFill.getOutputs()[0] == c &&
                  modc::isZeroConstant(prevFill.getInputs()[0]);
    if (!zeroed && !op->hasAttr(mod::kZeroInitAttr) && !isZeroAt(c, op))
      return false;
    OpBuilder builder(op);
    int64_t rank = cast<MemRefType>(c.getType()).getRank();
    // A transposed operand (the backward products of training, A^T dY and
    // dY B^T) is passed as a strided view: the GEMM reads any strides, so
    // nothing is copied.
    auto transposed = [&](Value v) -> Value {
      SmallVector<unsigned> perm;
      for (int64_t i = 0; i < rank; ++i)
        perm.push_back(unsigned(i));
      std::swap(perm[rank - 2], perm[rank - 1]);
      AffineMap map = AffineMap::getPermutationMap(perm, op->getContext());
      return builder.create<memref::TransposeOp>(op.getLoc(), v,
                                                 AffineMapAttr::get(map));
    };
    if (isa<linalg::MatmulTransposeAOp, linalg::BatchMatmulTransposeAOp>(op))
      a = transposed(a);
    if (isa<linalg::MatmulTransposeBOp, linalg::BatchMatmulTransposeBOp>(op))
      b = transposed(b);
    func::FuncOp fn =
        rank == 2 ? MODC_KERNEL_FUNCTION(module, modrt_matmul_f32)
                  : MODC_KERNEL_FUNCTION(module, modrt_batch_matmul_f32);
    if (failed(modc::abi::call(builder, op.getLoc(), fn, {a, b, c})))
      return false;
    op->erase();
    // The GEMM writes every element of C (zeros when K = 0): a zero fill
    // just before it is dead.
    if (zeroed)
      prevFill->erase();
    return true;
  }
};

} // namespace
