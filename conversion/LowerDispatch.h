//===- LowerDispatch.h - Lowering of mod.dispatch --------------*- C++ -*-===//
//
// The sparse core of mod-lower-routing (LowerRouting.cpp): one mod.dispatch
// becomes tensor code over the tensor-level routing ops
// (dialects/Mod/ModRouteOps.td), by its strategy.
//
//===----------------------------------------------------------------------===//

#ifndef MODC_CONVERSION_LOWERDISPATCH_H
#define MODC_CONVERSION_LOWERDISPATCH_H

#include "dialects/Mod/ModDialect.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

namespace modc {
namespace routing {

/// How a dispatch was lowered (for the pass's statistics).
enum class DispatchKind {
  Sparse,          ///< each target on its own packed rows
  Fused,           ///< one grouped computation over all routed rows
  MergeFactored,   ///< `merge` as sum_e w_e (h @ P_e) on all rows
  MergePerWeights, ///< `merge` once per distinct weight vector
  MergePerRow      ///< `merge` in training, a differentiable row loop
};

/// Replaces `op` (in `module`) by its lowering; fails with an error at op.
/// With `packedRowsBound`, a fused route's packed rows are sized by their
/// bound (rows x slots) instead of the sum of the plan's counts, which only
/// the device knows on the GPU path.
mlir::FailureOr<DispatchKind> lowerDispatch(mlir::ModuleOp module,
                                            mlir::mod::DispatchOp op,
                                            bool packedRowsBound = false);

/// An empty tensor of `type` whose dynamic dims are `dyn`, in order.
inline mlir::Value empty(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::RankedTensorType type, mlir::ValueRange dyn) {
  return b.create<mlir::tensor::EmptyOp>(loc, type, dyn);
}

} // namespace routing
} // namespace modc

#endif // MODC_CONVERSION_LOWERDISPATCH_H
