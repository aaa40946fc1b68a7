//===- TensorMath.h - Tensor math as upstream linalg/tensor ops -*- C++ -*-===//
//
// The importer expresses plain tensor math of the .mod language (NumPy
// broadcasting, matmul, elementwise builtins) with upstream dialects only:
// linalg.generic / linalg.matmul on tensors with destination tensors.
//
//===----------------------------------------------------------------------===//

#ifndef MODC_IR_TENSORMATH_H
#define MODC_IR_TENSORMATH_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Value.h"
#include "vocab/Vocabulary.h"

#include <functional>
#include <optional>

namespace modc {

enum class BinaryKind { Add, Sub, Mul, Div };

/// Emits broadcasting elementwise and matrix operations at one location.
class TensorMath {
public:
  TensorMath(mlir::OpBuilder &b, mlir::Location loc) : b_(b), loc_(loc) {}

  /// `lhs OP rhs` with NumPy broadcasting to `resultType`. Either side may
  /// be a scalar (rank-0 tensor or a plain element value).
  mlir::Value binary(BinaryKind kind, mlir::Value lhs, mlir::Value rhs,
                     mlir::RankedTensorType resultType);
  /// Elementwise builtin `fn` (a vocabulary entry of Rule::Elementwise).
  mlir::Value unary(vocab::Builtin fn, mlir::Value x);
  mlir::Value neg(mlir::Value x);
  /// `lhs PRED rhs` as a bool (i1) tensor with broadcasting; `pred` is 0..5
  /// for < <= > >= == !=.
  mlir::Value compare(int pred, mlir::Value lhs, mlir::Value rhs,
                      mlir::RankedTensorType resultType);
  /// pow, minimum, maximum or clamp of `args` broadcast to `resultType`.
  mlir::Value pointwise(vocab::Builtin fn, llvm::ArrayRef<mlir::Value> args,
                        mlir::RankedTensorType resultType);
  /// NumPy matmul of `lhs` and `rhs` to `resultType`.
  mlir::Value matmul(mlir::Value lhs, mlir::Value rhs,
                     mlir::RankedTensorType resultType);
  /// A scalar constant of element type `elem` (bool: value != 0).
  mlir::Value scalarConstant(mlir::Type elem, double value);
  /// An integer's exact value as a scalar constant of element type `elem`
  /// (an i64 literal past 2^53 does not survive a double).
  mlir::Value scalarConstant(mlir::Type elem, int64_t value);

  /// Size of dim `i` of `tensor` as an index value.
  mlir::Value dimSize(mlir::Value tensor, int64_t i);
  /// Reduction `kind` (Sum, Mean, Max or Min) of `x` over `axis`. With
  /// `wide`, an f32 Sum or Mean over a run-time sized or long axis
  /// accumulates in f64 and rounds once (the `sum`/`mean` builtins); the
  /// sums inside softmax and the norms, over a hidden or key axis, stay f32.
  mlir::Value reduce(vocab::Builtin kind, mlir::Value x, int64_t axis,
                     bool keepdims, bool wide = false);
  /// softmax / log_softmax over `axis`.
  mlir::Value softmax(mlir::Value x, int64_t axis, bool log);
  mlir::Value layernorm(mlir::Value x, mlir::Value gamma, mlir::Value beta,
                        double eps);
  mlir::Value rmsnorm(mlir::Value x, mlir::Value gamma, double eps);
  /// Index of the first maximum over `axis` (i64).
  mlir::Value argmax(mlir::Value x, int64_t axis);
  mlir::Value concat(llvm::ArrayRef<mlir::Value> parts, int64_t axis,
                     mlir::RankedTensorType resultType);
  /// Reshape to `resultType`; `sizes` has one entry per result dim (null:
  /// the static size).
  mlir::Value reshape(mlir::Value x, mlir::RankedTensorType resultType,
                      llvm::ArrayRef<mlir::Value> sizes);
  /// Reshape to the type and run-time dims of `like`.
  mlir::Value reshapeLike(mlir::Value x, mlir::Value like);
  mlir::Value transpose(mlir::Value x, llvm::ArrayRef<int64_t> perm);
  /// Broadcast to `resultType` (NumPy rules); `sizes` are all result dims.
  mlir::Value expand(mlir::Value x, mlir::RankedTensorType resultType,
                     llvm::ArrayRef<mlir::Value> sizes);
  /// table[ids] with ids clamped into range (checked separately).
  mlir::Value embedding(mlir::Value table, mlir::Value ids,
                        mlir::RankedTensorType resultType);
  mlir::Value onehot(mlir::Value ids, int64_t n,
                     mlir::RankedTensorType resultType);
  mlir::Value cast(mlir::Value x, mlir::Type elem);
  /// `keyMask` ([B, Tk], nonzero = attend) is optional; a query left with
  /// no key gets 0.
  mlir::Value attention(mlir::Value q, mlir::Value k, mlir::Value v,
                        int64_t heads, bool causal,
                        mlir::Value keyMask = mlir::Value());
  // Losses (TensorLoss.cpp): rank-0 f32 tensors.
  mlir::Value mse(mlir::Value a, mlir::Value b);
  /// Mean over rows of -log_softmax(logits)[label]; labels checked apart.
  mlir::Value crossEntropy(mlir::Value logits, mlir::Value labels);
  mlir::Value loadBalance(mlir::Value logits, int64_t k);
  mlir::Value zLoss(mlir::Value logits);
  /// The sum of every element of `x` as a rank-0 tensor.
  mlir::Value sumAll(mlir::Value x);

  /// eye, arange or full (value `value`) of `type`, its dims `sizes`.
  mlir::Value constantTensor(vocab::Builtin fn, mlir::RankedTensorType type,
                             llvm::ArrayRef<mlir::Value> sizes, double value);
  /// full of `type` with the scalar `value`, its dims `sizes`.
  mlir::Value filled(mlir::RankedTensorType type,
                     llvm::ArrayRef<mlir::Value> sizes, mlir::Value value);
  /// torch.kron of two 2-D tensors.
  mlir::Value kron(mlir::Value a, mlir::Value b,
                   mlir::RankedTensorType resultType);

  /// An empty tensor of `type` whose dims are `sizes` (all of them).
  mlir::Value empty(mlir::RankedTensorType type,
                    llvm::ArrayRef<mlir::Value> sizes);

private:
  /// The product of the first `dims` sizes of `x` as an f32 scalar.
  mlir::Value countOf(mlir::Value x, int64_t dims);
  /// sumAll(perRow) / rows.
  mlir::Value meanOverRows(mlir::Value perRow, mlir::Value rows);
  /// Runtime sizes of the dynamic dims of `type`, taken from `sources`:
  /// result dim i comes from dim `srcDim[i]` of `sources[srcOperand[i]]`.
  mlir::Value emptyLike(mlir::RankedTensorType type,
                        llvm::ArrayRef<std::pair<mlir::Value, int64_t>> dimSrc);
  mlir::Value
  elementwise(llvm::ArrayRef<mlir::Value> inputs,
              mlir::RankedTensorType resultType,
              std::function<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                        mlir::ValueRange)>
                  body);

  /// The result of reducing `x` over `axis`: its shape, its sizes (null
  /// where static) and the map from x's loops to its indices.
  struct Reduced {
    llvm::SmallVector<int64_t> shape;
    llvm::SmallVector<mlir::Value> sizes;
    mlir::AffineMap map;
  };
  Reduced reduced(mlir::Value x, int64_t axis, bool keepdims);

  mlir::OpBuilder &b_;
  mlir::Location loc_;
};

/// The value of a scalar constant attribute (float, integer or i1) as a
/// double; nullopt for anything else.
std::optional<double> scalarValue(mlir::Attribute a);

/// The value of `v` if it is a scalar constant (see scalarValue).
std::optional<double> constantScalar(mlir::Value v);

/// True if `v` is a floating-point constant zero.
bool isZeroConstant(mlir::Value v);

/// True if `v` is the result of a `linalg.fill` of a floating-point zero
/// (the initial value of a matmul that computes A @ B, not C + A @ B).
bool isZeroFill(mlir::Value v);

/// The element type `op` widens from if it is an elementwise float
/// widening of its one input into its one init (what TensorMath::cast
/// builds, e.g. the importer's bf16 -> f32 of a half operand: identity
/// maps, a body of one `arith.extf`), on tensors or buffers; else null.
mlir::Type widenedFrom(mlir::Operation *op);

/// The value `v` was rounded from if it is the result of an elementwise
/// float narrowing (TensorMath::cast to a narrower type: identity maps, a
/// body of one `arith.truncf`); else null.
mlir::Value narrowedFrom(mlir::Value v);

} // namespace modc

#endif // MODC_IR_TENSORMATH_H
