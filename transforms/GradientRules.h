//===- GradientRules.h - Reverse-mode rules of tensor-level ops -*- C++ -*-===//
//
// The per-op rules of mod-differentiate: given an op of the tensor-level IR
// (after inlining) and the adjoints of its results, they build the adjoints
// of its operands. One rule covers every linalg.generic (elementwise,
// broadcasting, reductions, the losses), by differentiating its scalar body;
// the named ops (matmul, batch_matmul, transpose) and the shape ops of the
// tensor dialect have a rule each. An op without a rule on the active path is
// an error at its location, never a silently wrong gradient.
//
//===----------------------------------------------------------------------===//

#ifndef MODC_TRANSFORMS_GRADIENTRULES_H
#define MODC_TRANSFORMS_GRADIENTRULES_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Operation.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

namespace modc {

/// The state of one reverse sweep: the adjoint of each active value so far.
class Adjoints {
public:
  Adjoints(mlir::OpBuilder &b, const llvm::DenseSet<mlir::Value> &active)
      : b_(b), active_(active) {}

  bool isActive(mlir::Value v) const { return active_.contains(v); }
  /// The adjoint of `v`, or null if nothing flowed into it (zero).
  mlir::Value get(mlir::Value v) const { return adj_.lookup(v); }
  /// Adds `d` (of `v`'s shape) into the adjoint of `v` if `v` is active.
  void add(mlir::Value v, mlir::Value d);

  /// Builds the adjoints of the active operands of `op` from those of its
  /// results; failure (reported at the op) if `op` has no rule.
  mlir::LogicalResult propagate(mlir::Operation *op);

  mlir::OpBuilder &builder() { return b_; }

private:
  mlir::LogicalResult generic(mlir::Operation *op);
  /// A `max` reduction over one axis, its gradient to the first maximum;
  /// false if `op` is not one.
  bool firstMaximum(mlir::Operation *op);
  mlir::LogicalResult matmul(mlir::Operation *op, bool batched);
  mlir::LogicalResult matmulTransposed(mlir::Operation *op);
  mlir::LogicalResult transpose(mlir::Operation *op);
  enum class Product {
    Plain,
    TransposeA,
    TransposeB,
    BatchTransposeA,
    BatchTransposeB
  };
  /// The named product `kind` of lhs and rhs into zeros shaped like `like`.
  mlir::Value product(Product kind, mlir::Value lhs, mlir::Value rhs,
                      mlir::Value like);
  mlir::LogicalResult shape(mlir::Operation *op);
  mlir::LogicalResult slice(mlir::Operation *op);
  // Routing (RouteGradients.cpp).
  mlir::LogicalResult routeDecide(mlir::Operation *op);
  mlir::LogicalResult routeScatter(mlir::Operation *op);
  mlir::LogicalResult routeFinish(mlir::Operation *op);
  mlir::LogicalResult routeDense(mlir::Operation *op);
  /// A grouped matmul of fused routed experts: dX with the weights
  /// transposed, each dW_g from mod.grouped_weight_grad.
  mlir::LogicalResult groupedMatmul(mlir::Operation *op);
  /// The gather `table[ids]` of an embedding or of a route's packed rows:
  /// its adjoint is a scatter-add of the rows into the table.
  mlir::LogicalResult gatherRows(mlir::Operation *op, mlir::Value table);
  /// A loop over rows (mlir::mod::kRowMapAttr), row by row backwards
  /// (RowMapGradients.cpp).
  mlir::LogicalResult rowMap(mlir::Operation *op);

  mlir::OpBuilder &b_;
  const llvm::DenseSet<mlir::Value> &active_;
  llvm::DenseMap<mlir::Value, mlir::Value> adj_;
};

/// The table a linalg.generic gathers rows from (TensorMath::embedding: one
/// integer input of ids, the yielded value a tensor.extract from a tensor
/// defined outside), or null.
mlir::Value gatheredTable(mlir::Operation *op);

/// A zero tensor of `like`'s type and run-time shape.
mlir::Value zerosLike(mlir::OpBuilder &b, mlir::Location loc, mlir::Value like);

/// True for a ranked tensor of floats (the values adjoints flow through).
bool isFloatTensor(mlir::Value v);

/// Calls `fn` on every value `op` reads: its operands and the values its
/// regions capture from above (`op` may sit in a block still being built,
/// whose region has no parent op yet).
void forEachRead(mlir::Operation *op, llvm::function_ref<void(mlir::Value)> fn);

/// The active values of `ops` (a straight-line sequence, in order): the
/// float tensors that depend on one of `seeds`, and the seeds themselves,
/// that `target` depends on.
llvm::DenseSet<mlir::Value>
activeValues(llvm::ArrayRef<mlir::Operation *> ops,
             const llvm::DenseSet<mlir::Value> &seeds, mlir::Value target);

} // namespace modc

#endif // MODC_TRANSFORMS_GRADIENTRULES_H
