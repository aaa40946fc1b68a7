//===- Grouping.h - Module bodies that can run grouped ----------*- C++ -*-===//
//
// A route whose targets are instances of one module can run as one grouped
// computation: the rows of all targets packed together, grouped by target,
// each parameter-dependent operation applied per group. This header is the
// shared rule of mod-fuse-routed-experts (which decides) and
// mod-lower-routing (which generates the grouped code).
//
//===----------------------------------------------------------------------===//

#ifndef MODC_IR_GROUPING_H
#define MODC_IR_GROUPING_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>
#include <string>

namespace modc {

/// How each operation of a groupable module body runs on packed rows.
enum class GroupedUse {
  Neutral,       ///< Touches neither rows nor parameters: cloned as is.
  RowShape,      ///< Reads only the row count of a row value (tensor.dim).
  GroupedMatmul, ///< rows @ parameter: one grouped GEMM over all groups.
  RowMatmul,     ///< rows @ non-parameter: an ordinary matmul.
  RowGeneric,    ///< Row-wise linalg.generic; parameter inputs per group.
  RowReshape,    ///< Collapses rows with inner dims, or restores them.
  RowLocal,      ///< Keeps each row's elements in the row (a transpose of
                 ///< the dims after it, a batch matmul of row values):
                 ///< cloned as is.
  ParamWiden,    ///< A bf16/f16 parameter widened to f32 (the importer's rule
                 ///< for half operands): not computed; the grouped GEMMs
                 ///< that read it take the 16-bit weights themselves.
};

/// A value whose dim 0 is the packed rows times inner dims of a row value
/// (after `[n, T, D] -> [n*T, D]`): the (row value, dim) pairs whose sizes
/// multiply the row count. Empty: one row per packed row.
using RowMultiplier = llvm::SmallVector<std::pair<mlir::Value, int64_t>, 2>;

/// The role of every operation of a groupable module body.
struct GroupedBody {
  llvm::DenseMap<mlir::Operation *, GroupedUse> uses;
  /// Row values with a multiplier (the others have none).
  llvm::DenseMap<mlir::Value, RowMultiplier> multipliers;
  /// Widened bf16/f16 parameters (ParamWiden results): the parameter's index.
  llvm::DenseMap<mlir::Value, unsigned> widened;
  /// Whether a RowGeneric reads a parameter (run as per-row parameter rows).
  bool paramRows = false;
  int groupedMatmuls = 0;

  /// The index of the parameter a grouped matmul's right operand is: the
  /// parameter itself or its widening.
  unsigned paramIndex(mlir::Value b) const;
};

/// `fn` is a module function: parameters first, then one input [rows,
/// features...] with dynamic rows; one result with dynamic rows. It is
/// groupable if it only computes row by row (within a row it may mix
/// inner rows: attention over an example's tokens), with its parameters
/// used as the right operand of a 2-D f32 matmul (directly, or an f32
/// widening of a bf16/f16 parameter) or as row-invariant inputs of a
/// row-wise linalg.generic.
/// Returns the role of each operation, or nothing with the reason in `why` if
/// given.
std::optional<GroupedBody> groupBody(mlir::func::FuncOp fn, unsigned numParams,
                                     std::string *why = nullptr);

} // namespace modc

#endif // MODC_IR_GROUPING_H
